package deliver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io/fs"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"

	"newswatch/config"
	"newswatch/internal/atomicfile"
	"newswatch/model"
	"newswatch/store"
)

// DefaultFileFrom is the From of messages the file sender writes, unless
// WithFrom says otherwise.
const DefaultFileFrom = "newswatch <newswatch@localhost>"

type fileSender struct {
	dir  string
	opts senderOptions
}

// NewFileSender returns a Sender that writes each message into dir, for
// use without [smtp]: <dir>/<digest>/<YYYY-MM-DD-HHMM>.eml, the RFC 5322
// message NewMsg builds, and .html beside it, the HTML part. The name comes
// from the message's slot (else its creation time) in the digest's zone
// (WithZones) and the digest name made safe for a file name.
//
// Each file is written to a temporary file, synced, then renamed, the
// .html first and the .eml last, so a complete .eml means a complete pair.
// Sending the same message again (same Message-ID) finds its .eml and
// changes nothing; another message for the same minute gets "-2", "-3", ...
// Options other than WithZones and WithFrom are ignored.
func NewFileSender(dir string, opts ...Option) Sender {
	f := &fileSender{dir: dir, opts: senderOptions{from: DefaultFileFrom}}
	for _, o := range opts {
		o(&f.opts)
	}
	return f
}

// Send writes m. See NewFileSender.
func (f *fileSender) Send(ctx context.Context, m model.Message) error {
	if err := ctx.Err(); err != nil {
		return &SendError{Temporary: true, Err: fmt.Errorf("file: %w", err)}
	}
	loc := f.opts.location(m.Digest)
	var eml bytes.Buffer
	if err := WriteEML(&eml, m, f.opts.from, loc); err != nil {
		return &SendError{Err: fmt.Errorf("file: %w", err)}
	}
	id, _ := cleanMessageID(m.MessageID) // WriteEML checked it
	page := m.HTML
	if page == "" {
		page = "<!DOCTYPE html>\n<pre>" + html.EscapeString(m.Text) + "</pre>\n"
	}

	t := m.Slot
	if t.IsZero() {
		t = m.Created
	}
	if loc != nil {
		t = t.In(loc)
	}
	dir := filepath.Join(f.dir, config.FolderName(m.Digest))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &SendError{Temporary: true, Err: fmt.Errorf("file: %w", err)}
	}
	// Written only while a lease held on the message (ctx of a store
	// Hold) is still this sender's.
	if err := store.CheckHeld(ctx); err != nil {
		return &SendError{Temporary: true, Err: fmt.Errorf("file: not written: %w", err)}
	}
	base := t.Format("2006-01-02-1504")
	for n := 1; n <= 100; n++ {
		name := base
		if n > 1 {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		emlPath := filepath.Join(dir, name+".eml")
		htmlPath := filepath.Join(dir, name+".html")
		have, err := readMessageID(emlPath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := atomicfile.Write(htmlPath, []byte(page), 0o644); err != nil {
				return &SendError{Temporary: true, Err: fmt.Errorf("file: %w", err)}
			}
			if err := atomicfile.Write(emlPath, eml.Bytes(), 0o644); err != nil {
				return &SendError{Temporary: true, Err: fmt.Errorf("file: %w", err)}
			}
			return nil
		case err != nil:
			return &SendError{Temporary: true, Err: fmt.Errorf("file: %w", err)}
		case have == id:
			return nil // written before
		}
	}
	return &SendError{Err: fmt.Errorf("file: %s: no free name for %s", dir, base)}
}

// readMessageID returns the Message-ID of the message file at path.
func readMessageID(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	msg, err := netmail.ReadMessage(bufio.NewReader(fh))
	if err != nil {
		// Not a message we wrote: leave it, take another name.
		return "", nil
	}
	return strings.Trim(strings.TrimSpace(msg.Header.Get("Message-Id")), "<>"), nil
}
