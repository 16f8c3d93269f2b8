// Package config loads and validates newswatch.toml, the one configuration
// file (config.example.toml shows every key).
//
// Loading runs in three steps: defaults first, then the file is decoded with
// unknown keys and wrongly typed values rejected, then every rule of the
// contract is checked across keys. All problems are reported together, each as
// an *Error naming the file, the line and the TOML key:
//
//	newswatch.toml:42: sources[3].links: required when page is set
//
// A key that is missing is reported at the header line of its table.
//
// Durations are Go durations ("72h", "20s"). Sizes are a plain integer of
// bytes or a number with a unit: B, KB, MB, GB (powers of 1000) or KiB, MiB,
// GiB (powers of 1024). Relative database, templates and output.dir paths are
// resolved against the folder of the configuration file. Schedules are 5-field
// cron expressions or descriptors (@daily, "@every 2h"), see ParseSchedule.
//
// When [smtp] sets security but no port, the port is 587 for starttls, 465 for
// tls and 25 for none.
//
// The package reads the configuration file and nothing else from its
// surroundings: the SMTP password is looked up through SMTP.Password with a
// getenv function handed in by the caller.
package config

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Config is the whole configuration after defaults, decoding and validation.
type Config struct {
	Path           string            // the file it was read from (absolute)
	Sum            [sha256.Size]byte // SHA-256 of the bytes it was parsed from
	Timezone       string            // IANA name as written ("" = machine's)
	Location       *time.Location    // resolved Timezone
	Database       string            // SQLite: absolute path (relative paths resolved against the config file's folder); or a PostgreSQL URL
	FetchSchedule  string
	FetchTimetable *Schedule // FetchSchedule parsed, in Location
	MaxAge         time.Duration
	FetchTimeout   time.Duration // one fetch of every source; the sources not done by then fail with a timeout
	Retain         time.Duration // items' text and old digests are pruned after it; 0 keeps everything
	Templates      string        // absolute folder or ""
	Listen         string
	HTTP           HTTP
	SMTP           *SMTP // nil when the [smtp] table is absent: file delivery
	Output         Output
	Web            *Web     // nil when the [web] table is absent: no console
	Sources        []Source // the enabled sources, in file order
	Companies      []Company
	Topics         []Topic
	Digests        []Digest // the enabled digests, in file order

	// PausedSources and PausedDigests are the entries with enabled = false:
	// validated like the others, kept out of Sources and Digests so that
	// nothing fetches or sends them, listed for status.
	PausedSources []Source
	PausedDigests []Digest
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
	Host        string `toml:"host"`
	Port        int    `toml:"port"`
	Security    string `toml:"security"` // starttls | tls | none
	Username    string `toml:"username"`
	PasswordEnv string `toml:"password_env"`
	From        string `toml:"from"`
	// Timeout bounds connecting and each SMTP command (key timeout,
	// default 30s).
	Timeout time.Duration `toml:"-"`
}

// Output holds the [output] table.
type Output struct {
	Dir string `toml:"dir"` // absolute
}

// Source is one [[sources]] entry: exactly one of Feed and Page is set.
type Source struct {
	Name     string `toml:"name"`
	Feed     string `toml:"feed"`
	Page     string `toml:"page"`
	Links    string `toml:"links"`
	Body     string `toml:"body"`
	FullText bool   `toml:"full_text"`
	// MaxArticles bounds the article pages one fetch of a page source or
	// full_text feed requests, newest first; the rest come on the next
	// fetch. DefaultMaxArticles when not set.
	MaxArticles int `toml:"max_articles"`
	// Enabled is the enabled key: true unless written false. A source
	// with enabled = false is kept in PausedSources and never fetched.
	Enabled bool `toml:"enabled"`
}

// DefaultMaxArticles is max_articles when a source does not set it.
const DefaultMaxArticles = 30

// DefaultFetchTimeout is fetch_timeout when not set: how long one fetch of
// every source (fetch, once, a daemon's fetch slot) may take.
const DefaultFetchTimeout = 10 * time.Minute

// Company is one [[companies]] entry.
type Company struct {
	Name    string   `toml:"name"`
	Aliases []string `toml:"aliases"`
	Exclude []string `toml:"exclude"`
	AllNews bool     `toml:"all_news"`
	Near    int      `toml:"near"`
}

// Topic is one [[topics]] entry.
type Topic struct {
	Name  string   `toml:"name"`
	Terms []string `toml:"terms"`
}

// Digest is one [[digests]] entry.
type Digest struct {
	Name      string   `toml:"name"`
	Schedule  string   `toml:"schedule"`
	To        []string `toml:"to"`
	Companies []string `toml:"companies"`
	Topics    []string `toml:"topics"`
	SendEmpty bool     `toml:"send_empty"`
	// MaxStories caps the stories shown in full; the rest are listed by
	// title under "and N more" (default DefaultMaxStories).
	MaxStories int    `toml:"max_stories"`
	Timezone   string `toml:"timezone"`
	// Notify lists the digest's other channels: http(s) webhooks and chat
	// service URLs, ${VAR} expanded at send time (see MaskURL).
	Notify []string `toml:"notify"`
	// WebhookSecretEnv names the variable whose value signs webhook bodies.
	WebhookSecretEnv string         `toml:"webhook_secret_env"`
	Location         *time.Location `toml:"-"`       // Timezone resolved, else the global Location
	Timetable        *Schedule      `toml:"-"`       // Schedule parsed, in Location
	Enabled          bool           `toml:"enabled"` // default true; false: kept in PausedDigests, never sent
}

