package digest

import (
	"context"
	"newswatch/model"
	"strings"
	"testing"
	"time"
)

// The footer names the digest's own channels that failed for good, and
// never another digest's.
func TestFooterFailedChannels(t *testing.T) {
	ctx := context.Background()
	c, st := composeFixture(t)
	for i, name := range []string{"Morning brief", "Board"} {
		m := model.Message{Digest: name, Slot: fixtureNow.Add(-time.Hour), MessageID: name, Created: fixtureNow.Add(-time.Hour),
			Channels: []model.Channel{{Key: name, Name: "https://hooks.example.org/" + strings.ToLower(strings.Fields(name)[0])}}}
		if err := st.CreateMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkDeliveryFailed(ctx, m.ID, m.Channels[0].Key, []string{"410 Gone", "404 Not Found"}[i]); err != nil {
			t.Fatal(err)
		}
	}
	d, err := c.Compose(ctx, morningSpec(), fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(d.Message.Text), " ")
	if !strings.Contains(text, "digest Morning brief via https://hooks.example.org/morning") || !strings.Contains(text, "410 Gone") {
		t.Errorf("footer lacks the digest's failed channel:\n%s", d.Message.Text)
	}
	if strings.Contains(text, "hooks.example.org/board") || strings.Contains(text, "404") {
		t.Errorf("footer names another digest's channel:\n%s", d.Message.Text)
	}
}
