package config

import (
	"fmt"
	"newswatch/match"
	"slices"
	"strings"
	"unicode"
)

func (c *checker) companies(list []Company) []Company {
	seen := make(nameSet, len(list))
	for i := range list {
		k := indexPath("companies", i)
		co := &list[i]
		co.Name = c.name(seen, k+".name", co.Name)
		if co.Name != "" { // the name is matched as an alias is
			if err := match.CheckTerm(co.Name); err != nil {
				c.errorf(k+".name", "company %q: %v, so it could never match", co.Name, err)
			}
		}
		co.Aliases = c.phrases(k+".aliases", co.Aliases, "alias")
		co.Exclude = c.phrases(k+".exclude", co.Exclude, "exclude phrase")
		if co.Near < 0 {
			c.errorf(k+".near", "must be 0 (anywhere in the item) or a number of words, not %d", co.Near)
		}
	}
	return list
}

func (c *checker) topics(list []Topic) []Topic {
	seen := make(nameSet, len(list))
	for i := range list {
		k := indexPath("topics", i)
		t := &list[i]
		t.Name = c.name(seen, k+".name", t.Name)
		if len(t.Terms) == 0 {
			c.errorf(k+".terms", "needs at least one term")
		}
		t.Terms = c.phrases(k+".terms", t.Terms, "term")
	}
	return list
}

func (c *checker) digests(list []Digest, cfg *Config) []Digest {
	seen := make(nameSet, len(list))
	ids := identities{}
	companies := namesOf(cfg.Companies, func(co Company) string { return co.Name })
	topics := namesOf(cfg.Topics, func(t Topic) string { return t.Name })
	for i := range list {
		k := indexPath("digests", i)
		d := &list[i]
		d.Enabled = c.enabled(k, d.Enabled)
		d.Name = c.name(seen, k+".name", d.Name)
		c.folderName(k+".name", d.Name)
		c.identity(ids, k+".name", d.Name)
		if _, set := c.ix.byPath[k+".max_stories"]; !set {
			d.MaxStories = DefaultMaxStories
		} else if d.MaxStories < 1 {
			c.errorf(k+".max_stories", "must be at least 1, not %d", d.MaxStories)
		}
		if len(d.To) > 0 || len(d.Notify) == 0 {
			c.recipients(k+".to", d.To)
		}
		c.notify(k, *d)
		c.refs(k+".companies", d.Companies, companies, "company", "[[companies]]")
		c.refs(k+".topics", d.Topics, topics, "topic", "[[topics]]")
		d.Location = c.location(k+".timezone", d.Timezone, cfg.Location)
		d.Timetable = c.schedule(k+".schedule", d.Schedule, d.Location)
	}
	return list
}

func namesOf[T any](list []T, name func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = name(v)
	}
	return out
}

// folderName rejects digest names that cannot name a folder under output.dir.
func (c *checker) folderName(key, name string) {
	if name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.ContainsFunc(name, unicode.IsControl) {
		c.errorf(key, "%q cannot name a folder under output.dir: avoid / and \\, line breaks and other control characters", name)
	}
}

func (c *checker) recipients(key string, to []string) {
	if len(to) == 0 {
		c.errorf(key, `needs at least one address, e.g. to = ["analyst@example.org"], unless notify names another channel`)
	}
	for i, addr := range to {
		c.address(indexPath(key, i), addr)
	}
}

// refs checks that every name in list is one of known (exact spelling).
func (c *checker) refs(key string, list, known []string, what, section string) {
	for i, name := range list {
		if !slices.Contains(known, name) {
			c.errorf(indexPath(key, i), "unknown %s %q: not a name in %s%s", what, name, section, closest(name, known))
		}
	}
}

// closest suggests the known name nearest to name, ignoring case, as
// ` (did you mean "x"?)`, or "" when none is near.
func closest(name string, known []string) string {
	return didYouMean(nearestName(name, known))
}

// Suggest returns ` (did you mean "x"?)` with the name in known nearest to
// name (ignoring case, at most a third of its letters apart), or "" when
// none is near: for messages about an unknown source or digest name.
func Suggest(name string, known []string) string {
	return closest(name, known)
}

// nearestName returns the name in known nearest to name, ignoring case and
// spaces, when at most about a third of its letters differ; else "".
func nearestName(name string, known []string) string {
	best, bestDist := "", len([]rune(name))/3+1
	for _, k := range known {
		if d := distance(fold(name), fold(k)); d < bestDist || (d == bestDist && best == "") {
			best, bestDist = k, d
		}
	}
	return best
}

func didYouMean(name string) string {
	if name == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", name)
}
