package deliver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"newswatch/model"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wneessen/go-mail"
)

// MaxSubject is the longest subject, in characters, a digest mail carries;
// longer ones are cut and end in "…".
const MaxSubject = 250

// ErrBadMessage reports an outbox message that cannot become a mail: a
// malformed address or Message-ID. Sending it again would not help.
var ErrBadMessage = errors.New("digest: malformed message")

// NewMsg builds the mail for an outbox message: multipart/alternative with
// the text part then the HTML part (UTF-8, quoted-printable), From from,
// To the message's recipients, Message-ID m.MessageID, Date m.Created in loc
// (nil: as stored). The subject is made safe by [SafeSubject] and written
// RFC 2047-encoded and folded when needed, so that whatever the input it is
// one Subject header; display names are encoded the same way.
func NewMsg(m model.Message, from string, loc *time.Location) (*mail.Msg, error) {
	fromAddr, err := parseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("%w: from %q: %w", ErrBadMessage, from, err)
	}
	to, err := parseAddresses(m.To)
	if err != nil {
		return nil, err
	}
	id, err := cleanMessageID(m.MessageID)
	if err != nil {
		return nil, err
	}

	msg := mail.NewMsg(
		mail.WithCharset(mail.CharsetUTF8),
		mail.WithEncoding(mail.EncodingQP),
		mail.WithNoDefaultUserAgent(),
		mail.WithBoundary(boundary(id, m)),
	)
	msg.FromMailAddress(fromAddr)
	msg.ToMailAddress(to...)
	msg.SetMessageIDWithValue(id)
	created := m.Created
	if loc != nil {
		created = created.In(loc)
	}
	msg.SetDateWithValue(created)
	msg.SetGenHeaderPreformatted(mail.HeaderSubject, encodeSubject(SafeSubject(m.Subject)))
	// A digest is machine-sent: no vacation replies, no bounces to humans.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBulk()
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// WriteEML writes the RFC 5322 message NewMsg builds for m to w.
func WriteEML(w io.Writer, m model.Message, from string, loc *time.Location) error {
	msg, err := NewMsg(m, from, loc)
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(w); err != nil {
		return fmt.Errorf("write message %s: %w", m.MessageID, err)
	}
	return nil
}

// boundary derives the multipart boundary from the message, so the same
// message always gives the same bytes.
func boundary(id string, m model.Message) string {
	h := sha256.New()
	for _, s := range []string{id, m.Text, m.HTML} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "newswatch-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// SafeSubject returns s as a subject can carry it: RFC 2047 encoded-words
// decoded first (so that an encoded CR LF is seen), then every control
// character, line or paragraph separator and run of white space turned
// into one space, invalid UTF-8 dropped, and the result cut to MaxSubject
// characters ending in "…".
func SafeSubject(s string) string {
	s = strings.ToValidUTF8(s, "")
	if strings.Contains(s, "=?") {
		if dec, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
			s = strings.ToValidUTF8(dec, "")
		}
	}
	s = cleanText(s)
	if utf8.RuneCountInString(s) > MaxSubject {
		r := []rune(s)[:MaxSubject-1]
		s = strings.TrimRight(string(r), " ") + "…"
	}
	if s == "" {
		s = "(no subject)"
	}
	return s
}

// cleanText collapses control characters and white space into single
// spaces and trims the ends.
func cleanText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if isBidiControl(r) {
			continue
		}
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' || r == '\uFEFF' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// isBidiControl reports the embedding, override and isolate controls,
// which can make a subject display as something else than it is.
func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

// Header lines stay within 76 characters (RFC 2047 §2), the first one
// after "Subject: ".
const (
	lineMax       = 76
	subjectPrefix = len("Subject: ")
	longestWord   = 60
)

// encodeSubject returns the folded header value for a subject already
// cleaned by SafeSubject. Plain ASCII is folded at spaces; anything else
// (non-ASCII, a word too long to fold, text that looks like an
// encoded-word) becomes a series of Q encoded-words, one per line.
func encodeSubject(s string) string {
	if plainSubject(s) {
		var b strings.Builder
		n := subjectPrefix
		for i, w := range strings.Split(s, " ") {
			switch {
			case i == 0:
			case n+1+len(w) > lineMax:
				b.WriteString("\r\n")
				n = 1
			default:
				n++
			}
			b.WriteByte(' ')
			b.WriteString(w)
			n += len(w)
		}
		return b.String()[1:]
	}
	const open, close = "=?UTF-8?q?", "?="
	var lines []string
	var word strings.Builder
	budget := lineMax - subjectPrefix
	flush := func() {
		lines = append(lines, open+word.String()+close)
		word.Reset()
		budget = lineMax - 1 // the folding space
	}
	for _, r := range s {
		enc := qEncodeRune(r)
		if len(open)+word.Len()+len(enc)+len(close) > budget {
			flush()
		}
		word.WriteString(enc)
	}
	if word.Len() > 0 {
		flush()
	}
	return strings.Join(lines, "\r\n ")
}

func plainSubject(s string) bool {
	if strings.Contains(s, "=?") {
		return false
	}
	for _, w := range strings.Split(s, " ") {
		if len(w) > longestWord {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// qEncodeRune encodes r for a Q encoded-word in a phrase (RFC 2047 §5(3)):
// letters, digits and !*+-/ stay, a space becomes "_", everything else =XX.
func qEncodeRune(r rune) string {
	switch {
	case r == ' ':
		return "_"
	case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!*+-/", r)):
		return string(r)
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	var b strings.Builder
	for _, c := range buf[:n] {
		fmt.Fprintf(&b, "=%02X", c)
	}
	return b.String()
}

func parseAddress(s string) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	// The name is written RFC 2047-encoded by net/mail when needed; clean
	// it so that a decoded CR LF cannot reach a mail client either.
	a.Name = cleanText(a.Name)
	return a, nil
}

func parseAddresses(list []string) ([]*netmail.Address, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: no recipient", ErrBadMessage)
	}
	out := make([]*netmail.Address, 0, len(list))
	for _, s := range list {
		a, err := parseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("%w: recipient %q: %w", ErrBadMessage, s, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// cleanMessageID returns the Message-ID without angle brackets, refusing
// one that could break the header.
func cleanMessageID(id string) (string, error) {
	id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	at := strings.IndexByte(id, '@')
	bad := at <= 0 || at == len(id)-1 || strings.ContainsFunc(id, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune("<>()[]\\,;:\"", r)
	})
	if bad {
		return "", fmt.Errorf("%w: Message-ID %q", ErrBadMessage, id)
	}
	return id, nil
}
