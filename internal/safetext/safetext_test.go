package safetext

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, ünïcode 早报", "plain text, ünïcode 早报"},
		{"\x1b[2J\x1b[Hcleared", `\x1b[2J\x1b[Hcleared`},
		{"a\r\nFAKE 200 OK", `a\r\nFAKE 200 OK`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"c1 \u009b31m", `c1 \x9b31m`},
		{"bad \xff byte", `bad \xff byte`},
	}
	for _, tt := range tests {
		if got := Line(tt.in); got != tt.want {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestErrorKeepsChain(t *testing.T) {
	err := Error(errors.Join(io.ErrUnexpectedEOF, errors.New("x\x1b[31m")))
	if err.Error() != "unexpected EOF\\nx\\x1b[31m" {
		t.Errorf("message %q", err.Error())
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("errors.Is does not see the wrapped error")
	}
	if Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
	if e := errors.New("clean"); Error(e) != e {
		t.Error("a clean error is wrapped")
	}
}

func TestShort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"早报早报早报", 4, "早报早…"},
		{"a word  split", 8, "a word…"},
	} {
		if got := Short(tc.in, tc.n); got != tc.want {
			t.Errorf("Short(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	big := strings.Repeat("Supercalifragilistic", 52000)
	if got := Short(big, 300); utf8.RuneCountInString(got) != 300 {
		t.Errorf("a 1 MB title cut to %d characters, want 300", utf8.RuneCountInString(got))
	}
}
