package config

import (
	"newswatch/match"
	"slices"
	"strings"
)

// warn records settings that are valid but probably not what was meant.
func (c *checker) warn(cfg *Config) {
	c.sharedAliases(cfg.Companies)
	for i, t := range cfg.Topics {
		c.redundantTerms(indexPath("topics", i)+".terms", t.Terms)
	}
	c.emptySections(cfg)
	c.sharedZone(cfg)
}

// sharedZone warns when a PostgreSQL database, which several daemons may
// share, goes with digests scheduled in the machine's own zone: daemons on
// machines set to different zones would each send at their own 07:00.
func (c *checker) sharedZone(cfg *Config) {
	if cfg.Timezone != "" || !IsPostgres(cfg.Database) {
		return
	}
	for i, d := range cfg.Digests {
		if d.Timezone == "" {
			c.warnf("database", "PostgreSQL, which several daemons may share, and no timezone: digests[%d] %q is scheduled in each daemon's machine zone, so daemons on machines set to different zones send it at different times; set timezone (e.g. \"Europe/Berlin\")", i, d.Name)
			return
		}
	}
}

// sharedAliases warns when a name or alias belongs to two companies: every
// item that mentions it then counts for both. Two aliases are the same when
// the matcher sees the same words in them (NFKC, case folded, ’ and ' alike).
func (c *checker) sharedAliases(list []Company) {
	owner := map[string]int{} // words of a name or alias → company index
	for i, co := range list {
		k := indexPath("companies", i)
		c.claim(owner, list, i, k+".name", co.Name)
		for j, a := range co.Aliases {
			c.claim(owner, list, i, indexPath(k+".aliases", j), a)
		}
	}
}

func (c *checker) claim(owner map[string]int, list []Company, i int, key, alias string) {
	words := strings.Join(match.Words(alias), " ")
	if words == "" {
		return
	}
	o, ok := owner[words]
	if !ok {
		owner[words] = i
		return
	}
	if o != i {
		c.warnf(key, "%q also names company %q: items that mention it count for both", alias, list[o].Name)
	}
}

// redundantTerms warns about a term that can never add a match because
// another term of the same topic occurs in every text it matches, under the
// matcher's own word rules. Of two terms that match the same texts, the
// later one is reported as a repeat.
func (c *checker) redundantTerms(key string, terms []string) {
	cmp := match.CompileTerms(terms)
	for j, long := range terms {
		// Only the terms found in term j can cover it: linear in the
		// number of terms, where every pair would be quadratic.
		for _, i := range cmp.Within(j) {
			short := terms[i]
			if !cmp.Covers(i, j) {
				continue
			}
			if cmp.Covers(j, i) {
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

func (c *checker) emptySections(cfg *Config) {
	switch {
	case len(cfg.Sources) == 0 && len(cfg.PausedSources) > 0:
		c.warnf("sources", "every source is paused (enabled = false): nothing will be fetched")
	case len(cfg.Sources) == 0:
		c.warnf("sources", "no [[sources]]: nothing will be fetched")
	}
	if len(cfg.Companies) == 0 {
		c.warnf("companies", "no [[companies]]: nothing can match")
	}
	needTopics := slices.ContainsFunc(cfg.Companies, func(co Company) bool { return !co.AllNews })
	if len(cfg.Topics) == 0 && needTopics {
		c.warnf("topics", "no [[topics]]: only companies with all_news = true can match")
	}
	switch {
	case len(cfg.Digests) == 0 && len(cfg.PausedDigests) > 0:
		c.warnf("digests", "every digest is paused (enabled = false): matches are stored but never sent")
	case len(cfg.Digests) == 0:
		c.warnf("digests", "no [[digests]]: matches are stored but never sent")
	}
}
