package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"newswatch/config"
	"newswatch/ingest"
	"newswatch/internal/safetext"
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

// opml is the subset of OPML 1.0/2.0 that feed readers exchange.
type opml struct {
	XMLName xml.Name   `xml:"opml"`
	Version string     `xml:"version,attr"`
	Title   string     `xml:"head>title"`
	Body    []*outline `xml:"body>outline"`
}

type outline struct {
	Text     string     `xml:"text,attr"`
	Title    string     `xml:"title,attr,omitempty"`
	Type     string     `xml:"type,attr,omitempty"`
	XMLURL   string     `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string     `xml:"htmlUrl,attr,omitempty"`
	Children []*outline `xml:"outline"`
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
	var doc opml
	if err := xml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: not OPML: %w", file, err)
	}
	haveFeed, haveName := map[string]bool{}, map[string]bool{}
	if cfg := optionalConfig(e); cfg != nil {
		for _, s := range cfg.Sources {
			haveFeed[feedKey(s.Feed)] = true
			haveName[strings.ToLower(s.Name)] = true
		}
	}
	var entries []sourceEntry
	skipped := 0
	var walk func([]*outline)
	walk = func(list []*outline) {
		for _, o := range list {
			walk(o.Children)
			link := strings.TrimSpace(o.XMLURL)
			if link == "" {
				continue
			}
			if haveFeed[feedKey(link)] {
				skipped++
				continue
			}
			haveFeed[feedKey(link)] = true
			name := strings.Join(strings.Fields(o.Text), " ")
			if name == "" {
				name = strings.Join(strings.Fields(o.Title), " ")
			}
			if name == "" {
				name = link
			}
			base := name
			for n := 2; haveName[strings.ToLower(name)]; n++ {
				name = fmt.Sprintf("%s (%d)", base, n)
			}
			haveName[strings.ToLower(name)] = true
			entries = append(entries, sourceEntry{Name: name, Feed: link})
		}
	}
	walk(doc.Body)
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

// feedKey compares feed URLs as identities (scheme, case, tracking
// parameters); a URL that does not normalise compares as written.
func feedKey(link string) string {
	if k, err := scraper.NormalizeURL(link); err == nil {
		return k
	}
	return link
}

// opmlExport writes the configured feed sources as OPML 2.0.
func opmlExport(w io.Writer, cfg *config.Config) error {
	doc := opml{Version: "2.0", Title: "newswatch sources"}
	for _, s := range cfg.Sources {
		if s.Feed == "" {
			continue
		}
		doc.Body = append(doc.Body, &outline{Text: s.Name, Title: s.Name, Type: "rss", XMLURL: s.Feed})
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s%s\n", xml.Header, b)
	return err
}
