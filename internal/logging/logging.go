// Package logging builds newswatch's loggers (log/slog): text when the
// output is a terminal, JSON otherwise (or as asked); every time (the
// record's and those it carries) in the configuration's zone once it is
// known; in JSON, durations as
// seconds with decimals ("duration":1.234), as /healthz gives them,
// rather than slog's integer nanoseconds.
package logging

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// New returns a logger writing to w from level up, in format "json",
// "text", or anything else for text on a terminal and JSON otherwise.
// zone, when it returns a location, is the zone of the records' times.
func New(w io.Writer, level slog.Level, format string, zone func() *time.Location) *slog.Logger {
	json := true
	switch strings.ToLower(format) {
	case "json":
	case "text":
		json = false
	default:
		json = !IsTerminal(w)
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		switch {
		case a.Value.Kind() == slog.KindTime:
			if loc := zone(); loc != nil {
				a.Value = slog.TimeValue(a.Value.Time().In(loc))
			}
		case json && a.Value.Kind() == slog.KindDuration:
			a.Value = slog.Float64Value(a.Value.Duration().Seconds())
		}
		return a
	}}
	if json {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// IsTerminal says whether w is a terminal (not a file, a pipe, or a
// character device such as /dev/null).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
