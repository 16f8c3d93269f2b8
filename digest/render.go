package digest

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"newswatch/digest/story"
	"newswatch/templates"
)

// View is the data both digest templates render.
type View struct {
	Name     string
	Subject  string
	Date     string // the digest's local date, e.g. "Mon 23 Nov 2026"
	Summary  string // "9 stories · Alibaba 6 · Huawei 2 · TikTok 1"
	Count    int    // stories
	Empty    bool
	Sections []Section
	Health   HealthView
	Links    []LinkRef // every link of the digest, numbered, for the text part
	// More lists the stories past the digest's max_stories, by title.
	More []MoreView
	// Console is the web console's base URL, "" for none; AllStories
	// links to the console's list of every item this digest covers.
	Console    string
	AllStories string
}

// MoreView is a story past a digest's max_stories: its title and source.
type MoreView struct {
	Title  string
	Source string
}

// Section is one company's part of a digest.
type Section struct {
	Company string
	Stories []StoryView
}

// StoryView is one story as rendered.
type StoryView struct {
	Ref         int // number in View.Links
	Title       string
	Link        string
	Source      string
	Time        string // published (or first seen) in the digest's zone
	Meta        string // "Source · Time · Topic, Topic" for the text part
	Snippet     []Fragment
	SnippetText string
	Topics      []string
	Reasons     string    // `"Alibaba" in title; espionage, PLA`
	Published   time.Time // in the digest's zone
	Matched     []string  // the aliases and terms that matched
	// Also is every other report of the story, for the JSON document.
	Also []AlsoView
	// Lines are the other reports as the mail shows them under the lead:
	// a line per headline with its outlets (the first line, with no
	// title, the outlets carrying the lead's own headline), each outlet
	// once, never the lead's own.
	Lines       []LineView
	MoreOutlets int // outlets past the ten the lines name
	// Update is set when an earlier digest delivered the story: "first
	// reported Tue by Reuters · 5 outlets so far".
	Update string
	// Folded: the story only gained outlets since then and says nothing
	// new; it is shown in one line, Title being the title readers saw and
	// Also the new outlets.
	Folded bool
	// Line is a folded story's one line in the text part: "Title · update
	// · first reported … · now also Bloomberg [3], CNBC [4]".
	Line string
	// ItemID is the lead item's ID: the console's page for it is
	// Console + "/items/" + ItemID.
	ItemID int64
	lead   int // index of the lead among the digest's entries; -1 when it is the first fresh one
}

// LineView is one headline under a story's lead and the outlets that
// carried it.
type LineView struct {
	Title   string // "" for the lead's own headline
	Outlets []OutletView
	Plain   bool // the HTML part names the outlets without their links (to keep the mail small)
	cand    story.Candidate
}

// OutletView is one outlet of a line, with its link's number. Source is
// empty on a follow-up line: the further report of an outlet the story
// already names.
type OutletView struct {
	Source string
	Link   string
	Ref    int
}

// Fragment is a piece of a snippet: matched words are marked, CVE
// identifiers carry their NVD link.
type Fragment struct {
	Text string
	Mark bool
	Href string
}

// AlsoView is another outlet's report of the same story.
type AlsoView struct {
	Source string
	Title  string
	Link   string
}

// LinkRef is a numbered link of the text part.
type LinkRef struct {
	Ref int
	URL string
}

// HealthView is the footer: how the sources did since the last digest.
type HealthView struct {
	Summary       string
	Failing       []FailingSource
	Recovered     []FailingSource // failed since the last digest, fine now
	FailedDigests []FailedDigest
}

// FailingSource is a source whose last fetch failed.
type FailingSource struct {
	Source   string
	Since    string // first failure
	Error    string // last error
	Failures int    // for a recovered source: failed fetches since the last digest
}

// FailedDigest is an earlier digest the mail server refused for good.
type FailedDigest struct {
	Name  string
	Date  string
	Error string
}

// Templates are the parsed digest templates.
type Templates struct {
	html *htmltemplate.Template
	text *texttemplate.Template
}

// LoadTemplates parses the built-in templates, each replaced by the file of
// the same name in dir when dir is set and holds one. A template that fails
// to parse is an error naming the file.
func LoadTemplates(dir string) (*Templates, error) {
	htmlSrc, htmlName, err := templateSource(dir, templates.HTML)
	if err != nil {
		return nil, err
	}
	textSrc, textName, err := templateSource(dir, templates.Text)
	if err != nil {
		return nil, err
	}
	h, err := htmltemplate.New(templates.HTML).Funcs(htmltemplate.FuncMap(funcs)).Parse(htmlSrc)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", htmlName, err)
	}
	t, err := texttemplate.New(templates.Text).Funcs(funcs).Parse(textSrc)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", textName, err)
	}
	return &Templates{html: h, text: t}, nil
}

func templateSource(dir, name string) (src, from string, err error) {
	if dir != "" {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err == nil {
			return string(b), path, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", path, fmt.Errorf("template %s: %w", path, err)
		}
	}
	b, err := templates.FS.ReadFile(name)
	if err != nil {
		return "", name, fmt.Errorf("built-in template %s: %w", name, err)
	}
	return string(b), "built-in " + name, nil
}

// Render executes both templates over v.
func (t *Templates) Render(v View) (text, html string, err error) {
	var tb, hb bytes.Buffer
	if err := t.text.Execute(&tb, v); err != nil {
		return "", "", fmt.Errorf("render text part: %w", err)
	}
	if err := t.html.Execute(&hb, v); err != nil {
		return "", "", fmt.Errorf("render html part: %w", err)
	}
	return tb.String(), hb.String(), nil
}

// lineWidth is where the text part wraps.
const lineWidth = 72

var funcs = texttemplate.FuncMap{
	"join":    strings.Join,
	"hang":    hang,
	"indent":  indent,
	"plural":  plural,
	"outlets": outletList,
}

// outletList is "Reuters [2], Bloomberg [3]": outlets with their links'
// numbers.
func outletList(os []OutletView) string {
	parts := make([]string, len(os))
	for i, o := range os {
		parts[i] = o.Source
		if o.Source == "" {
			parts[i] = "follow-up"
		}
		if o.Ref > 0 {
			parts[i] += fmt.Sprintf(" [%d]", o.Ref)
		}
	}
	return strings.Join(parts, ", ")
}

// hang wraps s at lineWidth for a line whose first n columns the template
// has already written; continuation lines are indented by n spaces.
func hang(s string, n int) string {
	lines := wrapWords(s, lineWidth-n)
	return strings.Join(lines, "\n"+strings.Repeat(" ", n))
}

// indent wraps s at lineWidth with every line indented by n spaces.
func indent(s string, n int) string {
	if s == "" {
		return ""
	}
	return strings.Repeat(" ", n) + hang(s, n)
}

// wrapWords breaks s into lines of at most width runes, at spaces; a word
// longer than width (a URL) stands alone on its line.
func wrapWords(s string, width int) []string {
	if width < 20 {
		width = 20
	}
	var lines []string
	var cur strings.Builder
	curLen := 0
	for _, w := range strings.Fields(s) {
		wl := utf8.RuneCountInString(w)
		if curLen > 0 && curLen+1+wl > width {
			lines = append(lines, cur.String())
			cur.Reset()
			curLen = 0
		}
		if curLen > 0 {
			cur.WriteByte(' ')
			curLen++
		}
		cur.WriteString(w)
		curLen += wl
	}
	if curLen > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
