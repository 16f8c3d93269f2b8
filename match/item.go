package match

import "strings"

// ItemText is the text the matcher sees for a news item: its title, and its
// summary, content and extracted article body with HTML removed (Prepare).
// A part already contained in another is kept once, so a feed that repeats
// its summary in its content does not count each word twice. Every caller
// (fetch, digests, check, preview) goes through it so they agree on what
// matched.
func ItemText(title, summary, content, body string) Text {
	text := Prepare(summary)
	for _, part := range []string{content, body} {
		p := Prepare(part)
		if p == "" || strings.Contains(text, p) {
			continue
		}
		if strings.Contains(p, text) {
			text = p
			continue
		}
		if text != "" {
			text += "\n"
		}
		text += p
	}
	return Text{Title: Prepare(title), Body: text}
}
