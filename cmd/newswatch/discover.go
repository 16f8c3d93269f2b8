package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"newswatch/app"
	"newswatch/config"
	"newswatch/ingest"
	"newswatch/internal/safetext"
	"newswatch/opml"
	"newswatch/scraper"
)

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
	f := scraper.New(scraper.Options{Now: e.clock()})
	if cfg := optionalConfig(e); cfg != nil {
		f = ingest.NewFetcher(cfg, ingest.WithClock(e.clock()))
	}
	feeds, err := f.Discover(ctx, pos[0])
	if err != nil {
		return safetext.Error(err)
	}
	entries := make([]opml.Feed, len(feeds))
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
		entries[i] = opml.Feed{Name: name, URL: fl.URL}
	}
	fmt.Fprintln(e.stdout)
	return app.WriteSources(e.stdout, entries)
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
		return app.ExportOPML(e.stdout, cfg)
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
	if skipped > 0 {
		fmt.Fprintf(e.stdout, "# %d %s already configured, skipped\n\n", skipped, plural(skipped, "feed", "feeds"))
	}
	if len(fresh) == 0 {
		if skipped == 0 {
			return errors.New(file + ": no feeds (outlines with xmlUrl) in it")
		}
		return nil
	}
	return app.WriteSources(e.stdout, fresh)
}
