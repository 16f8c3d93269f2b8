package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// kind is the TOML type of a value as written in the file.
type kind int

const (
	kindString kind = iota + 1
	kindInteger
	kindFloat
	kindBool
	kindDatetime
	kindArray
	kindTable
	kindTableArray // declared with [[name]] headers
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "a string"
	case kindInteger:
		return "an integer"
	case kindFloat:
		return "a float"
	case kindBool:
		return "a boolean"
	case kindDatetime:
		return "a date/time"
	case kindArray:
		return "an array"
	case kindTable:
		return "a table"
	case kindTableArray:
		return "an array of tables"
	}
	return "a value"
}

// entry is one key, table header or array element found in the file.
type entry struct {
	path string // TOML path with indexes: sources[3].links, digests[0].to[1]
	line int
	kind kind
}

// index records where every key of a TOML document sits, so that errors found
// after decoding can name a line. The decoders do not expose key positions,
// hence this second walk over the syntax tree.
type index struct {
	entries []entry
	byPath  map[string]int
	headers []entry // every [table] and [[table]] header, in file order
}

// lineOf returns the line of path, else of its closest recorded parent (the
// table header for a key that is missing), else 0.
func (ix *index) lineOf(path string) int {
	for path != "" {
		if i, ok := ix.byPath[path]; ok {
			return ix.entries[i].line
		}
		path = parentPath(path)
	}
	return 0
}

// qualify prefixes a key reported relative to its table (as the decoder
// does) with the path of the table header above line.
func (ix *index) qualify(line int, key string) string {
	table := ""
	for _, h := range ix.headers {
		if h.line > line {
			break
		}
		table = h.path
		if h.line == line { // the error is about the header itself
			return key
		}
	}
	return joinPath(table, key)
}

// has reports whether path was written in the file.
func (ix *index) has(path string) bool {
	_, ok := ix.byPath[path]
	return ok
}

func (ix *index) add(path string, line int, k kind) {
	if _, ok := ix.byPath[path]; ok {
		return
	}
	ix.byPath[path] = len(ix.entries)
	ix.entries = append(ix.entries, entry{path: path, line: line, kind: k})
}

// parentPath strips the last component: "a[1].b" → "a[1]" → "a" → "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// normalPath drops the indexes: sources[3].links → sources[].links. It
// runs for every key of the file: a scan, not a regular expression.
func normalPath(path string) string {
	i := strings.IndexByte(path, '[')
	if i < 0 {
		return path
	}
	var b strings.Builder
	b.Grow(len(path))
	for ; i >= 0; i = strings.IndexByte(path, '[') {
		j := i + 1
		for j < len(path) && '0' <= path[j] && path[j] <= '9' {
			j++
		}
		if j == i+1 || j == len(path) || path[j] != ']' {
			b.WriteString(path[:i+1]) // a '[' that opens no index
			path = path[i+1:]
			continue
		}
		b.WriteString(path[:i])
		b.WriteString("[]")
		path = path[j+1:]
	}
	b.WriteString(path)
	return b.String()
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// indexer walks the expressions of one document.
type indexer struct {
	p      *unstable.Parser
	ix     *index
	arrays map[string]int // [[header]] path → number of tables seen

	newlines []int // offsets of the '\n' bytes in the document
}

// buildIndex parses data and records every key with its line. data must
// already be known to be valid TOML.
func buildIndex(data []byte) (*index, error) {
	w := &indexer{
		p:      &unstable.Parser{},
		arrays: map[string]int{},
	}
	for i, c := range data {
		if c == '\n' {
			w.newlines = append(w.newlines, i)
		}
	}
	// About one entry a line: sized once rather than grown and rehashed
	// through a file of thousands of keys.
	n := len(w.newlines) + 1
	w.ix = &index{byPath: make(map[string]int, n), entries: make([]entry, 0, n)}
	w.p.Reset(data)
	table := ""
	for w.p.NextExpression() {
		e := w.p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = w.header(e, false)
		case unstable.ArrayTable:
			table = w.header(e, true)
		case unstable.KeyValue:
			w.keyValue(table, e)
		}
	}
	if err := w.p.Error(); err != nil {
		return nil, fmt.Errorf("index keys: %w", err)
	}
	return w.ix, nil
}

func (w *indexer) line(n *unstable.Node, fallback int) int {
	if n == nil || n.Raw.Length == 0 {
		return fallback
	}
	// The parser's Shape counts lines from the start of the file on every
	// call, which made loading quadratic in the file's size: the line is
	// the number of newlines before the offset, plus one.
	return sort.SearchInts(w.newlines, int(n.Raw.Offset)) + 1
}

// header records a [table] or [[table]] header and returns the path that the
// following keys belong to.
func (w *indexer) header(e *unstable.Node, array bool) string {
	parts := keyParts(e)
	line := w.line(parts[0], 0)
	path := w.headerPath(parts, line, array)
	w.ix.headers = append(w.ix.headers, entry{path: path, line: line, kind: kindTable})
	return path
}

func (w *indexer) headerPath(parts []*unstable.Node, line int, array bool) string {
	path := ""
	for i, part := range parts {
		path = joinPath(path, keyName(part))
		if array && i == len(parts)-1 {
			n := w.arrays[path]
			w.arrays[path] = n + 1
			w.ix.add(path, line, kindTableArray)
			path = indexPath(path, n)
			w.ix.add(path, line, kindTable)
			return path
		}
		if n, ok := w.arrays[path]; ok {
			path = indexPath(path, n-1)
			continue
		}
		w.ix.add(path, line, kindTable)
	}
	return path
}

// keyValue records key = value (dotted keys create their parent tables).
func (w *indexer) keyValue(table string, e *unstable.Node) {
	parts := keyParts(e)
	line := w.line(parts[0], 0)
	path := table
	for i, part := range parts {
		path = joinPath(path, keyName(part))
		if i < len(parts)-1 {
			w.ix.add(path, line, kindTable)
		}
	}
	w.value(path, line, e.Value())
}

func (w *indexer) value(path string, line int, v *unstable.Node) {
	switch v.Kind {
	case unstable.Array:
		w.ix.add(path, line, kindArray)
		it := v.Children()
		for i := 0; it.Next(); i++ {
			el := it.Node()
			w.value(indexPath(path, i), w.line(el, line), el)
		}
	case unstable.InlineTable:
		w.ix.add(path, line, kindTable)
		it := v.Children()
		for it.Next() {
			kv := it.Node()
			if kv.Kind != unstable.KeyValue {
				continue
			}
			w.keyValue(path, kv)
		}
	default:
		w.ix.add(path, line, scalarKind(v.Kind))
	}
}

func scalarKind(k unstable.Kind) kind {
	switch k {
	case unstable.String:
		return kindString
	case unstable.Integer:
		return kindInteger
	case unstable.Float:
		return kindFloat
	case unstable.Bool:
		return kindBool
	}
	return kindDatetime
}

func keyParts(e *unstable.Node) []*unstable.Node {
	var parts []*unstable.Node
	it := e.Key()
	for it.Next() {
		parts = append(parts, it.Node())
	}
	return parts
}

// keyName returns a key part as it reads in a path, quoted when not bare.
func keyName(n *unstable.Node) string {
	s := string(n.Data)
	if isBareKey(s) {
		return s
	}
	return strconv.Quote(s)
}

// isBareKey reports whether s is a TOML bare key: A-Z a-z 0-9 _ -, at
// least one.
func isBareKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return s != ""
}
