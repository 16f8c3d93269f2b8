// Package opml reads and writes the subset of OPML 1.0 and 2.0 that feed
// readers exchange: outlines carrying a feed's URL (xmlUrl), nested in
// folders or not.
package opml

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Feed is one feed outline: its name (the outline's text, else its title,
// else the URL, spaces collapsed) and URL.
type Feed struct {
	Name, URL string
}

type document struct {
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

// Feeds returns the feed outlines of an OPML document, those of a folder
// before the folder's own.
func Feeds(data []byte) ([]Feed, error) {
	var doc document
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not OPML: %w", err)
	}
	var out []Feed
	var walk func([]*outline)
	walk = func(list []*outline) {
		for _, o := range list {
			walk(o.Children)
			link := strings.TrimSpace(o.XMLURL)
			if link == "" {
				continue
			}
			name := strings.Join(strings.Fields(o.Text), " ")
			if name == "" {
				name = strings.Join(strings.Fields(o.Title), " ")
			}
			if name == "" {
				name = link
			}
			out = append(out, Feed{Name: name, URL: link})
		}
	}
	walk(doc.Body)
	return out, nil
}

// Write writes feeds as an OPML 2.0 document titled title.
func Write(w io.Writer, title string, feeds []Feed) error {
	doc := document{Version: "2.0", Title: title}
	for _, f := range feeds {
		doc.Body = append(doc.Body, &outline{Text: f.Name, Title: f.Name, Type: "rss", XMLURL: f.URL})
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s%s\n", xml.Header, b)
	return err
}
