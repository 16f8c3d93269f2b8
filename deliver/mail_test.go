package deliver

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"newswatch/model"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func testMessage() model.Message {
	created := time.Date(2026, 3, 2, 6, 0, 5, 0, time.UTC)
	return model.Message{
		ID:        1,
		Digest:    "Morning brief",
		Slot:      time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC),
		MessageID: "digest.1.20260302T0700@newswatch.test",
		Subject:   "Morning brief, 2 March: 3 stories — Alibaba, 阿里巴巴, Cainiao",
		To:        []string{"analyst@example.org", "Ånalyst Zwei <two@example.org>"},
		Text:      "Alibaba\n\n* Cainiao and espionage\n  https://example.org/a?x=1&y=2\n",
		HTML:      "<!DOCTYPE html><html><body><h1 style=\"color:#333\">Alibaba — 阿里巴巴</h1><p>Cainiao</p></body></html>",
		Status:    model.MessagePending,
		Created:   created,
	}
}

// parsed is a message read back the way a mail client reads it.
type parsed struct {
	raw    []byte
	header netmail.Header
	lines  []string // the raw header lines, unfolded not
	parts  map[string]string
}

func parseEML(t *testing.T, raw []byte) parsed {
	t.Helper()
	p := parsed{raw: raw, parts: map[string]string{}}
	head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no blank line after the header:\n%s", raw)
	}
	p.lines = strings.Split(string(head), "\r\n")
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v\n%s", err, raw)
	}
	p.header = msg.Header
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	if mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %s, want multipart/alternative", mediaType)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		ct, cp, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("part Content-Type: %v", err)
		}
		if !strings.EqualFold(cp["charset"], "utf-8") {
			t.Errorf("part %s charset = %q, want UTF-8", ct, cp["charset"])
		}
		if got := part.Header.Get("Content-Transfer-Encoding"); got != "quoted-printable" {
			t.Errorf("part %s Content-Transfer-Encoding = %q", ct, got)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatalf("part %s: %v", ct, err)
		}
		p.parts[ct] = strings.ReplaceAll(string(body), "\r\n", "\n")
	}
	return p
}

func writeEML(t *testing.T, m model.Message, from string, loc *time.Location) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteEML(&b, m, from, loc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decodeSubject(t *testing.T, h netmail.Header) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatalf("decode Subject %q: %v", h.Get("Subject"), err)
	}
	return s
}

func TestNewMsgParts(t *testing.T) {
	m := testMessage()
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	p := parseEML(t, writeEML(t, m, "Newswatch Über <newswatch@example.org>", brussels))

	if got := decodeSubject(t, p.header); got != m.Subject {
		t.Errorf("Subject = %q, want %q", got, m.Subject)
	}
	if got := p.header.Get("Message-Id"); got != "<"+m.MessageID+">" {
		t.Errorf("Message-ID = %q", got)
	}
	if got := p.header.Get("Date"); got != "Mon, 02 Mar 2026 07:00:05 +0100" {
		t.Errorf("Date = %q, want the creation time in Europe/Brussels", got)
	}
	from, err := p.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Newswatch Über" || from[0].Address != "newswatch@example.org" {
		t.Errorf("From = %v (%v)", from, err)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 2 || to[1].Name != "Ånalyst Zwei" || to[1].Address != "two@example.org" {
		t.Errorf("To = %v (%v)", to, err)
	}
	if len(p.parts) != 2 {
		t.Fatalf("parts: %v, want text/plain and text/html", p.parts)
	}
	if got := p.parts["text/plain"]; got != m.Text {
		t.Errorf("text part = %q, want %q", got, m.Text)
	}
	if got := p.parts["text/html"]; got != m.HTML {
		t.Errorf("html part = %q, want %q", got, m.HTML)
	}
	for _, l := range p.lines {
		if len(l) > 78 {
			t.Errorf("header line of %d characters: %q", len(l), l)
		}
		for _, c := range []byte(l) {
			if c >= 0x80 {
				t.Errorf("header line with a raw non-ASCII byte: %q", l)
				break
			}
		}
	}
}

func TestNewMsgDeterministic(t *testing.T) {
	m := testMessage()
	a := writeEML(t, m, "n@example.org", time.UTC)
	b := writeEML(t, m, "n@example.org", time.UTC)
	if !bytes.Equal(a, b) {
		t.Errorf("the same message gives different bytes:\n%s\n---\n%s", a, b)
	}
}

func TestNewMsgRejectsBadInput(t *testing.T) {
	tests := map[string]func(*model.Message){
		"no recipient":        func(m *model.Message) { m.To = nil },
		"bad recipient":       func(m *model.Message) { m.To = []string{"not an address"} },
		"recipient with CRLF": func(m *model.Message) { m.To = []string{"a@example.org\r\nBcc: x@evil.example"} },
		"message-id with CRLF": func(m *model.Message) {
			m.MessageID = "a@b\r\nBcc: x@evil.example"
		},
		"message-id without @": func(m *model.Message) { m.MessageID = "digest-1" },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			m := testMessage()
			change(&m)
			if _, err := NewMsg(m, "n@example.org", nil); err == nil {
				t.Fatal("NewMsg accepted it")
			}
		})
	}
}

