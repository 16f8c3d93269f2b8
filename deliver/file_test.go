package deliver

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func TestFileSender(t *testing.T) {
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := NewFileSender(dir, WithZones(func(string) *time.Location { return brussels }), WithFrom("Newswatch <n@example.org>"))
	m := testMessage() // slot 06:00 UTC = 07:00 in Brussels

	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want := []string{"Morning-brief/2026-03-02-0700.eml", "Morning-brief/2026-03-02-0700.html"}
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}

	raw, err := os.ReadFile(filepath.Join(dir, want[0]))
	if err != nil {
		t.Fatal(err)
	}
	p := parseEML(t, raw)
	if len(p.parts) != 2 || p.parts["text/plain"] != m.Text || p.parts["text/html"] != m.HTML {
		t.Errorf("parts: %q", p.parts)
	}
	if got := decodeSubject(t, p.header); got != m.Subject {
		t.Errorf("Subject = %q", got)
	}
	if got := p.header.Get("Message-Id"); got != "<"+m.MessageID+">" {
		t.Errorf("Message-ID = %q", got)
	}
	page, err := os.ReadFile(filepath.Join(dir, want[1]))
	if err != nil {
		t.Fatal(err)
	}
	if string(page) != m.HTML {
		t.Errorf(".html = %q, want the HTML part", page)
	}

	// Sending it again (a retry after a crash) writes no second pair.
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after a second send: %v, want %v", got, want)
	}

	// Another message in the same minute gets its own pair.
	other := m
	other.MessageID = "digest.2@newswatch.test"
	other.Slot = m.Slot.Add(30 * time.Second)
	if err := s.Send(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	want = append(want, "Morning-brief/2026-03-02-0700-2.eml", "Morning-brief/2026-03-02-0700-2.html")
	slices.Sort(want)
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after another message: %v, want %v", got, want)
	}
}

func TestFileSenderTextOnlyAndUnsafeName(t *testing.T) {
	dir := t.TempDir()
	m := testMessage()
	m.Digest = "../../escape"
	m.HTML = ""
	m.Text = "a <b> & c"
	if err := NewFileSender(dir).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := listDir(t, dir)
	want := []string{"escape/2026-03-02-0600.eml", "escape/2026-03-02-0600.html"}
	if !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	page, _ := os.ReadFile(filepath.Join(dir, want[1]))
	if !strings.Contains(string(page), "a &lt;b&gt; &amp; c") {
		t.Errorf(".html of a text-only message: %s", page)
	}
}

func TestFileSenderBadMessageIsPermanent(t *testing.T) {
	dir := t.TempDir()
	m := testMessage()
	m.MessageID = "no-at-sign"
	err := NewFileSender(dir).Send(context.Background(), m)
	if se := sendErr(t, err); se.Temporary {
		t.Errorf("got temporary %v", err)
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("files written: %v", got)
	}
}
