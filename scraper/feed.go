package scraper

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	xunicode "golang.org/x/text/encoding/unicode"
)

// Feed errors; test with errors.Is.
var (
	// ErrNotFeed: the body is not RSS, Atom or JSON Feed (an HTML page
	// served in place of the feed, or no root element within the first 4 KB).
	ErrNotFeed = errors.New("not a feed")
	// ErrMalformed: the body looked like a feed but did not parse.
	ErrMalformed = errors.New("malformed feed")
)

const (
	// minYear: dates before it are feed bugs (year 1, the Unix epoch), not news.
	minYear = 1990
	// maxDepth bounds element nesting; real feeds, XHTML content included,
	// stay within a few dozen levels.
	maxDepth = 1000
)

func newFeedParser() *gofeed.Parser {
	p := gofeed.NewParser()
	// The image scan runs an HTML parse of every description; we never
	// use images, and it is ~15% of parse time (issue 9).
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return p
}

func (f *Fetcher) fetchFeed(ctx context.Context, src Source) Result {
	res := Result{Source: src.Name, ETag: src.ETag, LastModified: src.LastModified}
	fail := func(err error) Result {
		res.Err = fmt.Errorf("source %q: fetch %s: %w", src.Name, src.Feed, err)
		return res
	}
	resp, err := f.get(ctx, request{URL: src.Feed, ETag: src.ETag, LastModified: src.LastModified})
	if err != nil {
		return fail(err)
	}
	if resp.NotModified {
		res.NotModified = true
		return res
	}
	defer resp.release()
	items, err := f.parseFeed(resp.Body.Bytes(), resp.ContentType, resp.URL, f.now())
	if err != nil {
		if resp.URL.String() != src.Feed {
			err = fmt.Errorf("redirected to %s: %w", resp.URL.Redacted(), err)
		}
		return fail(err)
	}
	if src.FullText {
		partial, err := f.fullText(ctx, src, items)
		if err != nil {
			return fail(err)
		}
		// Items keep their feed text when their page failed, so they are
		// returned even when the source fails.
		warning, err := partial.outcome(len(items))
		if err != nil {
			res.Err = fmt.Errorf("source %q: %s: %w", src.Name, src.Feed, err)
		}
		if warning != nil {
			res.Warning = fmt.Errorf("source %q: %s: %w", src.Name, src.Feed, warning)
		}
	}
	res.Items = items
	res.ETag, res.LastModified = resp.ETag, resp.LastModified
	return res
}

// parseFeed parses a complete feed body. base is the URL the body came from
// (after redirects), against which relative links are resolved.
func (f *Fetcher) parseFeed(body []byte, contentType string, base *url.URL, fetched time.Time) ([]Item, error) {
	data := toUTF8(body, contentType)
	if err := checkDepth(data, maxDepth); err != nil {
		return nil, err
	}
	feed, err := f.parser.Parse(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, notFeedError(data, contentType)
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return convertItems(feed, base, fetched), nil
}

func notFeedError(data []byte, contentType string) error {
	mt, _, _ := mime.ParseMediaType(contentType)
	head := bytes.ToLower(data[:min(len(data), 4096)])
	if mt == "text/html" || bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype html")) {
		return fmt.Errorf("%w: got an HTML page (Content-Type %q); a rate-limit, login or error page?", ErrNotFeed, contentType)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%w: empty body", ErrNotFeed)
	}
	return fmt.Errorf("%w: no <rss>, <rdf:RDF>, <feed> or JSON object within the first 4 KB", ErrNotFeed)
}

func convertItems(feed *gofeed.Feed, base *url.URL, fetched time.Time) []Item {
	items := make([]Item, 0, len(feed.Items))
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		item := Item{
			GUID:    strings.TrimSpace(cleanText(it.GUID)),
			Title:   cleanTitle(it.Title),
			Summary: cleanText(it.Description),
			Content: cleanText(it.Content),
		}
		item.Link = itemLink(it, base)
		item.Published = itemDate(it, fetched)
		item.Key = itemKey(item)
		items = append(items, item)
	}
	return dedupeKeys(items)
}

func itemLink(it *gofeed.Item, base *url.URL) string {
	if l := resolveLink(base, it.Link); l != "" {
		return l
	}
	for _, l := range it.Links {
		if l := resolveLink(base, l); l != "" {
			return l
		}
	}
	// RSS guids are permalinks by default; an absolute one is the link.
	if g := strings.TrimSpace(it.GUID); strings.HasPrefix(g, "http://") || strings.HasPrefix(g, "https://") {
		return resolveLink(nil, g)
	}
	return ""
}

