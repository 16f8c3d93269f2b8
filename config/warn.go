package config

import (
	"slices"
	"strings"
	"unicode"
)

// warn records settings that are valid but probably not what was meant.
func (c *checker) warn(cfg *Config) {
	c.sharedAliases(cfg.Companies)
	for i, t := range cfg.Topics {
		c.redundantTerms(indexPath("topics", i)+".terms", t.Terms)
	}
	c.emptySections(cfg)
}

// sharedAliases warns when a name or alias belongs to two companies: every
// item that mentions it then counts for both.
func (c *checker) sharedAliases(list []Company) {
	owner := map[string]int{} // folded name or alias → company index
	for i, co := range list {
		k := indexPath("companies", i)
		c.claim(owner, list, i, k+".name", co.Name)
		for j, a := range co.Aliases {
			c.claim(owner, list, i, indexPath(k+".aliases", j), a)
		}
	}
}

func (c *checker) claim(owner map[string]int, list []Company, i int, key, alias string) {
	f := fold(alias)
	if f == "" {
		return
	}
	o, ok := owner[f]
	if !ok {
		owner[f] = i
		return
	}
	if o != i {
		c.warnf(key, "%q also names company %q: items that mention it count for both", alias, list[o].Name)
	}
}

// redundantTerms warns about a term that can never add a match because a
// shorter term of the same topic occurs, as whole words, inside it.
func (c *checker) redundantTerms(key string, terms []string) {
	for j, long := range terms {
		for i, short := range terms {
			if i == j || short == "" || long == "" || !subPhrase(short, long) {
				continue
			}
			if fold(short) == fold(long) {
				if i < j {
					c.warnf(indexPath(key, j), "%q repeats %s", long, indexPath(key, i))
					break
				}
				continue
			}
			c.warnf(indexPath(key, j), "%q is redundant: %q (%s) already matches wherever it does", long, short, indexPath(key, i))
			break
		}
	}
}

// subPhrase reports whether short occurs inside long as whole words, under
// the matching rules of SPEC §3: case-insensitive unless short is written in
// capitals, substrings for scripts written without spaces.
func subPhrase(short, long string) bool {
	if !allCaps(short) {
		short, long = strings.ToLower(short), strings.ToLower(long)
	}
	if strings.ContainsFunc(short, spaceless) {
		return strings.Contains(long, short)
	}
	sw, lw := words(short), words(long)
	if len(sw) == 0 {
		return false
	}
	for i := 0; i+len(sw) <= len(lw); i++ {
		if slices.Equal(lw[i:i+len(sw)], sw) {
			return true
		}
	}
	return false
}

func allCaps(s string) bool {
	return strings.ContainsFunc(s, unicode.IsUpper) && !strings.ContainsFunc(s, unicode.IsLower)
}

func spaceless(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func (c *checker) emptySections(cfg *Config) {
	if len(cfg.Sources) == 0 {
		c.warnf("sources", "no [[sources]]: nothing will be fetched")
	}
	if len(cfg.Companies) == 0 {
		c.warnf("companies", "no [[companies]]: nothing can match")
	}
	needTopics := slices.ContainsFunc(cfg.Companies, func(co Company) bool { return !co.AllNews })
	if len(cfg.Topics) == 0 && needTopics {
		c.warnf("topics", "no [[topics]]: only companies with all_news = true can match")
	}
	if len(cfg.Digests) == 0 {
		c.warnf("digests", "no [[digests]]: matches are stored but never sent")
	}
}
