package scraper

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"codeberg.org/readeck/go-readability/v2"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// ErrNoText: readability found no article text on a page (and the page has
// no <article> or <main> either). A body selector is the fix.
var ErrNoText = errors.New("no article text found")

// SelectorError is a CSS selector of a page source that found nothing: the
// links selector on the page, or the body selector on an article. Sites
// change their markup; this is how the user learns it.
type SelectorError struct {
	Field    string // "links" or "body"
	Selector string
	URL      string
	// Elements the links selector matched that held no http(s) link.
	Elements int
}

func (e *SelectorError) Error() string {
	switch {
	case e.Field == "body":
		return fmt.Sprintf("body selector %q matched nothing on %s", e.Selector, e.URL)
	case e.Elements > 0:
		return fmt.Sprintf("selector %q matched %d elements but no http(s) links on %s", e.Selector, e.Elements, e.URL)
	}
	return fmt.Sprintf("selector %q matched 0 links on %s", e.Selector, e.URL)
}

// maxReadabilityElements: pages with more elements are not given to
// readability (its cost grows faster than the page); the <article>/<main>
// fallback still applies.
const maxReadabilityElements = 50_000

// article is what extract finds on one article page.
type article struct {
	Title     string    // one line; "" when the page names none
	Published time.Time // as the page states it; zero when it does not
	Body      string    // plain text, paragraphs separated by blank lines
}

// extractPage parses an article page (UTF-8 HTML) and extracts it; see extract.
func extractPage(page []byte, pageURL *url.URL, body cascadia.Selector, bodySel string) (article, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return article{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	a, err := extract(doc, pageURL, body, bodySel)
	a.Body = capText(a.Body, maxBodyText)
	return a, err
}

// maxBodyText bounds the article text kept per item. News articles are a
// few tens of KB of text; the bound keeps a fetch of many huge pages (up to
// max_articles of them, each up to max_body) from holding them all in
// memory and in the database.
const maxBodyText = 256 << 10

// capText cuts s to at most n bytes, at a paragraph, else a word, else a
// rune boundary, and marks the cut with "…".
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := s[:n]
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	if i := strings.LastIndex(cut, "\n\n"); i > n/2 {
		cut = cut[:i]
	} else if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + " …"
}

// extract takes title, date and body text from an article page. The body is
// the text of the elements body matches (bodySel is its source, for the
// error), or, when body is nil, what readability keeps of the page: the
// main text without navigation, headers, footers, "related" and share boxes.
// Should readability find nothing, the page's [itemprop=articleBody],
// <article> or <main> is used, without its nav, header, footer and aside.
//
// Title: og:title, else the first <h1> outside header, nav, aside and
// footer, else <title>. Published: article:published_time (or the
// itemprop/name variants), else JSON-LD datePublished, else the first
// <time datetime> of the body, else of the page outside aside, nav and
// footer; dates without zone are UTC.
func extract(doc *html.Node, pageURL *url.URL, body cascadia.Selector, bodySel string) (article, error) {
	var a article
	metas := metaContents(doc)
	a.Title = pageTitle(doc, metas)

	var bodyNodes []*html.Node
	if body != nil {
		bodyNodes = outermost(cascadia.QueryAll(doc, body))
		a.Body = textOf(bodyNodes...)
		if a.Body == "" {
			return a, &SelectorError{Field: "body", Selector: bodySel, URL: pageURL.Redacted()}
		}
	} else {
		if n := readable(doc, pageURL); n != nil {
			bodyNodes = []*html.Node{n}
			a.Body = textOf(n)
		}
		if a.Body == "" {
			if n := landmark(doc); n != nil {
				bodyNodes = []*html.Node{n}
				a.Body = textOf(n)
			}
		}
		if a.Body == "" {
			return a, fmt.Errorf("%w on %s", ErrNoText, pageURL.Redacted())
		}
	}
	a.Published = pageDate(doc, metas, bodyNodes)
	return a, nil
}

