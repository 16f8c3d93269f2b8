package config

import (
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// document is the file as written; durations and sizes are still text.
type document struct {
	Timezone      string    `toml:"timezone"`
	Database      string    `toml:"database"`
	FetchSchedule string    `toml:"fetch_schedule"`
	MaxAge        string    `toml:"max_age"`
	FetchTimeout  string    `toml:"fetch_timeout"`
	Retain        string    `toml:"retain"`
	Templates     string    `toml:"templates"`
	Listen        string    `toml:"listen"`
	HTTP          httpDoc   `toml:"http"`
	SMTP          smtpDoc   `toml:"smtp"` // used only when [smtp] is present
	Output        Output    `toml:"output"`
	Web           Web       `toml:"web"` // used only when [web] is present
	Sources       []Source  `toml:"sources"`
	Companies     []Company `toml:"companies"`
	Topics        []Topic   `toml:"topics"`
	Digests       []Digest  `toml:"digests"`
}

type httpDoc struct {
	UserAgent     string `toml:"user_agent"`
	Timeout       string `toml:"timeout"`
	MaxBody       any    `toml:"max_body"` // string or integer
	Concurrency   int    `toml:"concurrency"`
	PerHostDelay  string `toml:"per_host_delay"`
	RespectRobots bool   `toml:"respect_robots"`
}

type smtpDoc struct {
	SMTP
	Timeout string `toml:"timeout"`
}

// defaults returns the document that the file's keys are decoded over.
func defaults() document {
	return document{
		Database:      "newswatch.db",
		FetchSchedule: "*/30 * * * *",
		MaxAge:        "72h",
		FetchTimeout:  "10m",
		HTTP: httpDoc{
			UserAgent:     "newswatch/0.1 (+https://github.com/newswatch)",
			Timeout:       "20s",
			MaxBody:       "10MB",
			Concurrency:   8,
			PerHostDelay:  "1s",
			RespectRobots: true,
		},
		SMTP:   smtpDoc{SMTP: SMTP{Security: "starttls"}, Timeout: "30s"},
		Output: Output{Dir: "digests"},
	}
}

// decode checks the TOML syntax, indexes the keys, rejects unknown keys and
// wrong types, and decodes over the defaults. The returned checker holds the
// problems found so far (unknown keys, wrong types: those values are left
// out of the document, the rest is decoded) for build to add to. A non-nil
// error means the file could not be decoded at all.
func decode(file string, data []byte) (*document, *checker, error) {
	ix, err := buildIndex(data)
	if err != nil {
		if err := genericError(file, data); err != nil {
			return nil, nil, err // a syntax error, with the decoder's line
		}
		return nil, nil, &Error{File: file, Msg: "cannot read keys", Err: err}
	}
	c := &checker{file: file, ix: ix}
	doc := defaults()
	wrong := c.checkSchema()
	if len(wrong) == 0 {
		if err := toml.Unmarshal(data, &doc); err != nil {
			// What the syntax tree does not see (duplicate keys,
			// redefined tables) is reported alone, as the generic
			// decode words it, like a syntax error.
			if gerr := genericError(file, data); gerr != nil {
				return nil, nil, gerr
			}
			c.errs = append(c.errs, decodeError(file, data, err))
			return nil, nil, c.err()
		}
		return &doc, c, nil
	}
	var generic map[string]any
	if err := toml.Unmarshal(data, &generic); err != nil {
		return nil, nil, decodeError(file, data, err)
	}
	// Decode what is left, so that bad values elsewhere are reported in the
	// same run as the wrong types.
	for _, p := range wrong {
		c.bad = append(c.bad, drop(generic, p))
	}
	rest, err := toml.Marshal(generic)
	if err == nil {
		err = toml.Unmarshal(rest, &doc)
	}
	if err != nil {
		// Not expected: the schema accepted every value left. The wrong
		// types found are still worth reporting.
		return nil, nil, c.err()
	}
	return &doc, c, nil
}

// genericError is the error of decoding data into a generic map: the
// decoder's own report of a syntax error, a duplicate key or a redefined
// table; nil when data decodes. Only a file that failed another way pays
// for this second decode.
func genericError(file string, data []byte) error {
	var generic map[string]any
	if err := toml.Unmarshal(data, &generic); err != nil {
		return decodeError(file, data, err)
	}
	return nil
}

// drop deletes the value at path (as the index writes it: sources[3].links)
// from a generically decoded document and returns the path it deleted: an
// element of a list takes its whole list with it, since removing the
// element alone would renumber the ones after it.
func drop(doc map[string]any, path string) string {
	for strings.HasSuffix(path, "]") {
		path = parentPath(path)
	}
	parent, name := "", path
	if i := strings.LastIndex(path, "."); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	if m, ok := lookup(doc, parent).(map[string]any); ok {
		delete(m, name)
	}
	return path
}

// lookup returns the value at path in a generically decoded document, or nil.
func lookup(v any, path string) any {
	for path != "" {
		var seg string
		seg, path, _ = strings.Cut(path, ".")
		name, rest, _ := strings.Cut(seg, "[")
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[name]
		for rest != "" {
			var idx string
			idx, rest, _ = strings.Cut(rest, "]")
			rest = strings.TrimPrefix(rest, "[")
			i, err := strconv.Atoi(idx)
			list, ok := v.([]any)
			if err != nil || !ok || i < 0 || i >= len(list) {
				return nil
			}
			v = list[i]
		}
	}
	return v
}
