-- "Not relevant": a person's verdict that an item is not about a company.
-- Such an item stays out of that company's later digests, and the console
-- and `check` count, per alias and term, how many of its matches were marked.
CREATE TABLE feedback (
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    company TEXT    NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (item_id, company)
);
CREATE INDEX feedback_company ON feedback (company);
