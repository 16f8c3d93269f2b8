package config

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// ErrEntryNotFound is returned by EditEntry when the file has no
// [[companies]] or [[topics]] entry of that name.
var ErrEntryNotFound = errors.New("no such entry")

// ErrNotEditable is returned by EditEntry for an entry it cannot rewrite in
// place (written as an inline table): the caller shows the lines to paste.
var ErrNotEditable = errors.New("entry is not a [[table]] that can be edited in place")

// Setting is one key of a watchlist entry and its new value: a []string or
// a bool.
type Setting struct {
	Key   string
	Value any
}

// EditEntry returns data with the keys given rewritten in the
// [[companies]] (section "companies") or [[topics]] entry named name, and
// nothing else changed: other keys, other entries, comments, blank lines
// and order stay as they are. A key the entry does not have yet is added
// after its name. The result is not validated: Parse it.
func EditEntry(data []byte, section, name string, settings []Setting) ([]byte, error) {
	ix, err := buildIndex(data)
	if err != nil {
		return nil, fmt.Errorf("edit %s %q: %w", section, name, err)
	}
	type named struct {
		Name string `toml:"name"`
	}
	var doc struct {
		Companies []named `toml:"companies"`
		Topics    []named `toml:"topics"`
	}
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("edit %s %q: %w", section, name, err)
	}
	list := doc.Companies
	if section == "topics" {
		list = doc.Topics
	}
	entry := ""
	for i, e := range list {
		if e.Name == name {
			entry = indexPath(section, i)
			break
		}
	}
	if entry == "" {
		return nil, fmt.Errorf("edit %s %q: %w", section, name, ErrEntryNotFound)
	}
	isHeader := false
	for _, h := range ix.headers {
		isHeader = isHeader || h.path == entry
	}
	if !isHeader {
		return nil, fmt.Errorf("edit %s %q: %w", section, name, ErrNotEditable)
	}
	out := data
	for _, s := range settings {
		value := render(s.Value)
		if i, ok := ix.byPath[entry+"."+s.Key]; ok {
			start, end, ok := valueSpan(out, lineStart(out, ix.entries[i].line), s.Key)
			if !ok {
				return nil, fmt.Errorf("edit %s %q: key %s: %w", section, name, s.Key, ErrNotEditable)
			}
			out = splice(out, start, end, value)
		} else {
			nameLine := ix.entries[ix.byPath[entry+".name"]].line
			_, end, ok := valueSpan(out, lineStart(out, nameLine), "name")
			if !ok {
				return nil, fmt.Errorf("edit %s %q: %w", section, name, ErrNotEditable)
			}
			at := bytes.IndexByte(out[end:], '\n')
			if at < 0 {
				out = append(bytes.Clone(out), '\n')
				at = len(out)
			} else {
				at += end + 1
			}
			out = splice(out, at, at, s.Key+" = "+value+"\n")
		}
		// Offsets moved: index the edited text again.
		if ix, err = buildIndex(out); err != nil {
			return nil, fmt.Errorf("edit %s %q: %w", section, name, err)
		}
	}
	return out, nil
}

func splice(data []byte, start, end int, s string) []byte {
	out := make([]byte, 0, len(data)+len(s))
	out = append(out, data[:start]...)
	out = append(out, s...)
	return append(out, data[end:]...)
}

// lineStart is the offset of the first byte of 1-based line n.
func lineStart(data []byte, n int) int {
	off := 0
	for ; n > 1; n-- {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return len(data)
		}
		off += i + 1
	}
	return off
}

// valueSpan finds `key = value` on the line starting at off and returns
// where the value starts and ends (a multi-line array included).
func valueSpan(data []byte, off int, key string) (start, end int, ok bool) {
	line := data[off:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	rest := strings.TrimLeft(string(line), " \t")
	k := strings.TrimSpace(strings.SplitN(rest, "=", 2)[0])
	if k != key && k != `"`+key+`"` && k != `'`+key+`'` {
		return 0, 0, false
	}
	eq := bytes.IndexByte(line, '=')
	i := off + eq + 1
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	start = i
	end = scanValue(data, i)
	return start, end, end > start
}

// scanValue returns the end of the TOML value starting at i.
func scanValue(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	switch {
	case bytes.HasPrefix(data[i:], []byte(`"""`)), bytes.HasPrefix(data[i:], []byte(`'''`)):
		q := data[i : i+3]
		j := bytes.Index(data[i+3:], q)
		if j < 0 {
			return len(data)
		}
		return i + 3 + j + 3
	case data[i] == '"':
		for j := i + 1; j < len(data); j++ {
			switch data[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			case '\n':
				return j
			}
		}
		return len(data)
	case data[i] == '\'':
		j := bytes.IndexAny(data[i+1:], "'\n")
		if j < 0 {
			return len(data)
		}
		return i + 1 + j + 1
	case data[i] == '[' || data[i] == '{':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					return j + 1
				}
			case '"', '\'':
				j = scanValue(data, j) - 1
			case '#':
				if k := bytes.IndexByte(data[j:], '\n'); k >= 0 {
					j += k
				} else {
					return len(data)
				}
			}
		}
		return len(data)
	}
	j := i
	for j < len(data) && data[j] != '\n' && data[j] != '#' {
		j++
	}
	for j > i && (data[j-1] == ' ' || data[j-1] == '\t' || data[j-1] == '\r') {
		j--
	}
	return j
}

// render writes a setting's value in TOML.
func render(v any) string {
	switch v := v.(type) {
	case bool:
		return strconv.FormatBool(v)
	case []string:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = Quote(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		return Quote(v)
	}
	return fmt.Sprint(v)
}

// Quote writes s as a TOML basic string.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Split returns the errors joined in err (by errors.Join, as Load and
// Validate report every problem at once), or err alone.
func Split(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Problems returns the messages of the configuration errors in err as
// "key: message", for an editor that knows which file it edits.
func Problems(err error) []string {
	var out []string
	for _, e := range Split(err) {
		var ce *Error
		if !errors.As(e, &ce) {
			out = append(out, e.Error())
			continue
		}
		msg := ce.Msg
		if ce.Err != nil {
			msg += ": " + ce.Err.Error()
		}
		if ce.Key != "" {
			msg = ce.Key + ": " + msg
		}
		out = append(out, msg)
	}
	return out
}
