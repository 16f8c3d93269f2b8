// Package text renders a digest's JSON document as a compact chat message:
// the subject, then one line per story (title, source, company) with its
// link on the next line, then the stories past max_stories and the
// sources that failed, cut to fit the service's message size. Feed text is
// hostile: Escape keeps it from notifying a whole channel, faking a story
// line or, on Slack, opening a link or a mention.
package text

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"newswatch/digest"
)

// Limits are the message sizes, in bytes, of the chat services whose
// limit is known; others get DefaultLimit.
var Limits = map[string]int{
	"discord":    2000,
	"telegram":   4096,
	"ntfy":       4096,
	"slack":      4000, // the text field's recommended maximum
	"mattermost": 16000,
	"matrix":     16000,
	"teams":      20000,
	"googlechat": 4096,
	"pushover":   1024,
	"gotify":     4000,
}

// DefaultLimit is the size for a service not in Limits.
const DefaultLimit = 2000

// Limit is the message size for the service named by a notify URL's scheme.
func Limit(scheme string) int {
	scheme, _, _ = strings.Cut(strings.ToLower(scheme), "+")
	if n, ok := Limits[scheme]; ok {
		return n
	}
	return DefaultLimit
}

// zwsp, a zero-width space, breaks a mention or markup without changing
// what a reader sees.
const zwsp = "\u200b"

// mentionRE matches what notifies a whole channel, room or server in
// some chat service, in any case (the services match case-insensitively:
// Matrix's @Room, Mattermost's @ALL): @everyone and @here (Discord, Slack),
// @channel, @here and @all (Mattermost, Slack), @room (Matrix), and
// Google Chat's users/all (inside <…>, or escaped once more by the feed as
// &lt;users/all&gt;, which the service would read as the same).
var mentionRE = regexp.MustCompile(`(?i)(@)(everyone|here|channel|room|all)\b|(users/)(all)\b`)

// linkRE matches the middle of Markdown's inline link, [text](url), which
// Mattermost, Teams, Discord, Rocket.Chat, Zulip and others render as
// text that hides where it leads.
var linkRE = regexp.MustCompile(`\]\s*\(`)

// slackEscape is Slack's (and Mattermost's) escaping of message text: <, >
// and & would otherwise start links and mentions such as <!channel>.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape returns doc with the text that came from feeds made inert for the
// service: line breaks and control characters become spaces (a title
// cannot fake a story line); every mention of a whole channel the
// service knows is broken by a zero-width space, in any case; Markdown's
// [text](url) is broken so that no text disguises a link; and the markup
// that opens links and mentions (<!channel>, <@&role>, <users/all>,
// <url|text>) is escaped: for Slack and Mattermost as they document (&lt;
// &gt; &amp;), elsewhere by a zero-width space after each <.
func Escape(scheme string, doc digest.Document) digest.Document {
	scheme, _, _ = strings.Cut(strings.ToLower(scheme), "+")
	clean := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
				return ' '
			}
			return r
		}, s)
		s = mentionRE.ReplaceAllString(s, "$1$3"+zwsp+"$2$4")
		s = linkRE.ReplaceAllStringFunc(s, func(m string) string { return "]" + zwsp + m[1:] })
		if scheme == "slack" || scheme == "mattermost" {
			return slackEscape.Replace(s)
		}
		return strings.ReplaceAll(s, "<", "<"+zwsp)
	}
	out := doc
	out.Subject, out.Summary = clean(doc.Subject), clean(doc.Summary)
	out.Stories = make([]digest.DocStory, len(doc.Stories))
	for i, s := range doc.Stories {
		s.Title, s.Source, s.Company, s.Link, s.Update = clean(s.Title), clean(s.Source), clean(s.Company), clean(s.Link), clean(s.Update)
		s.Also = append([]digest.DocAlso(nil), s.Also...)
		out.Stories[i] = s
	}
	out.More = make([]digest.DocMore, len(doc.More))
	for i, m := range doc.More {
		out.More[i] = digest.DocMore{Title: clean(m.Title), Source: clean(m.Source)}
	}
	out.Footer.FailingSources = make([]digest.DocSource, len(doc.Footer.FailingSources))
	for i, f := range doc.Footer.FailingSources {
		f.Source = clean(f.Source)
		out.Footer.FailingSources[i] = f
	}
	out.Footer.FailedDigests = make([]digest.DocFailed, len(doc.Footer.FailedDigests))
	for i, f := range doc.Footer.FailedDigests {
		f.Digest, f.Date = clean(f.Digest), clean(f.Date)
		out.Footer.FailedDigests[i] = f
	}
	return out
}

// Render is doc as a message of at most limit bytes. Stories are dropped
// from the end to fit, and counted in a last line ("… 12 more stories").
func Render(doc digest.Document, limit int) string {
	head := doc.Subject + "\n"
	if doc.Summary != "" && (len(doc.Stories) > 0 || doc.Test) {
		head += doc.Summary + "\n"
	}
	var lines []string
	for _, s := range doc.Stories {
		line := "• " + s.Title + " (" + s.Source
		if s.Folded {
			line = "• " + s.Title + " (update"
		}
		if s.Company != "" {
			line += ", " + s.Company
		}
		line += ")"
		if s.Update != "" {
			line += " · " + s.Update
		}
		if n := len(s.Also) + s.MoreOutlets; n > 0 {
			line += fmt.Sprintf(" +%d more %s", n, plural(n, "outlet", "outlets"))
		}
		if s.Link != "" {
			line += "\n  " + s.Link
		}
		lines = append(lines, line)
	}
	for _, m := range doc.More {
		lines = append(lines, "• "+m.Title+" ("+m.Source+")")
	}
	var tail string
	if n := len(doc.Footer.FailingSources); n > 0 {
		names := make([]string, n)
		for i, f := range doc.Footer.FailingSources {
			names[i] = f.Source
		}
		tail = fmt.Sprintf("%d %s failing: %s\n", n, plural(n, "source", "sources"), strings.Join(names, ", "))
	}
	for _, f := range doc.Footer.FailedDigests {
		tail += fmt.Sprintf("not delivered: %s of %s\n", f.Digest, f.Date)
	}
	if len(doc.Stories) == 0 && len(doc.More) == 0 && !doc.Test {
		tail = "Nothing new.\n" + tail
	}

	more := func(n int) string { return fmt.Sprintf("… %d more %s\n", n, plural(n, "story", "stories")) }
	out := head
	for i, l := range lines {
		// Room for this line, and for the count of those after it
		// should the next one not fit.
		need := len(l) + 1 + len(tail)
		if rest := len(lines) - i - 1; rest > 0 {
			need += len(more(rest))
		}
		if len(out)+need > limit {
			out += more(len(lines) - i)
			break
		}
		out += l + "\n"
	}
	return clip(out+tail, limit)
}

// clip cuts s to at most limit bytes, at a character boundary.
func clip(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	s = s[:max(limit-len("…"), 0)]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
