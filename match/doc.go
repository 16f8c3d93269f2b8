// Package match finds tracked companies and topics in news text and decides
// whether an item is relevant for a company. It is pure: no I/O, no clock.
//
// # Words
//
// Texts and terms go through the same lexer. A word is a run of letters,
// digits and combining marks of any script; format characters (soft hyphen,
// zero-width joiners) inside a word are ignored. Each character of a script
// written without spaces (Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer,
// Myanmar) is a word of its own, so terms in those scripts match as
// substrings: "阿里巴巴" is found in "阿里巴巴集团否认". Each word is compared in
// its NFKC, case-folded form, so full-width "ＡＬＩＢＡＢＡ" and "alibaba" are
// the same word.
//
// A term matches when its words occur consecutively in the text. This makes
// every match whole-word: "Alibaba" matches "Alibaba's" and "Alibaba-backed"
// (the apostrophe and the hyphen end the word) but not "Alibabacoin".
//
// Between two words of a term, any run of spaces, hyphens and apostrophes (’
// and ' alike) in the text matches any other such run: "People's Liberation
// Army" matches "People’s Liberation Army", "zero-day" matches "zero day".
// Other punctuation between two words (". , ; ( &") only matches where the
// term itself has punctuation there, so "Alibaba Cloud" does not match
// "…Alibaba. Cloud…" across a sentence, while "AT&T" matches "AT&T". A term
// with a hyphen also matches its words written together: "zero-day" matches
// "zeroday", "e-commerce" matches "ecommerce" (not the other way round).
//
// A term written wholly in capitals (it has upper-case letters and no
// lower-case ones: PLA, CVE, VSSE, ZTE) matches case-sensitively, after NFKC:
// "PLA" and full-width "ＰＬＡ" match it, "Pla" and "pla" do not. Every other
// term matches case-insensitively.
//
// # Relevance
//
// An item is relevant for a company when
//   - the company's name or one of its aliases occurs (title or body), and
//   - none of its Exclude phrases occurs anywhere in the item: an item
//     containing one of them is not matched for this company, even if the
//     company is also mentioned on its own elsewhere, and
//   - AllNews is set, or a topic term occurs; a topic term that lies inside a
//     company alias occurrence ("cloud" inside "Alibaba Cloud") does not count
//     for that company, and
//   - when Near > 0, the topic term stands within Near words of an occurrence
//     of the company in the same field (title or body): the distance is 1 for
//     adjacent words, 0 when they overlap. Hyphenated and possessive forms
//     ("Alibaba-backed", "People's") count as one word; each Han/Kana/Hangul
//     character counts as a word. Only the terms that satisfy Near are
//     reported as reasons.
//
// # Score
//
// Hit.Score orders hits; it is computed as
//
//	1
//	+ 2   if the company occurs in the title
//	+ 1   per distinct topic matched
//	+ 1   per distinct topic with a term in the title
//	+ 2   if a company occurrence and a topic term start in the same sentence
//	+ 0.1 per company occurrence, at most 1
//	+ 0.1 per topic term occurrence, at most 1
//
// A sentence ends at ". ", "! ", "? " (not after a single letter, as in
// "U.S. officials") and at 。！？; title and body never share a sentence.
// Match returns hits best score first, ties in the order the companies were
// given to Compile.
//
// # Engine
//
// Compile gives every distinct word of every term an id and builds a trie
// keyed by word id (a map from (node, word id) to node; a dense array for
// the root). Word ids live in an open-addressing hash table behind an 8 KB
// Bloom filter, which turns most words of a news text away for the price
// of one hash. Match lexes each field once and, at each word, looks it up,
// advances the walks still alive (never more than the longest term has
// words) and starts one at the root. The cost grows with the text, not with
// the number of terms, and every match is whole-word by construction.
//
// A byte-level Aho-Corasick automaton over the lexer's output finds the
// same hits but cannot do without the lexer (whole words, NFKC, case
// folding, apostrophes), so it only adds work; BENCHMARKS.md ("Matching")
// has the comparison.
package match
