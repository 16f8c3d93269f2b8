package scraper

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

var publishedMetas = []string{
	"article:published_time", "og:article:published_time", "datepublished",
	"pubdate", "publishdate", "dc.date.issued", "dcterms.issued",
}

func pageDate(doc *html.Node, metas map[string]string, body []*html.Node) time.Time {
	for _, k := range publishedMetas {
		if t := parseHTMLDate(metas[k]); !t.IsZero() {
			return t
		}
	}
	if t := parseHTMLDate(jsonLDDate(doc)); !t.IsZero() {
		return t
	}
	isTime := func(n *html.Node) bool { return n.DataAtom == atom.Time && attr(n, "datetime") != "" }
	for _, b := range body {
		if n := first(b, isTime); n != nil {
			if t := parseHTMLDate(attr(n, "datetime")); !t.IsZero() {
				return t
			}
		}
	}
	var found time.Time
	walk(doc, func(n *html.Node) bool {
		switch {
		case !found.IsZero():
			return false
		case n.DataAtom == atom.Aside, n.DataAtom == atom.Nav, n.DataAtom == atom.Footer:
			return false
		case n.Type == html.ElementNode && isTime(n):
			found = parseHTMLDate(attr(n, "datetime"))
		}
		return true
	})
	return found
}

// maxJSONLD bounds the JSON-LD we decode per script element.
const maxJSONLD = 1 << 20

// jsonLDDate returns the datePublished of the page's JSON-LD, preferring an
// object typed as an article.
func jsonLDDate(doc *html.Node) string {
	var best, fallback string
	walk(doc, func(n *html.Node) bool {
		if n.Type != html.ElementNode || n.DataAtom != atom.Script {
			return true
		}
		if !strings.EqualFold(strings.TrimSpace(attr(n, "type")), "application/ld+json") || n.FirstChild == nil {
			return false
		}
		data := n.FirstChild.Data
		if len(data) > maxJSONLD || best != "" {
			return false
		}
		var v any
		if json.Unmarshal([]byte(data), &v) != nil {
			return false
		}
		findDatePublished(v, 0, &best, &fallback)
		return false
	})
	if best != "" {
		return best
	}
	return fallback
}

func findDatePublished(v any, depth int, best, fallback *string) {
	if depth > 16 || *best != "" {
		return
	}
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			findDatePublished(e, depth+1, best, fallback)
		}
	case map[string]any:
		if d, ok := v["datePublished"].(string); ok && d != "" {
			if isArticleType(v["@type"]) {
				*best = d
				return
			}
			if *fallback == "" {
				*fallback = d
			}
		}
		for k, e := range v {
			if k != "datePublished" {
				findDatePublished(e, depth+1, best, fallback)
			}
		}
	}
}

func isArticleType(t any) bool {
	switch t := t.(type) {
	case string:
		return strings.HasSuffix(t, "Article") || t == "BlogPosting" || t == "Report"
	case []any:
		for _, e := range t {
			if isArticleType(e) {
				return true
			}
		}
	}
	return false
}

// parseHTMLDate reads the dates pages put in metadata: ISO 8601 forms, else
// RFC 822 forms (parseLooseDate). A date without zone is UTC.
func parseHTMLDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}
	}
	for _, layout := range htmlDateLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t
		}
	}
	return parseLooseDate(s)
}

// clampDate applies the rules of feed dates: UTC, zero before 1990, never
// after the fetch.
func clampDate(t, fetched time.Time) time.Time {
	if t.IsZero() || t.Year() < minYear {
		return time.Time{}
	}
	if t.After(fetched) {
		t = fetched
	}
	return t.UTC()
}

// minYear: dates before it are feed bugs (year 1, the Unix epoch), not news.
const minYear = 1990

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
