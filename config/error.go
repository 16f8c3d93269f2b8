package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Error is one problem in a configuration file. Load and Parse return all of
// them at once, joined with errors.Join; use errors.As to get at one.
type Error struct {
	File string // the path as given to Load or Parse
	Line int    // 1-based; 0 when the problem has no line (a default value)
	Key  string // TOML path such as digests[0].schedule or http.timeout; "" for syntax errors without one
	Msg  string
	Err  error // the underlying cause, if any
}

// Error reads like "newswatch.toml:42: sources[3].links: required when page is set".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// checker collects the errors and warnings of one file.
type checker struct {
	file  string
	ix    *index
	errs  []*Error
	warns []*Error
	// bad holds the keys already reported as unknown or of the wrong type:
	// a later rule about them or their children would only repeat that.
	bad []string
}

// reported reports whether key is, or lies under, a key in c.bad.
func (c *checker) reported(key string) bool {
	return underAny(key, c.bad)
}

func (c *checker) newError(key string, err error, format string, args ...any) *Error {
	return &Error{File: c.file, Line: c.ix.lineOf(key), Key: key, Msg: fmt.Sprintf(format, args...), Err: err}
}

// errorf records a problem at key.
func (c *checker) errorf(key, format string, args ...any) {
	if c.reported(key) {
		return
	}
	c.errs = append(c.errs, c.newError(key, nil, format, args...))
}

// wrap records a problem at key caused by err.
func (c *checker) wrap(key string, err error, format string, args ...any) {
	if c.reported(key) {
		return
	}
	c.errs = append(c.errs, c.newError(key, err, format, args...))
}

// warnf records a warning at key.
func (c *checker) warnf(key, format string, args ...any) {
	if c.reported(key) {
		return
	}
	c.warns = append(c.warns, c.newError(key, nil, format, args...))
}

// err joins the problems in file order.
func (c *checker) err() error {
	byLine(c.errs)
	errs := make([]error, len(c.errs))
	for i, e := range c.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// warnings formats the warnings in file order.
func (c *checker) warnings() []string {
	byLine(c.warns)
	out := make([]string, len(c.warns))
	for i, w := range c.warns {
		out[i] = w.Error()
	}
	return out
}

func byLine(list []*Error) {
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
}

// decodeError turns an error of the TOML decoder into an *Error with the
// decoder's line and, when the document can be indexed, the key's full path.
func decodeError(file string, data []byte, err error) *Error {
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return &Error{File: file, Msg: "cannot decode", Err: err}
	}
	line, _ := de.Position()
	key := strings.Join(de.Key(), ".")
	if ix, err := buildIndex(data); err == nil {
		key = ix.qualify(line, key)
	}
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	if strings.Contains(msg, "cannot have new lines") || strings.Contains(msg, "unterminated") {
		msg += " (unterminated string? a closing quote is missing)"
	}
	return &Error{File: file, Line: line, Key: key, Msg: msg}
}
