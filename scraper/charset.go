package scraper

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	xunicode "golang.org/x/text/encoding/unicode"
)

// htmlContentType completes a Content-Type for colly, which converts to
// UTF-8 only by the charset parameter: a missing (or octet-stream) type is
// sniffed, and an HTML type without charset gets the one the page declares
// (<meta charset>, byte order mark), else UTF-8 when the bytes are, else
// windows-1252, as browsers do.
func htmlContentType(ct string, body []byte) string {
	if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(mt) == "" || strings.EqualFold(strings.TrimSpace(mt), "application/octet-stream") {
		ct = http.DetectContentType(body)
		if isHTML(ct) {
			// Sniffed HTML always comes as "charset=utf-8": a guess, not
			// a label, which must not hide the page's own declaration.
			ct, _, _ = strings.Cut(ct, ";")
		}
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !isHTML(mt) {
		return ct
	}
	if _, name, _ := charset.DetermineEncoding(body, ct); params["charset"] == "" && name != "" {
		params["charset"] = name
		if s := mime.FormatMediaType(mt, params); s != "" {
			return s
		}
	}
	return ct
}

func isHTML(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// toUTF8 returns the feed body as UTF-8 XML (or JSON) that encoding/xml will
// read without a charset conversion of its own and without failing on
// characters XML forbids. body is not modified; the result may alias it.
//
// The encoding is taken from, in order: a byte order mark; otherwise, bytes
// that are valid UTF-8 are UTF-8 (ISO-2022 aside); otherwise the Content-Type
// charset, then the XML prolog's encoding; otherwise, text with valid UTF-8
// sequences is UTF-8 with some bad bytes, and text with none is windows-1252.
func toUTF8(body []byte, contentType string) []byte {
	data, decided := decodeBOM(body)
	if !decided {
		declared := prologEncoding(data)
		ct := contentTypeCharset(contentType)
		if !utf8.Valid(data) || isISO2022(declared) || isISO2022(ct) {
			data = decodeLegacy(data, ct, declared)
		}
	}
	data = fixPrologEncoding(data)
	return sanitizeXML(data)
}

func decodeBOM(b []byte) ([]byte, bool) {
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:], utf8.Valid(b[3:])
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		enc, b = xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM), b[2:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		enc, b = xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM), b[2:]
	case bytes.HasPrefix(b, []byte{0, '<', 0, '?'}):
		enc = xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM)
	case bytes.HasPrefix(b, []byte{'<', 0, '?', 0}):
		enc = xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM)
	default:
		return b, false
	}
	if out, err := enc.NewDecoder().Bytes(b); err == nil {
		return out, true
	}
	return b, false
}

func isISO2022(label string) bool {
	return strings.HasPrefix(strings.ToLower(label), "iso-2022")
}

func decodeLegacy(b []byte, labels ...string) []byte {
	for _, label := range labels {
		if label == "" {
			continue
		}
		enc, name := charset.Lookup(label)
		if enc == nil || name == "utf-8" {
			continue
		}
		if out, err := enc.NewDecoder().Bytes(b); err == nil {
			return out
		}
	}
	if hasMultibyteUTF8(b) {
		return bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	enc, _ := charset.Lookup("windows-1252")
	if out, err := enc.NewDecoder().Bytes(b); err == nil {
		return out
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

func hasMultibyteUTF8(b []byte) bool {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			return true
		}
		i += size
	}
	return false
}

func contentTypeCharset(ct string) string {
	if ct == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(params["charset"])
}

// prolog returns the XML declaration at the start of b (after whitespace),
// as the byte offsets of "<?xml" and just past "?>".
func prolog(b []byte) (start, end int, ok bool) {
	start = len(b) - len(bytes.TrimLeft(b, " \t\r\n"))
	if !bytes.HasPrefix(b[start:], []byte("<?xml")) {
		return 0, 0, false
	}
	head := b[start:min(len(b), start+512)]
	i := bytes.Index(head, []byte("?>"))
	if i < 0 {
		return 0, 0, false
	}
	return start, start + i + 2, true
}

func prologEncoding(b []byte) string {
	start, end, ok := prolog(b)
	if !ok {
		return ""
	}
	decl := b[start:end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' && rest[0] != '\'' {
		return ""
	}
	j := bytes.IndexByte(rest[1:], rest[0])
	if j < 0 {
		return ""
	}
	return string(rest[1 : 1+j])
}

// fixPrologEncoding makes the XML declaration of UTF-8 data say UTF-8, so
// encoding/xml does not convert it a second time.
func fixPrologEncoding(b []byte) []byte {
	enc := prologEncoding(b)
	if enc == "" || strings.EqualFold(enc, "utf-8") || strings.EqualFold(enc, "utf8") {
		return b
	}
	start, end, _ := prolog(b)
	decl := []byte(`<?xml version="1.0" encoding="UTF-8"?>`)
	out := make([]byte, 0, len(b)-(end-start)+len(decl))
	out = append(out, decl...)
	return append(out, b[end:]...)
}
