package config

import (
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
// problems found so far (unknown keys) for build to add to. A non-nil error
// means the file could not be decoded at all.
func decode(file string, data []byte) (*document, *checker, error) {
	// A generic decode first: it catches what the syntax tree alone does not
	// (duplicate keys, redefined tables), with the decoder's line.
	var generic map[string]any
	if err := toml.Unmarshal(data, &generic); err != nil {
		return nil, nil, decodeError(file, data, err)
	}
	ix, err := buildIndex(data)
	if err != nil {
		return nil, nil, &Error{File: file, Msg: "cannot read keys", Err: err}
	}
	c := &checker{file: file, ix: ix}
	if !c.checkSchema() {
		return nil, nil, c.err()
	}
	doc := defaults()
	if err := toml.Unmarshal(data, &doc); err != nil {
		c.errs = append(c.errs, decodeError(file, data, err))
		return nil, nil, c.err()
	}
	return &doc, c, nil
}