// TestSubjectInjection is fault case 16 (see internal/faulttest): whatever the title, one folded
// Subject header and no new header.
func TestSubjectInjection(t *testing.T) {
	long := strings.Repeat("Alibaba espionage ", 120) // ~2,000 characters
	tests := map[string]string{
		"crlf bcc":             "Digest\r\nBcc: x@evil.example",
		"lf bcc":               "Digest\nBcc: x@evil.example",
		"cr only":              "Digest\rBcc: x@evil.example",
		"crlf crlf body":       "Digest\r\n\r\nbody injected",
		"html entities":        "Digest&#13;&#10;Bcc: x@evil.example",
		"encoded crlf q":       "=?UTF-8?q?Digest=0D=0ABcc:_x@evil.example?=",
		"encoded crlf b":       "=?UTF-8?B?" + "RGlnZXN0DQpCY2M6IHhAZXZpbC5leGFtcGxl" + "?=",
		"unicode separators":   "Digest\u2028Bcc: x@evil.example\u0085Cc: y@evil.example",
		"nul and escape":       "Digest\x00\x1b[31mred\x7f",
		"2000 chars":           long,
		"2000 chars no spaces": strings.Repeat("A", 2000),
		"2000 non-ascii":       strings.Repeat("阿里巴巴", 500),
		"bidi override":        "Invoice \u202Egpj.exe",
		"invalid utf-8":        "Digest \xff\xfe Bcc: x",
	}
	for name, subject := range tests {
		t.Run(name, func(t *testing.T) {
			m := testMessage()
			m.Subject = subject
			raw := writeEML(t, m, "n@example.org", time.UTC)
			p := parseEML(t, raw)

			subjects, bccs := 0, 0
			for _, l := range p.lines {
				lower := strings.ToLower(l)
				if strings.HasPrefix(lower, "subject:") {
					subjects++
				}
				if strings.HasPrefix(lower, "bcc:") || strings.HasPrefix(lower, "cc:") {
					bccs++
				}
				if len(l) > 78 {
					t.Errorf("header line of %d characters", len(l))
				}
			}
			if subjects != 1 || len(p.header["Subject"]) != 1 {
				t.Errorf("%d Subject lines (%d parsed), want 1", subjects, len(p.header["Subject"]))
			}
			if bccs != 0 || p.header.Get("Bcc") != "" || p.header.Get("Cc") != "" {
				t.Errorf("an injected Bcc/Cc header made it:\n%s", raw)
			}
			if len(p.parts) != 2 {
				t.Errorf("body parts: %d, want 2", len(p.parts))
			}
			got := decodeSubject(t, p.header)
			if strings.ContainsFunc(got, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u202E' }) {
				t.Errorf("decoded subject keeps a control character: %q", got)
			}
			if n := utf8.RuneCountInString(got); n > MaxSubject {
				t.Errorf("subject of %d characters, want at most %d", n, MaxSubject)
			}
			if got != SafeSubject(subject) {
				t.Errorf("decoded subject %q, want %q", got, SafeSubject(subject))
			}
		})
	}
}

func TestSafeSubject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Morning brief: 3 stories", "Morning brief: 3 stories"},
		{"  a \t\r\n b  ", "a b"},
		{"=?UTF-8?q?Caf=C3=A9?= news", "Café news"},
		{"=?UTF-8?q?a=0D=0ABcc:_x?=", "a Bcc: x"},
		{"", "(no subject)"},
		{"\r\n", "(no subject)"},
		{strings.Repeat("x", 300), strings.Repeat("x", MaxSubject-1) + "…"},
	}
	for _, tt := range tests {
		if got := SafeSubject(tt.in); got != tt.want {
			t.Errorf("SafeSubject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEncodeSubjectRoundTrip checks that what a mail client decodes is the
// safe subject, character for character, in both encodings.
func TestEncodeSubjectRoundTrip(t *testing.T) {
	subjects := []string{
		"Morning brief, 2 March: 3 stories (Alibaba, Cainiao)",
		"Alibaba — 阿里巴巴 and Cainiao: zero-days, sanctions",
		"literal =?UTF-8?q?x?= in a title",
		"under_score and =equals= ?question? \"quotes\" (parens)",
		strings.Repeat("word ", 40),
		strings.Repeat("Ä", 249),
		"emoji 🛰️ satellites",
	}
	for _, s := range subjects {
		s = SafeSubject(s)
		v := encodeSubject(s)
		raw := "Subject: " + v + "\r\n\r\n"
		r := textproto.NewReader(bufio.NewReader(strings.NewReader(raw)))
		h, err := r.ReadMIMEHeader()
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		got, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got != s {
			t.Errorf("round trip:\n got %q\nwant %q\n raw %q", got, s, v)
		}
		for _, l := range strings.Split(strings.TrimSuffix(raw, "\r\n\r\n"), "\r\n") {
			if len(l) > 76 {
				t.Errorf("line of %d characters: %q", len(l), l)
			}
		}
	}
}
