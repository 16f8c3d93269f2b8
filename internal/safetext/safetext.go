// Package safetext makes network-derived text safe to print on a terminal
// and to store as an error message: a server controls its status text, its
// TLS certificate's host names and the messages it answers with, and any of
// them may hold escape sequences (clear the screen, move the cursor), line
// breaks that fake a log line, or bidi controls that reorder what is shown.
//
// Line is the one rule: every such character is shown as a visible Go
// escape ("\x1b", "\r", "\n", "\u202e"), everything else is kept. Error
// applies it to an error's message and keeps the error chain for errors.Is
// and errors.As.
package safetext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Line returns s as one printable line: C0 and C1 control characters
// (line breaks and tab included), DEL, bidi embeddings, overrides and
// isolates, and invalid UTF-8 bytes become visible escapes. Clean text is
// returned as is.
func Line(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unsafe(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafe(r) {
			return false
		}
		i += size
	}
	return true
}

// unsafe reports the runes Line escapes.
func unsafe(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// Error returns err with its message passed through Line; errors.Is and
// errors.As see the original chain. nil stays nil, and an error whose
// message is clean is returned as is.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean(msg) {
		return err
	}
	return &lineError{msg: Line(msg), err: err}
}

type lineError struct {
	msg string
	err error
}

func (e *lineError) Error() string { return e.msg }
func (e *lineError) Unwrap() error { return e.err }

// Short returns s cut to at most n characters, the last of them "…" when
// it was cut (a feed can send a megabyte of title). Cuts fall between
// characters, never inside one.
func Short(s string, n int) string {
	if n < 1 || utf8.RuneCountInString(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n-1 {
			return strings.TrimSpace(s[:i]) + "…"
		}
		count++
	}
	return s
}