func itemKey(it Item) string {
	if it.Link != "" {
		if k, err := NormalizeURL(it.Link); err == nil {
			return k
		}
	}
	if it.GUID != "" {
		return "guid:" + it.GUID
	}
	return hashKey(it.Title, it.Published.Format(time.RFC3339), it.Summary)
}

func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "hash:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// dedupeKeys settles items of one fetch that share a Key. Copies of one
// article (same key, same title) are kept once. Different articles under one
// key (every item links to the home page, or every item has the same GUID)
// each get a key of their own: their GUID when that tells them apart, else a
// hash of link, title and date.
func dedupeKeys(items []Item) []Item {
	byKey := make(map[string][]int, len(items))
	for i, it := range items {
		byKey[it.Key] = append(byKey[it.Key], i)
	}
	if len(byKey) == len(items) {
		return items
	}
	drop := make([]bool, len(items))
	for _, idx := range byKey {
		if len(idx) < 2 {
			continue
		}
		titles := map[string]bool{}
		guids := map[string]bool{}
		for _, i := range idx {
			titles[items[i].Title] = true
			guids[items[i].GUID] = true
		}
		if len(titles) == 1 {
			for _, i := range idx[1:] {
				drop[i] = true
			}
			continue
		}
		byGUID := len(guids) == len(idx) && !strings.HasPrefix(items[idx[0]].Key, "guid:")
		for _, i := range idx {
			if byGUID && items[i].GUID != "" {
				items[i].Key = "guid:" + items[i].GUID
			} else {
				items[i].Key = hashKey(items[i].Link, items[i].Title, items[i].Published.Format(time.RFC3339))
			}
		}
	}
	out := items[:0]
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		if drop[i] || seen[it.Key] {
			continue
		}
		seen[it.Key] = true
		out = append(out, it)
	}
	return out
}

// itemDate picks the published (else updated) date, in UTC: dates before
// 1990 are dropped, dates after the fetch are clamped to the fetch time.
func itemDate(it *gofeed.Item, fetched time.Time) time.Time {
	t := pickDate(it.PublishedParsed, it.Published)
	if t.IsZero() {
		t = pickDate(it.UpdatedParsed, it.Updated)
	}
	if t.IsZero() || t.Year() < minYear {
		return time.Time{}
	}

	if t.After(fetched) {
		t = fetched
	}
	return t.UTC()
}

// pickDate returns gofeed's parse of raw unless raw ends in a zone
// abbreviation gofeed does not know: time.Parse takes the offset of such a
// name from the machine's zone ("IST" under Asia/Kolkata) and gofeed hands it
// on, so those are parsed again here, machine-independently.
func pickDate(parsed *time.Time, raw string) time.Time {
	if parsed != nil && !hasUnknownZone(raw) {
		return *parsed
	}
	if t := parseLooseDate(raw); !t.IsZero() || parsed == nil {
		return t
	}
	return *parsed
}

func hasUnknownZone(s string) bool {
	i := strings.LastIndexByte(strings.TrimSpace(s), ' ')
	if i < 0 {
		return false
	}
	zone := strings.TrimSpace(s)[i+1:]
	if len(zone) < 2 || len(zone) > 5 || zone == "UTC" {
		return false
	}
	for _, c := range zone {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	_, known := zoneOffsets[zone]
	return !known
}

var looseLayouts = []string{
	"02 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"02 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 MST",
	"02 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04 -0700",
	"02 Jan 2006 15:04:05",
	"2 Jan 2006 15:04:05",
	"2 Jan 2006",
}

// parseLooseDate handles what gofeed gives up on: RFC 822 dates whose day
// name is localised ("Lun, 05 Jan 2026 ...") or misspelled. Named zones are
// read as UTC offsets only for the ones gofeed knows; others count as UTC,
// so the result never depends on the machine's zone.
func parseLooseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if i := strings.IndexByte(s, ','); i >= 0 && i < 16 {
		s = strings.TrimSpace(s[i+1:])
	}
	for _, layout := range looseLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			if name, _ := t.Zone(); strings.Contains(layout, "MST") && name != "UTC" {
				t = rezone(t)
			}
			return t
		}
	}
	return time.Time{}
}