// readable runs readability on a copy of doc and returns its article node.
func readable(doc *html.Node, pageURL *url.URL) *html.Node {
	p := readability.NewParser()
	p.MaxElemsToParse = maxReadabilityElements
	p.DisableJSONLD = true // pageDate reads it; readability's copy is not used
	art, err := p.ParseDocument(doc, pageURL)
	if err != nil {
		return nil
	}
	return art.Node
}

var (
	articleBodySel = cascadia.MustCompile("[itemprop=articleBody]")
	articleSel     = cascadia.MustCompile("article")
	mainSel        = cascadia.MustCompile("main, [role=main]")
)

// landmark is the element that holds the article by the page's own markup.
func landmark(doc *html.Node) *html.Node {
	for _, sel := range []cascadia.Selector{articleBodySel, articleSel, mainSel} {
		if n := cascadia.Query(doc, sel); n != nil {
			return withoutChrome(n)
		}
	}
	return nil
}

// withoutChrome returns a copy of n without its nav, header, footer and aside
// elements and the boxes whose class or id says related, share or comments.
func withoutChrome(n *html.Node) *html.Node {
	c := cloneNode(n)
	var drop []*html.Node
	walk(c, func(e *html.Node) bool {
		if e != c && e.Type == html.ElementNode && isChrome(e) {
			drop = append(drop, e)
			return false
		}
		return true
	})
	for _, e := range drop {
		e.Parent.RemoveChild(e)
	}
	return c
}

func isChrome(e *html.Node) bool {
	switch e.DataAtom {
	case atom.Nav, atom.Header, atom.Footer, atom.Aside:
		return true
	}
	for _, k := range []string{"class", "id"} {
		v := strings.ToLower(attr(e, k))
		for _, w := range []string{"related", "share", "social", "comment", "newsletter", "promo", "sidebar"} {
			if strings.Contains(v, w) {
				return true
			}
		}
	}
	return false
}

func cloneNode(n *html.Node) *html.Node {
	c := &html.Node{Type: n.Type, DataAtom: n.DataAtom, Data: n.Data, Namespace: n.Namespace,
		Attr: append([]html.Attribute(nil), n.Attr...)}
	for k := n.FirstChild; k != nil; k = k.NextSibling {
		c.AppendChild(cloneNode(k))
	}
	return c
}

// outermost drops the nodes that are inside another node of the list, so
// that "div" on nested divs does not repeat text.
func outermost(nodes []*html.Node) []*html.Node {
	in := make(map[*html.Node]bool, len(nodes))
	for _, n := range nodes {
		in[n] = true
	}
	out := nodes[:0]
	for _, n := range nodes {
		inside := false
		for p := n.Parent; p != nil && !inside; p = p.Parent {
			inside = in[p]
		}
		if !inside {
			out = append(out, n)
		}
	}
	return out
}