// DefaultMaxStories is a digest's max_stories when the file does not set
// it: a digest any mail server takes, read in a few minutes.
const DefaultMaxStories = 50

// ErrPasswordUnset is returned (wrapped) by SMTP.Password when the variable
// named by password_env is unset or empty.
var ErrPasswordUnset = errors.New("smtp password variable is not set")

// NoConfigError is Load's error when path is not a file: it does not exist,
// or it is a folder. Its text says how to make or name one.
type NoConfigError struct {
	Path   string
	Folder bool
}

func (e *NoConfigError) Error() string {
	if e.Folder {
		return fmt.Sprintf("%s is a folder: -config wants the config file (e.g. %s)", e.Path, filepath.Join(e.Path, "newswatch.toml"))
	}
	return fmt.Sprintf("no config at %s: write one with `newswatch init %s`, or point -config or $NEWSWATCH_CONFIG at yours", e.Path, e.Path)
}

// UTF8BOM is the byte order mark a file may start with; Parse skips it.
var UTF8BOM = []byte("\xef\xbb\xbf")

// Load reads, decodes and validates the file at path. Errors name the file,
// line and key; all problems found are reported together (errors.Join of *Error).
func Load(path string) (*Config, error) {
	data, err := read(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Check is Load that also returns the configuration's warnings: doubtful
// but valid settings (an alias shared by two companies, a term made
// redundant by a shorter one in the same topic), each formatted like an
// Error. Load leaves them out: finding the redundant terms compiles every
// topic's terms, which every command would pay at start-up for what only
// the check command shows.
func Check(path string) (*Config, []string, error) {
	data, err := read(path)
	if err != nil {
		return nil, nil, err
	}
	return parse(path, data, true)
}

// read reads the configuration file at path.
func read(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &NoConfigError{Path: path}
	}
	if st, serr := os.Stat(path); err != nil && serr == nil && st.IsDir() {
		return nil, &NoConfigError{Path: path, Folder: true}
	}
	if err != nil {
		return nil, readError(path, err)
	}
	return data, nil
}

// readError is the error of a configuration file that could not be read;
// for a permission problem it says what to do: the daemon often runs as
// another user (systemd's dynamic user, the image's 65532) than the one
// who wrote the file. A source's or the database's URL may carry a
// password, so "readable by all" is advice for a file without one.
func readError(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("read config: %w: newswatch runs as uid %d here, which may not read it; a config with no password in it (they can all come from the environment) can be readable by all: chmod 0644 %s; one with a password in a URL, by newswatch's group only: chgrp GROUP %[3]s && chmod 0640 %[3]s", err, os.Getuid(), path)
	}
	return fmt.Errorf("read config: %w", err)
}

// Parse decodes and validates data as if it had been read from path, which
// names the file in errors and anchors relative paths; nothing is read from
// disk except to check that a templates folder and file: feeds exist.
func Parse(path string, data []byte) (*Config, error) {
	cfg, _, err := parse(path, data, false)
	return cfg, err
}

// parse is Parse that, with warn, also returns the warnings (see Check).
func parse(path string, data []byte, warn bool) (*Config, []string, error) {
	// A byte order mark, as some Windows editors write, is no key.
	data = bytes.TrimPrefix(data, UTF8BOM)
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config path %s: %w", path, err)
	}
	doc, c, err := decode(path, data)
	if err != nil {
		return nil, nil, err
	}
	cfg := c.build(doc, abs)
	if err := c.err(); err != nil {
		return nil, nil, err
	}
	cfg.Sum = sha256.Sum256(data)
	if !warn {
		return cfg, nil, nil
	}
	c.warn(cfg)
	return cfg, c.warnings(), nil
}

// Password returns the SMTP password from the environment variable named by
// password_env, looked up with getenv (os.Getenv in production). It returns ""
// and no error when password_env is empty (no AUTH), and an error wrapping
// ErrPasswordUnset, naming the variable and the key, when the variable is
// unset or empty.
func (s *SMTP) Password(getenv func(string) string) (string, error) {
	if s == nil || s.PasswordEnv == "" {
		return "", nil
	}
	if v := getenv(s.PasswordEnv); v != "" {
		return v, nil
	}
	return "", &passwordUnsetError{env: s.PasswordEnv}
}

// passwordUnsetError is ErrPasswordUnset for one variable, said once.
type passwordUnsetError struct{ env string }

func (e *passwordUnsetError) Error() string {
	return fmt.Sprintf("$%s ([smtp] password_env) is not set: export %s=<password> before sending, or remove password_env to send without a login", e.env, e.env)
}

func (e *passwordUnsetError) Is(target error) bool { return target == ErrPasswordUnset }