// rezone reads t's wall clock in the zone its abbreviation names when that
// is one of zoneOffsets, else as UTC.
func rezone(t time.Time) time.Time {
	name, _ := t.Zone()
	loc := time.UTC
	if off, ok := zoneOffsets[name]; ok {
		loc = time.FixedZone(name, off)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

// zoneOffsets are the abbreviations gofeed also knows; others count as UTC.
var zoneOffsets = map[string]int{
	"GMT": 0, "UT": 0, "Z": 0,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"WET": 0, "WEST": 3600, "BST": 3600, "CET": 3600, "CEST": 2 * 3600,
	"EET": 2 * 3600, "EEST": 3 * 3600,
}

// cleanText returns s as valid UTF-8 without control characters (other than
// tab and newline) or noncharacters. Clean input is returned as is.
func cleanText(s string) string {
	if isCleanText(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r':
			b.WriteByte('\n')
		case dropRune(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isCleanText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f || c == '\r' {
				return false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || dropRune(r) {
			return false
		}
		i += size - 1
	}
	return true
}

// dropRune: C0 and C1 controls except tab and newline, DEL, noncharacters
// (U+FFFE, U+FFFF, U+FDD0..U+FDEF and the plane ends), and bidi overrides
// that could disguise a title.
func dropRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// cleanTitle is cleanText on one line: whitespace runs become one space.
func cleanTitle(s string) string {
	s = cleanText(s)
	if !strings.ContainsAny(s, "\t\n") && !strings.Contains(s, "  ") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// toUTF8 returns the feed body as UTF-8 XML (or JSON) that encoding/xml will
// read without a charset conversion of its own and without failing on
// characters XML forbids. body is not modified; the result may alias it.
//
// The encoding is taken from, in order: a byte order mark; otherwise, bytes
// that are valid UTF-8 are UTF-8 (ISO-2022 aside); otherwise the Content-Type
// charset, then the XML prolog's encoding; otherwise, text with valid UTF-8
// sequences is UTF-8 with some bad bytes, and text with none is windows-1252.
func toUTF8(body []byte, contentType string) []byte {
	data, decided := decodeBOM(body)
	if !decided {
		declared := prologEncoding(data)
		ct := contentTypeCharset(contentType)
		if !utf8.Valid(data) || isISO2022(declared) || isISO2022(ct) {
			data = decodeLegacy(data, ct, declared)
		}
	}
	data = fixPrologEncoding(data)
	return sanitizeXML(data)
}

func decodeBOM(b []byte) ([]byte, bool) {
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:], utf8.Valid(b[3:])
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		enc, b = xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM), b[2:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		enc, b = xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM), b[2:]
	case bytes.HasPrefix(b, []byte{0, '<', 0, '?'}):
		enc = xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM)
	case bytes.HasPrefix(b, []byte{'<', 0, '?', 0}):
		enc = xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM)
	default:
		return b, false
	}
	if out, err := enc.NewDecoder().Bytes(b); err == nil {
		return out, true
	}
	return b, false
}

func isISO2022(label string) bool {
	return strings.HasPrefix(strings.ToLower(label), "iso-2022")
}

