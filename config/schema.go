package config

import (
	"fmt"
	"sort"
	"strings"
)

// want is what the schema accepts for one key.
type want int

const (
	wantString want = iota + 1
	wantDuration
	wantSize
	wantInteger
	wantBool
	wantList // of strings
	wantTable
	wantTables // [[name]] or an array of inline tables
)

func (w want) accepts(k kind) bool {
	switch w {
	case wantString, wantDuration:
		return k == kindString
	case wantSize:
		return k == kindString || k == kindInteger
	case wantInteger:
		return k == kindInteger
	case wantBool:
		return k == kindBool
	case wantList:
		return k == kindArray
	case wantTable:
		return k == kindTable
	case wantTables:
		return k == kindTableArray || k == kindArray
	}
	return false
}

func (w want) String() string {
	switch w {
	case wantString:
		return "a string"
	case wantDuration:
		return `a duration string such as "20s" or "72h"`
	case wantSize:
		return `a size such as "10MB" or a number of bytes`
	case wantInteger:
		return "an integer"
	case wantBool:
		return "true or false"
	case wantList:
		return `a list of strings such as ["a", "b"]`
	case wantTable:
		return "a table"
	case wantTables:
		return "an array of tables ([[...]])"
	}
	return "unknown"
}

// schema maps every key of the configuration, indexes written as [], to its
// type; a key missing here is an unknown key.
var schema = map[string]want{
	"timezone":       wantString,
	"database":       wantString,
	"fetch_schedule": wantString,
	"max_age":        wantDuration,
	"fetch_timeout":  wantDuration,
	"retain":         wantDuration,
	"templates":      wantString,
	"listen":         wantString,

	"http":                wantTable,
	"http.user_agent":     wantString,
	"http.timeout":        wantDuration,
	"http.max_body":       wantSize,
	"http.concurrency":    wantInteger,
	"http.per_host_delay": wantDuration,
	"http.respect_robots": wantBool,

	"smtp":              wantTable,
	"smtp.host":         wantString,
	"smtp.port":         wantInteger,
	"smtp.security":     wantString,
	"smtp.username":     wantString,
	"smtp.password_env": wantString,
	"smtp.from":         wantString,
	"smtp.timeout":      wantDuration,

	"web":                wantTable,
	"web.listen":         wantString,
	"web.url":            wantString,
	"web.auth_token_env": wantString,

	"output":     wantTable,
	"output.dir": wantString,

	"sources":                wantTables,
	"sources[]":              wantTable,
	"sources[].name":         wantString,
	"sources[].feed":         wantString,
	"sources[].page":         wantString,
	"sources[].links":        wantString,
	"sources[].body":         wantString,
	"sources[].full_text":    wantBool,
	"sources[].max_articles": wantInteger,
	"sources[].enabled":      wantBool,

	"companies":             wantTables,
	"companies[]":           wantTable,
	"companies[].name":      wantString,
	"companies[].aliases":   wantList,
	"companies[].aliases[]": wantString,
	"companies[].exclude":   wantList,
	"companies[].exclude[]": wantString,
	"companies[].all_news":  wantBool,
	"companies[].near":      wantInteger,

	"topics":           wantTables,
	"topics[]":         wantTable,
	"topics[].name":    wantString,
	"topics[].terms":   wantList,
	"topics[].terms[]": wantString,

	"digests":                      wantTables,
	"digests[]":                    wantTable,
	"digests[].name":               wantString,
	"digests[].schedule":           wantString,
	"digests[].to":                 wantList,
	"digests[].to[]":               wantString,
	"digests[].companies":          wantList,
	"digests[].companies[]":        wantString,
	"digests[].topics":             wantList,
	"digests[].topics[]":           wantString,
	"digests[].send_empty":         wantBool,
	"digests[].max_stories":        wantInteger,
	"digests[].timezone":           wantString,
	"digests[].enabled":            wantBool,
	"digests[].notify":             wantList,
	"digests[].notify[]":           wantString,
	"digests[].webhook_secret_env": wantString,
}

// checkSchema reports unknown keys and values of the wrong type, and
// returns the paths of the values of the wrong type: decode drops them so
// that the rest of the file can still be checked.
func (c *checker) checkSchema() (wrongType []string) {
	for _, e := range c.ix.entries {
		if c.reported(e.path) {
			continue
		}
		norm := normalPath(e.path)
		w, ok := schema[norm]
		switch {
		case !ok:
			c.errorf(e.path, "unknown key%s", suggest(norm))
		case !w.accepts(e.kind):
			c.errorf(e.path, "must be %s, not %s", w, e.kind)
			wrongType = append(wrongType, e.path)
		default:
			continue
		}
		c.bad = append(c.bad, e.path)
	}
	return wrongType
}

func underAny(path string, parents []string) bool {
	for _, p := range parents {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}

// suggest proposes the closest known key of the same table for a misspelt one.
func suggest(norm string) string {
	parent, name := "", norm
	if i := strings.LastIndex(norm, "."); i >= 0 {
		parent, name = norm[:i+1], norm[i+1:]
	}
	var best string
	limit, bestDist := len(name)/3+1, 0
	for _, known := range sortedKeys() {
		rest, ok := strings.CutPrefix(known, parent)
		if !ok || strings.ContainsAny(rest, ".[") {
			continue
		}
		if d := distance(name, rest); d <= limit && d < len(rest) && (best == "" || d < bestDist) {
			best, bestDist = rest, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func sortedKeys() []string {
	keys := make([]string, 0, len(schema))
	for k := range schema {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}
