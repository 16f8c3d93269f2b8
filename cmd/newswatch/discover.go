package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pelletier/go-toml/v2"

	"newswatch/app"
	"newswatch/config"
	"newswatch/ingest"
	"newswatch/internal/safetext"
	"newswatch/opml"
	"newswatch/scraper"
)

// sourceEntry is one [[sources]] entry as discover and opml import print it.
type sourceEntry struct {
	Name string `toml:"name"`
	Feed string `toml:"feed"`
}

// printSources writes entries as ready [[sources]] TOML.
func printSources(w io.Writer, entries []sourceEntry) error {
	b, err := toml.Marshal(struct {
		Sources []sourceEntry `toml:"sources"`
	}{entries})
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// optionalConfig loads the config when there is one: discover and opml
// work without, with the default user agent and nothing configured.
func optionalConfig(e *env) *config.Config {
	cfg, err := config.Load(e.config)
	if err != nil {
		return nil
	}
	return cfg
}

func cmdDiscover(ctx context.Context, e *env, args []string) error {
	pos, err := e.parse(e.flags("discover"), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("discover takes one URL: the web page whose feeds to list")
	}
	f := scraper.New(scraper.Options{})
	if cfg := optionalConfig(e); cfg != nil {
		f = ingest.NewFetcher(cfg)
	}
	feeds, err := f.Discover(ctx, pos[0])
	if err != nil {
		return safetext.Error(err)
	}
	entries := make([]sourceEntry, len(feeds))
	for i, fl := range feeds {
		name := fl.Title
		if name == "" {
			name = fl.URL
		}
		kind := fl.Type
		if kind == "" {
			kind = "served at a common path"
		}
		fmt.Fprintf(e.stdout, "# %s (%s)\n", safetext.Line(fl.URL), safetext.Line(kind))
		entries[i] = sourceEntry{Name: name, Feed: fl.URL}
	}
	fmt.Fprintln(e.stdout)
	return printSources(e.stdout, entries)
}

func cmdOPML(ctx context.Context, e *env, args []string) error {
	pos, err := e.parse(e.flags("opml"), args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 2 && pos[0] == "import":
		return opmlImport(e, pos[1])
	case len(pos) == 1 && pos[0] == "export":
		cfg, err := config.Load(e.config)
		if err != nil {
			return usageError{err}
		}
		return opmlExport(e.stdout, cfg)
	}
	return usagef("usage: opml import FILE | opml export")
}

// opmlImport prints a [[sources]] entry for every feed of an OPML file,
// named after its outline, skipping feeds (and names) the config has.
func opmlImport(e *env, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	feeds, err := opml.Feeds(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fresh, skipped := app.NewSources(feeds, optionalConfig(e))
	entries := make([]sourceEntry, len(fresh))
	for i, f := range fresh {
		entries[i] = sourceEntry{Name: f.Name, Feed: f.URL}
	}
	if skipped > 0 {
		fmt.Fprintf(e.stdout, "# %d %s already configured, skipped\n\n", skipped, plural(skipped, "feed", "feeds"))
	}
	if len(entries) == 0 {
		if skipped == 0 {
			return errors.New(file + ": no feeds (outlines with xmlUrl) in it")
		}
		return nil
	}
	return printSources(e.stdout, entries)
}

// opmlExport writes the configured feed sources as OPML 2.0.
func opmlExport(w io.Writer, cfg *config.Config) error {
	var feeds []opml.Feed
	for _, s := range cfg.Sources {
		if s.Feed != "" {
			feeds = append(feeds, opml.Feed{Name: s.Name, URL: s.Feed})
		}
	}
	return opml.Write(w, "newswatch sources", feeds)
}
