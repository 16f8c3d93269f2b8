package digest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"newswatch/match"
	"newswatch/model"
)

// Document is a digest as JSON, what a webhook receives and what chat
// messages are rendered from. It is composed with the digest and kept in
// the outbox, so every try of a delivery sends the same bytes.
type Document struct {
	Digest    string     `json:"digest"`
	Subject   string     `json:"subject"`
	Slot      time.Time  `json:"slot"`
	MessageID string     `json:"message_id"`
	Summary   string     `json:"summary"`
	Stories   []DocStory `json:"stories"`
	More      []DocMore  `json:"more,omitempty"` // past max_stories, by title
	Footer    DocFooter  `json:"footer"`
	Test      bool       `json:"test,omitempty"` // a `send -test` message
}

// DocStory is one story of a Document.
type DocStory struct {
	Title     string    `json:"title"`
	Link      string    `json:"link"`
	Source    string    `json:"source"`
	Published time.Time `json:"published"`
	Company   string    `json:"company"`
	Topics    []string  `json:"topics"`
	Matched   []string  `json:"matched_terms"`
	Snippet   string    `json:"snippet"`
	// Also lists every other report of the story: each outlet's
	// headline and link, in the story's order.
	Also []DocAlso `json:"also_reported_by"`
	// MoreOutlets is kept for readers of earlier documents: Also now
	// lists every report, so it is always 0 and left out.
	MoreOutlets int `json:"more_outlets,omitempty"`
	// Update is set for a story an earlier digest delivered: "first
	// reported Sun by Reuters · 4 outlets so far"; Folded when it only
	// gained outlets (Title is then the delivered title, Also the new ones).
	Update string `json:"update,omitempty"`
	Folded bool   `json:"folded,omitempty"`
}

// DocAlso is another outlet's report of a story.
type DocAlso struct {
	Source string `json:"source"`
	Title  string `json:"title"`
	Link   string `json:"link"`
}

// DocMore is a story past max_stories.
type DocMore struct {
	Title  string `json:"title"`
	Source string `json:"source"`
}

// DocFooter is the digest's footer: source health and earlier deliveries
// that failed.
type DocFooter struct {
	Summary        string      `json:"summary"`
	FailingSources []DocSource `json:"failing_sources,omitempty"`
	Recovered      []DocSource `json:"recovered_sources,omitempty"`
	FailedDigests  []DocFailed `json:"failed_digests,omitempty"`
}

// DocSource is a source that is failing, or failed since the last digest.
type DocSource struct {
	Source   string `json:"source"`
	Since    string `json:"since"`
	Error    string `json:"error"`
	Failures int    `json:"failures,omitempty"`
}

// DocFailed is an earlier digest, or one of its channels, that failed for good.
type DocFailed struct {
	Digest string `json:"digest"`
	Date   string `json:"date"`
	Error  string `json:"error"`
}

// NewDocument is the document of the digest v composed as m.
func NewDocument(v View, m model.Message) Document {
	doc := Document{
		Digest:    v.Name,
		Subject:   v.Subject,
		Slot:      m.Slot.UTC(),
		MessageID: m.MessageID,
		Summary:   v.Summary,
		Stories:   []DocStory{},
		Footer:    DocFooter{Summary: v.Health.Summary},
	}
	for _, f := range v.Health.Failing {
		doc.Footer.FailingSources = append(doc.Footer.FailingSources, DocSource(f))
	}
	for _, f := range v.Health.Recovered {
		doc.Footer.Recovered = append(doc.Footer.Recovered, DocSource(f))
	}
	for _, f := range v.Health.FailedDigests {
		doc.Footer.FailedDigests = append(doc.Footer.FailedDigests, DocFailed{Digest: f.Name, Date: f.Date, Error: f.Error})
	}
	for _, sec := range v.Sections {
		for _, sv := range sec.Stories {
			ds := DocStory{
				Title:     sv.Title,
				Link:      sv.Link,
				Source:    sv.Source,
				Published: sv.Published,
				Company:   sec.Company,
				Topics:    nonNil(sv.Topics),
				Matched:   nonNil(sv.Matched),
				Snippet:   sv.SnippetText,
				Also:      []DocAlso{},
				// Set for a story delivered before.
				Update: sv.Update,
				Folded: sv.Folded,
			}
			for _, a := range sv.Also {
				ds.Also = append(ds.Also, DocAlso(a))
			}
			doc.Stories = append(doc.Stories, ds)
		}
	}
	for _, mv := range v.More {
		doc.More = append(doc.More, DocMore(mv))
	}
	return doc
}

// Marshal is the document's JSON, indented for people who read it.
func (d Document) Marshal() ([]byte, error) {
	return MarshalJSON(d)
}

// MarshalJSON writes v indented, with a final newline, and with <, > and &
// as they are (a Message-ID reads "<…@…>", not "\u003c…\u003e"): the
// document is no HTML.
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("json document: %w", err)
	}
	return b.Bytes(), nil
}

// ParseDocument reads a document back from its JSON.
func ParseDocument(b []byte) (Document, error) {
	var d Document
	if err := json.Unmarshal(b, &d); err != nil {
		return Document{}, fmt.Errorf("json document: %w", err)
	}
	return d, nil
}

// matched lists the aliases and terms of a hit, aliases first, each once.
func matched(h match.Hit) []string {
	var out []string
	seen := map[string]bool{}
	for _, group := range [][]match.TermHit{h.Aliases, h.Terms} {
		for _, t := range group {
			if !seen[t.Term] {
				seen[t.Term] = true
				out = append(out, t.Term)
			}
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
