package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"newswatch/app"
	"newswatch/config"
	"newswatch/internal/logging"
)

// Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks a usage or configuration problem: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// globals are the flags every command takes, before or after its name.
type globals struct {
	config    string
	verbose   bool
	logFormat string
	daemon    bool // set by `run`
}

func (g *globals) register(fs *flag.FlagSet) {
	def := os.Getenv("NEWSWATCH_CONFIG")
	if def == "" {
		def = "newswatch.toml"
	}
	if g.config == "" {
		g.config = def
	}
	fs.StringVar(&g.config, "config", g.config, "configuration file ($NEWSWATCH_CONFIG when set)")
	fs.BoolVar(&g.verbose, "v", g.verbose, "debug logs")
	if g.logFormat == "" {
		g.logFormat = "auto"
	}
	fs.StringVar(&g.logFormat, "log-format", g.logFormat, "log format: auto (text on a terminal, else JSON), text or json")
}

// env is what a command runs with.
type env struct {
	globals
	stdout, stderr io.Writer
	log            *slog.Logger
	// zone is the configuration's time zone once it is loaded: log times
	// are written in it, as every other time newswatch prints.
	zone atomic.Pointer[time.Location]
	// now is the commands' clock; nil: the system's.
	now func() time.Time
}

// clock is the commands' clock, the one every app they open reads.
func (e *env) clock() func() time.Time {
	if e.now != nil {
		return e.now
	}
	return time.Now
}

type command struct {
	name    string
	usage   string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = []command{
	{"init", "init [-data DIR] [FILE | -]", "write a commented starter config, 0644 (never overwrites; - prints it)", cmdInit},
	{"run", "run [-listen ADDR] [-web-listen ADDR]", "daemon: fetch and send digests on their schedules", cmdRun},
	{"once", "once [-q]", "fetch, then deliver each digest whose scheduled slot has come (for system cron)", cmdOnce},
	{"fetch", "fetch [-source NAME] [-dry-run]", "fetch the sources now and show the new matches", cmdFetch},
	{"send", "send [-test [-to ADDR]] [NAME]", "compose and deliver digests now (all when no NAME), retrying pending ones first; -test: a test message only", cmdSend},
	{"preview", "preview [NAME] [-o FILE] [-format json]", "render a digest as send would, recording nothing (text to stdout, HTML to FILE, or the webhook JSON document)", cmdPreview},
	{"check", "check [-days N] [-item URL]", "validate the config, then backtest the keywords on stored items", cmdCheck},
	{"serve", "serve [-listen ADDR]", "serve the web console and API from the database, fetching and sending nothing", cmdServe},
	{"status", "status [-q]", "source health, pending and failed digests, next scheduled times", cmdStatus},
	{"discover", "discover URL", "list a web page's feeds as ready [[sources]] entries", cmdDiscover},
	{"opml", "opml import FILE | opml export", "print [[sources]] entries for an OPML file's feeds; write the configured feeds as OPML", cmdOPML},
	{"copy-db", "copy-db -to URL", "copy the database (items, health, digest history) into a new one, PostgreSQL usually", cmdCopyDB},
	{"templates", "templates [-dir DIR]", "print the built-in templates, or write them into DIR to edit", cmdTemplates},
	{"version", "version", "print the version", cmdVersion},
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("newswatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e.register(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { printUsage(stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		if hint := flagHint(fs, err); hint != "" {
			fmt.Fprintln(stderr, hint)
		}
		return exitUsage
	}
	if *showVersion {
		return report(e, cmdVersion(ctx, e, nil))
	}
	if fs.NArg() == 0 {
		printUsage(stderr)
		return exitUsage
	}
	name := fs.Arg(0)
	if name == "help" {
		printUsage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(ctx, e, fs.Args()[1:])
		return report(e, err)
	}
	names := make([]string, 0, len(commands)+1)
	for _, c := range commands {
		names = append(names, c.name)
	}
	fmt.Fprintf(stderr, "newswatch: unknown command %q%s\n\n", name, config.Suggest(name, append(names, "help")))
	printUsage(stderr)
	return exitUsage
}

// reworded is err said again in the user's words, still matching
// errors.Is and errors.As for it.
type reworded struct {
	msg string
	err error
}

func (e reworded) Error() string { return e.msg }
func (e reworded) Unwrap() error { return e.err }

// reword returns err with the message format gives, in place of its own.
func reword(err error, format string, args ...any) error {
	return reworded{fmt.Sprintf(format, args...), err}
}

// silentError is a failure the command has already shown as it should
// (or, for a health check, must not show): exit 1, nothing printed.
type silentError struct{ err error }

func (e silentError) Error() string { return e.err.Error() }
func (e silentError) Unwrap() error { return e.err }

func report(e *env, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var se silentError
	if errors.As(err, &se) {
		return exitFailure
	}
	var ue usageError
	var ce *app.ConfigError
	if errors.As(err, &ue) || errors.As(err, &ce) {
		fmt.Fprintf(e.stderr, "newswatch: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "newswatch: %v\n", err)
	return exitFailure
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: newswatch [-config FILE] [-v] [-log-format auto|text|json] COMMAND [ARGS]")
	fmt.Fprintln(w, "       newswatch help | -version")
	fmt.Fprintln(w)
	width := 0
	for _, c := range commands {
		width = max(width, len(c.usage))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.usage, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags (before or after the command):")
	fmt.Fprintln(w, "  -config FILE       configuration file (default $NEWSWATCH_CONFIG, else ./newswatch.toml)")
	fmt.Fprintln(w, "  -v                 debug logs")
	fmt.Fprintln(w, "  -log-format F      auto (text on a terminal, else JSON), text or json")
	fmt.Fprintln(w, "  -version           print the version")
	fmt.Fprintln(w, "  COMMAND -h         the command's own flags")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.")
}

// flagHint is a line naming the flag nearest to the unknown one of err,
// after the usage the flag package printed: "newswatch: unknown flag
// -tset (did you mean "-test"?)"; "" for any other error, or when no flag
// is near.
func flagHint(fs *flag.FlagSet, err error) string {
	bad, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return ""
	}
	bad = "-" + strings.TrimLeft(bad, "-")
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, "-"+f.Name) })
	if s := config.Suggest(bad, names); s != "" {
		return "newswatch: unknown flag " + bad + s
	}
	return ""
}

// flags returns a FlagSet for a command that also accepts the global flags.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("newswatch "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	e.register(fs)
	return fs
}

// parse parses a command's arguments, allowing flags after positional ones
// ("send Morning -v"), and sets up logging.
func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			if hint := flagHint(fs, err); hint != "" {
				fmt.Fprintln(e.stderr, hint)
			}
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	e.log = logging.New(e.stderr, e.level(), e.logFormat, e.zone.Load)
	// The standard logger (net/http's "Unsolicited response…" lines) goes
	// through the same handler, as warnings, so the JSON log stays JSON.
	slog.SetDefault(e.log)
	slog.SetLogLoggerLevel(slog.LevelWarn)
	return pos, nil
}

// reportLog is the logger of work whose outcome the command prints
// itself (a delivery run): without -v, its records would say each thing a
// second time.
func (e *env) reportLog() *slog.Logger {
	if e.verbose {
		return e.log
	}
	return slog.New(slog.DiscardHandler)
}

// level is the log level: one-shot commands print their results and log
// only warnings; the daemon logs a line per source and digest; -v adds debug.
func (g *globals) level() slog.Level {
	switch {
	case g.verbose:
		return slog.LevelDebug
	case g.daemon:
		return slog.LevelInfo
	}
	return slog.LevelWarn
}