// walk visits n and its descendants in document order; fn returns false to
// skip an element's children.
func walk(n *html.Node, fn func(*html.Node) bool) {
	if !fn(n) {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// metaContents maps the property, name and itemprop of each <meta> (lower
// case) to its content; the first of a key wins.
func metaContents(doc *html.Node) map[string]string {
	m := map[string]string{}
	walk(doc, func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.DataAtom == atom.Meta {
			content := strings.TrimSpace(attr(n, "content"))
			for _, k := range []string{"property", "name", "itemprop"} {
				if key := strings.ToLower(strings.TrimSpace(attr(n, k))); key != "" && content != "" {
					if _, ok := m[key]; !ok {
						m[key] = content
					}
				}
			}
		}
		return true
	})
	return m
}

const maxTitle = 500 // runes

func pageTitle(doc *html.Node, metas map[string]string) string {
	t := cleanTitle(metas["og:title"])
	if t == "" {
		if h := firstOutsideChrome(doc, atom.H1); h != nil {
			t = cleanTitle(textOf(h))
		}
	}
	if t == "" {
		if n := first(doc, func(n *html.Node) bool { return n.DataAtom == atom.Title }); n != nil {
			t = cleanTitle(textOf(n))
		}
	}
	if r := []rune(t); len(r) > maxTitle {
		t = string(r[:maxTitle]) + "…"
	}
	return t
}

// first returns the first element for which ok holds, in document order.
func first(root *html.Node, ok func(*html.Node) bool) *html.Node {
	var found *html.Node
	walk(root, func(n *html.Node) bool {
		if found != nil {
			return false
		}
		if n.Type == html.ElementNode && ok(n) {
			found = n
		}
		return found == nil
	})
	return found
}

// firstOutsideChrome is the first element a outside header, nav, aside and footer.
func firstOutsideChrome(root *html.Node, a atom.Atom) *html.Node {
	var found *html.Node
	walk(root, func(n *html.Node) bool {
		switch {
		case found != nil:
			return false
		case n.Type != html.ElementNode && n.Type != html.DocumentNode:
			return false
		case n.DataAtom == atom.Header, n.DataAtom == atom.Nav, n.DataAtom == atom.Aside, n.DataAtom == atom.Footer:
			return false
		case n.DataAtom == a:
			found = n
			return false
		}
		return true
	})
	return found
}

var htmlDateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// skipText are elements whose content is not article text.
var skipText = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Canvas: true, atom.Button: true, atom.Select: true, atom.Textarea: true,
	atom.Input: true, atom.Nav: true, atom.Head: true, atom.Audio: true, atom.Video: true,
}

// lineBreaks: elements that end a line; other blocks end a paragraph.
var lineBreaks = map[atom.Atom]bool{
	atom.Li: true, atom.Tr: true, atom.Dt: true, atom.Dd: true, atom.Td: true, atom.Th: true,
	atom.Figcaption: true, atom.Caption: true,
}

var paragraphs = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Ul: true, atom.Ol: true, atom.Dl: true,
	atom.Table: true, atom.Figure: true, atom.Header: true, atom.Footer: true, atom.Aside: true,
	atom.Hr: true, atom.Address: true, atom.Details: true, atom.Summary: true, atom.Form: true,
	atom.Body: true, atom.Html: true,
}

// textOf renders nodes as plain text: words of inline runs separated by one
// space, lines for list items and table rows, blank lines between blocks;
// scripts, styles, forms' controls, navigation and hidden elements left out.
func textOf(nodes ...*html.Node) string {
	var w textWriter
	for _, n := range nodes {
		w.block(2)
		w.walk(n)
	}
	return cleanText(w.b.String())
}

type textWriter struct {
	b     strings.Builder
	space bool // a space is due before the next word
	lines int  // line breaks due before the next word (0, 1 or 2)
}

func (w *textWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
		if skipText[n.DataAtom] || n.Namespace != "" || hasAttr(n, "hidden") || attr(n, "aria-hidden") == "true" {
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	if n.DataAtom == atom.Br {
		w.block(1)
		return
	}
	brk := 0
	switch {
	case lineBreaks[n.DataAtom]:
		brk = 1
	case paragraphs[n.DataAtom]:
		brk = 2
	}
	w.block(brk)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
	w.block(brk)
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return true
		}
	}
	return false
}

func (w *textWriter) block(lines int) {
	w.lines = max(w.lines, lines)
}

func (w *textWriter) text(s string) {
	if s == "" {
		return
	}
	if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) {
		w.space = true
	}
	for _, word := range strings.Fields(s) {
		if w.b.Len() > 0 {
			switch {
			case w.lines > 0:
				w.b.WriteString("\n\n"[:w.lines])
			case w.space:
				w.b.WriteByte(' ')
			}
		}
		w.b.WriteString(word)
		w.lines, w.space = 0, true
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	w.space = unicode.IsSpace(r)
}
