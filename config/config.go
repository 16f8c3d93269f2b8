// Package config loads and validates newswatch.toml (SPEC §2).
package config

import "time"

// Config is the whole configuration after defaults, decoding and validation.
type Config struct {
	Path          string         // the file it was read from (absolute)
	Timezone      string         // IANA name as written ("" = machine's)
	Location      *time.Location // resolved Timezone
	Database      string         // absolute path (relative paths resolved against the config file's folder)
	FetchSchedule string
	MaxAge        time.Duration
	Templates     string // absolute folder or ""
	Listen        string
	HTTP          HTTP
	SMTP          *SMTP // nil when the [smtp] table is absent: file delivery
	Output        Output
	Sources       []Source
	Companies     []Company
	Topics        []Topic
	Digests       []Digest
}

// HTTP holds the [http] table.
type HTTP struct {
	UserAgent     string
	Timeout       time.Duration
	MaxBody       int64 // bytes
	Concurrency   int
	PerHostDelay  time.Duration
	RespectRobots bool
}

// SMTP holds the [smtp] table.
type SMTP struct {
	Host        string
	Port        int
	Security    string // starttls | tls | none
	Username    string
	PasswordEnv string
	From        string
}

// Output holds the [output] table.
type Output struct {
	Dir string // absolute
}

// Source is one [[sources]] entry: exactly one of Feed and Page is set.
type Source struct {
	Name     string
	Feed     string
	Page     string
	Links    string
	Body     string
	FullText bool
}

// Company is one [[companies]] entry.
type Company struct {
	Name    string
	Aliases []string
	Exclude []string
	AllNews bool
	Near    int
}

// Topic is one [[topics]] entry.
type Topic struct {
	Name  string
	Terms []string
}

// Digest is one [[digests]] entry.
type Digest struct {
	Name      string
	Schedule  string
	To        []string
	Companies []string
	Topics    []string
	SendEmpty bool
	Timezone  string
	Location  *time.Location // Timezone resolved, else the global Location
}

// Load reads, decodes and validates the file at path. Errors name the file,
// line and key; all problems found are reported together (errors.Join of *Error).
func Load(path string) (*Config, error) { panic("unimplemented") }
