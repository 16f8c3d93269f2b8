package config

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Slug is a digest's identity: the left part of its Message-IDs
// ("<slug.slot@domain>"). It is lower-case ASCII letters and digits with
// single '-' between runs of anything else, so "Morning brief" and
// "Morning-brief" share "morning-brief" (and validation refuses the pair).
// A name holding letters or digits outside ASCII ("早报", "Café") gets
// "-" and 8 hex digits of a hash of its normalised, lower-case form
// appended ("digest-…" when nothing ASCII is left): distinct for distinct
// names and the same on every run, where dropping those letters would
// give every such digest the same identity.
func Slug(name string) string {
	folded := strings.ToLower(norm.NFKC.String(strings.Join(strings.Fields(name), " ")))
	var b strings.Builder
	dash, other := false, false
	for _, r := range folded {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
			continue
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			other = true
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if other {
		sum := sha256.Sum256([]byte(folded))
		if out == "" {
			out = "digest"
		}
		return out + "-" + hex.EncodeToString(sum[:4])
	}
	if out == "" {
		return "digest"
	}
	return out
}

// FolderName is the folder under output.dir that holds a digest's files:
// letters (any script), digits, '.', '_' and '-' stay, any other run of
// characters becomes one '-', leading and trailing dots and dashes go (so
// no "..", no hidden folder), and the result is at most 80 bytes; "digest"
// when nothing is left. Validation refuses two digests whose folders
// differ only in case, as they are one folder on some file systems.
func FolderName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-' {
			if dash {
				b.WriteByte('-')
				dash = false
			}
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := strings.Trim(b.String(), ".-")
	for len(s) > 80 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	s = strings.Trim(s, ".-")
	if s == "" {
		return "digest"
	}
	return s
}

// identities finds digests that would share a Message-ID or an output
// folder: the second would count as already written and its stories would
// never be delivered.
type identities map[string]identityUse // "id:slug" or "dir:folded folder" → first use

type identityUse struct{ key, name string }

func (c *checker) identity(seen identities, key, name string) {
	if name == "" {
		return
	}
	ids := []struct{ what, value string }{
		{"Message-ID identity", Slug(name)},
		{"output folder", strings.ToLower(FolderName(name))},
	}
	for _, id := range ids {
		if first, ok := seen[id.what+":"+id.value]; ok {
			if fold(first.name) == fold(name) {
				return // reported as a duplicate name
			}
			c.errorf(key, "%q would share its %s %q with %s %q at %s:%d: rename one of them",
				name, id.what, id.value, parentPath(first.key), first.name, c.file, c.ix.lineOf(first.key))
			return
		}
	}
	for _, id := range ids {
		seen[id.what+":"+id.value] = identityUse{key, name}
	}
}
