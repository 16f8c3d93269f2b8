// Package story groups the items of one digest that report the same event
// from different outlets into stories, so a digest shows each event once,
// with the other outlets' reports under it. It works on headlines alone
// (many feeds carry nothing else) as well as on full text, and it decides
// whether a new report says anything a delivered one did not.
//
// Terms:
//
//   - Words are runs of Unicode letters and digits, lower-cased; Han, Kana
//     and Hangul runs become overlapping character bigrams. A headline
//     first loses wire-service labels ("UPDATE 2-", "EXCLUSIVE-",
//     "[UPDATED]", "BREAKING:", a trailing "(2)"). English words are
//     reduced to their Snowball (Porter 2) stem; stop words and news
//     boilerplate ("said", "update", weekdays) are dropped, months kept.
//     Numbers are normalised ("1,000" is 1000; "2nd", "second" and "two"
//     are 2), identifiers stay whole (CVE-2025-0282), accents of Latin
//     letters are dropped, and a hashtag's run of words is split.
//   - A word of a news class (the table in words.go: outage, crash, "goes
//     down"; fall, tank, slump; sales, revenue; fine, penalty; …) adds the
//     class as a term, so headlines that name one event in other words
//     meet. A class never holds opposites.
//   - Pairs of adjacent words are terms too.
//   - The names of the companies an item matched stay words: they are what
//     tells one company's event from another's. They weigh their IDF less
//     one, nothing when every item of the digest names the company.
//   - A matched topic term weighs as a word every item holds.
//
// Weights: TF-IDF with sublinear term frequency; title terms count twice
// and also form a title vector added at 0.7; entities (words capitalised
// in mid-sentence, acronyms, numbers of the text, or the names learned
// from the digest's sentence-case headlines when an item has no text)
// form a block added at 0.5. Document frequencies come from the digest's
// items and the stored history of the days around it. Each item is one
// unit vector.
//
// Linkage: each item is compared with at most 32 others, those sharing its
// rarest terms, nearest in time first. Pairs are taken best first and
// join two groups when the cosine of the groups' summed vectors reaches
// the bar for how much text they have: ShortThreshold for headlines
// alone, BriefThreshold for a line of text, falling to Threshold at 40
// distinct text terms. Pairs that failed are tried again while that
// merges anything (four passes at most).
//
// Rules every grouping keeps:
//
//   - A story spans at most 48 hours.
//   - One outlet's two items that are not near-duplicates need 1.2 times
//     the bar; two groups whose matched companies do not overlap 1.5 times.
//   - A report that only affirms ("confirms", "admits", "charged") never
//     joins one that only denies ("denies", "rejects", "cleared of"): they
//     are two developments.
//   - A roundup (a "Roundup:"-style label, or two clauses joined by a
//     semicolon) joins at most one story: two groups are compared without
//     their roundups. A roundup never leads a story of other reports.
//   - The lead is the best-scored item, then the newest. The result does
//     not depend on the order of the items nor on map order, and grouping
//     returns the context's error when it ends first.
//
// Restates and SameReport compare reports for a digest: a report restates
// earlier ones when most of its words are theirs, it brings no number,
// acronym or identifier they lack, and it does not affirm what they deny
// or deny what they affirm; two reports are the same when each restates
// the other.
//
// Semantic similarity (word vectors or a sentence-embedding model) is not
// used: the synonym table and kept company names gave the gain measured
// through the product at no cost in size or time. Cost grows as n·k: one
// tokenisation per item and at most 32 comparisons each. Figures, the
// evaluation through the binary and the baseline it is compared with are
// in BENCHMARKS.md.
package story