func decodeLegacy(b []byte, labels ...string) []byte {
	for _, label := range labels {
		if label == "" {
			continue
		}
		enc, name := charset.Lookup(label)
		if enc == nil || name == "utf-8" {
			continue
		}
		if out, err := enc.NewDecoder().Bytes(b); err == nil {
			return out
		}
	}
	if hasMultibyteUTF8(b) {
		return bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	enc, _ := charset.Lookup("windows-1252")
	if out, err := enc.NewDecoder().Bytes(b); err == nil {
		return out
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

func hasMultibyteUTF8(b []byte) bool {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			return true
		}
		i += size
	}
	return false
}

func contentTypeCharset(ct string) string {
	if ct == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(params["charset"])
}

// prolog returns the XML declaration at the start of b (after whitespace),
// as the byte offsets of "<?xml" and just past "?>".
func prolog(b []byte) (start, end int, ok bool) {
	start = len(b) - len(bytes.TrimLeft(b, " \t\r\n"))
	if !bytes.HasPrefix(b[start:], []byte("<?xml")) {
		return 0, 0, false
	}
	head := b[start:min(len(b), start+512)]
	i := bytes.Index(head, []byte("?>"))
	if i < 0 {
		return 0, 0, false
	}
	return start, start + i + 2, true
}

func prologEncoding(b []byte) string {
	start, end, ok := prolog(b)
	if !ok {
		return ""
	}
	decl := b[start:end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' && rest[0] != '\'' {
		return ""
	}
	j := bytes.IndexByte(rest[1:], rest[0])
	if j < 0 {
		return ""
	}
	return string(rest[1 : 1+j])
}

// fixPrologEncoding makes the XML declaration of UTF-8 data say UTF-8, so
// encoding/xml does not convert it a second time.
func fixPrologEncoding(b []byte) []byte {
	enc := prologEncoding(b)
	if enc == "" || strings.EqualFold(enc, "utf-8") || strings.EqualFold(enc, "utf8") {
		return b
	}
	start, end, _ := prolog(b)
	decl := []byte(`<?xml version="1.0" encoding="UTF-8"?>`)
	out := make([]byte, 0, len(b)-(end-start)+len(decl))
	out = append(out, decl...)
	return append(out, b[end:]...)
}

// sanitizeXML removes what encoding/xml rejects even in non-strict mode,
// which would otherwise fail a whole feed over one character: C0 controls
// other than tab, newline and return, U+FFFE and U+FFFF, invalid UTF-8, and
// character references to any of those (&#8;, &#xFFFE;).
func sanitizeXML(b []byte) []byte {
	if !needsSanitizing(b) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c == '&' && i+1 < len(b) && b[i+1] == '#' {
			if n := badCharRef(b[i:]); n > 0 {
				i += n
				continue
			}
		}
		if c < utf8.RuneSelf {
			if c >= 0x20 || c == '\t' || c == '\n' || c == '\r' {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, "\uFFFD"...)
		case r == 0xFFFE || r == 0xFFFF:
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// suspect marks the bytes needsSanitizing looks at twice: C0 controls but
// tab, newline and return; 0xEF, which starts U+FFFE and U+FFFF; '&'.
var suspect = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = c != '\t' && c != '\n' && c != '\r'
	}
	t[0xEF], t['&'] = true, true
	return t
}()

func needsSanitizing(b []byte) bool {
	if !utf8.Valid(b) {
		return true
	}
	for i, c := range b {
		if !suspect[c] {
			continue
		}
		switch {
		case c < 0x20:
			return true
		case c == 0xEF:
			if i+2 < len(b) && b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF) {
				return true
			}
		case i+1 < len(b) && b[i+1] == '#' && badCharRef(b[i:]) > 0:
			return true
		}
	}
	return false
}

// badCharRef returns the length of the character reference at the start of
// b when it names a character XML forbids, else 0.
func badCharRef(b []byte) int {
	i := 2
	base := 10
	if i < len(b) && (b[i] == 'x' || b[i] == 'X') {
		base = 16
		i++
	}
	start := i
	var n uint64
	for i < len(b) {
		d, ok := digitVal(b[i], base)
		if !ok {
			break
		}
		if n <= unicode.MaxRune {
			n = n*uint64(base) + uint64(d)
		}
		i++
	}
	if i == start || i >= len(b) || b[i] != ';' {
		return 0
	}
	r := rune(n)
	if n > unicode.MaxRune || r < 0x20 && r != '\t' && r != '\n' && r != '\r' ||
		r >= 0xD800 && r <= 0xDFFF || r == 0xFFFE || r == 0xFFFF {
		return i + 1
	}
	return 0
}

func digitVal(c byte, base int) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case base == 16 && c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case base == 16 && c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// checkDepth fails when XML elements nest deeper than limit. It is a cheap
// scan, not a parser: it jumps from '<' to '<', skips comments, CDATA,
// declarations and processing instructions, and counts start, end and
// empty-element tags (quote-aware, since '>' may appear in attribute values).
func checkDepth(b []byte, limit int) error {
	depth := 0
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 || i+j+1 >= len(b) {
			return nil
		}
		i += j + 1
		switch b[i] {
		case '/':
			depth--
			i = skipPast(b, i, ">")
		case '?':
			i = skipPast(b, i, "?>")
		case '!':
			switch {
			case bytes.HasPrefix(b[i:], []byte("!--")):
				i = skipPast(b, i+3, "-->")
			case bytes.HasPrefix(b[i:], []byte("![CDATA[")):
				i = skipPast(b, i+8, "]]>")
			default:
				i = skipPast(b, i, ">")
			}
		default:
			end, selfClosing := tagEnd(b, i)
			if !selfClosing {
				depth++
				if depth > limit {
					return fmt.Errorf("%w: elements nested deeper than %d", ErrMalformed, limit)
				}
			}
			i = end
		}
		if i >= len(b) {
			return nil
		}
	}
}

func skipPast(b []byte, i int, end string) int {
	k := bytes.Index(b[i:], []byte(end))
	if k < 0 {
		return len(b)
	}
	return i + k + len(end)
}

// tagEnd returns the offset just past the '>' closing the tag whose name
// starts at i, and whether it ends with "/>".
func tagEnd(b []byte, i int) (int, bool) {
	var quote byte
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1, b[i-1] == '/'
		case c == '<': // malformed: a new tag starts; let the parser judge
			return i, false
		}
	}
	return len(b), false
}
