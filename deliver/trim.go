package deliver

import (
	"errors"
	"fmt"
	"net/textproto"
	"newswatch/model"
	"strings"
)

// trimmedTextMax is the size of the text part in the last, smallest form
// of a digest a server refused for its size: a few dozen stories' titles
// and links, far below any server's limit.
const trimmedTextMax = 32 << 10

// sizeRefused tells whether err is a server refusing the message for its
// size: 552 to MAIL FROM or to the message (RFC 5321 §4.2.2: "exceeded
// storage allocation"), or the enhanced code 5.3.4 ("message too big for
// system", RFC 3463) whatever the basic code.
func sizeRefused(err error) bool {
	var reply *textproto.Error
	if !errors.As(err, &reply) {
		return false
	}
	return reply.Code == 552 || strings.HasPrefix(strings.TrimSpace(reply.Msg), "5.3.4")
}

// trimmed returns the smaller forms of m to offer a server that refused it
// for its size, largest first: the text part alone, then the text part cut
// to trimmedTextMax. Each says at its top why it is shorter. The
// Message-ID and recipients stay: it is the same digest.
func trimmed(m model.Message, refusal error) []model.Message {
	reason := "refused"
	var reply *textproto.Error
	if errors.As(refusal, &reply) {
		reason = replyText(reply)
	}
	note := fmt.Sprintf("(This digest was too large for the mail server (%s): it is sent as plain text.)\n\n", reason)
	textOnly := m
	textOnly.HTML = ""
	textOnly.Text = note + m.Text
	cut := textOnly
	cut.Text = trimText(textOnly.Text, trimmedTextMax)
	if cut.Text == textOnly.Text {
		return []model.Message{textOnly}
	}
	return []model.Message{textOnly, cut}
}

// trimText returns s if it fits in max bytes, else its first whole lines
// that fit together with a last line saying how many were left out.
func trimText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for i, l := range lines {
		tail := fmt.Sprintf("\n[… %d more lines left out: the digest was too large for the mail server]\n", len(lines)-i)
		if b.Len()+len(l)+len(tail) > max {
			b.WriteString(tail)
			return b.String()
		}
		b.WriteString(l)
	}
	return b.String()
}
