package app

import (
	"fmt"
	"io"
	"strings"

	"newswatch/config"
	"newswatch/opml"
	"newswatch/scraper"

	"github.com/pelletier/go-toml/v2"
)

// NewSources are the feeds of an OPML file that cfg (nil: none) does not
// have yet, each named uniquely against the configured sources and the
// other feeds ("Name (2)"), and how many were skipped as configured (or
// listed twice). Feeds compare as URL identities (scraper.NormalizeURL).
func NewSources(feeds []opml.Feed, cfg *config.Config) (fresh []opml.Feed, skipped int) {
	haveFeed, haveName := map[string]bool{}, map[string]bool{}
	if cfg != nil {
		for _, s := range cfg.Sources {
			haveFeed[feedKey(s.Feed)] = true
			haveName[strings.ToLower(s.Name)] = true
		}
	}
	for _, f := range feeds {
		if haveFeed[feedKey(f.URL)] {
			skipped++
			continue
		}
		haveFeed[feedKey(f.URL)] = true
		name := f.Name
		for n := 2; haveName[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s (%d)", f.Name, n)
		}
		haveName[strings.ToLower(name)] = true
		fresh = append(fresh, opml.Feed{Name: name, URL: f.URL})
	}
	return fresh, skipped
}

// feedKey compares feed URLs as identities (scheme, case, tracking
// parameters); a URL that does not normalise compares as written.
func feedKey(link string) string {
	if k, err := scraper.NormalizeURL(link); err == nil {
		return k
	}
	return link
}

// SecretWarnings are the problems with the secrets cfg names, read with
// getenv: the SMTP password's variable unset, a webhook secret's, a notify
// URL's variables unset or expanding to an unknown service. `check` shows
// them as warnings: the variables may be set where the daemon runs.
func SecretWarnings(cfg *config.Config, getenv func(string) string) []string {
	var out []string
	if _, err := cfg.SMTP.Password(getenv); err != nil {
		out = append(out, err.Error())
	}
	for _, d := range cfg.Digests {
		if _, err := d.WebhookSecret(getenv); err != nil {
			out = append(out, err.Error())
		}
		for _, raw := range d.Notify {
			expanded, err := config.ExpandURL(raw, getenv)
			if err == nil && len(config.NotifyVars(raw)) > 0 {
				err = config.CheckService(expanded)
			}
			if err != nil {
				out = append(out, fmt.Sprintf("digest %q: notify %v", d.Name, err))
			}
		}
	}
	return out
}

// WriteSources writes feeds as ready [[sources]] TOML entries, as discover
// and opml import print them.
func WriteSources(w io.Writer, feeds []opml.Feed) error {
	type entry struct {
		Name string `toml:"name"`
		Feed string `toml:"feed"`
	}
	entries := make([]entry, len(feeds))
	for i, f := range feeds {
		entries[i] = entry{Name: f.Name, Feed: f.URL}
	}
	b, err := toml.Marshal(struct {
		Sources []entry `toml:"sources"`
	}{entries})
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// ExportOPML writes the configured feed sources as OPML 2.0.
func ExportOPML(w io.Writer, cfg *config.Config) error {
	var feeds []opml.Feed
	for _, s := range cfg.Sources {
		if s.Feed != "" {
			feeds = append(feeds, opml.Feed{Name: s.Name, URL: s.Feed})
		}
	}
	return opml.Write(w, "newswatch sources", feeds)
}
