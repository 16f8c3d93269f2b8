package app

import (
	"context"
	"testing"
	"time"

	"newswatch/deliver"
	"newswatch/model"
)

// TestStillHeld: of the mail and channel deliveries a run left to another
// sender, those still pending are said to be held; one the other sender
// finished meanwhile (sent, failed) is dropped, so that send and once do
// not report it, nor exit 1 for it.
func TestStillHeld(t *testing.T) {
	a, now := footerApp(t, "http://127.0.0.1:1/rss", `notify = ["https://hooks.example.org/in"]`)
	ctx := context.Background()
	ch := ChannelNames(a.Config.Digests[0])[0]
	var ms []model.Message
	for i := range 2 {
		m := model.Message{Digest: "Brief", Slot: now.Add(time.Duration(i-2) * time.Hour), MessageID: "<m" + string(rune('0'+i)) + "@x>",
			To: []string{"a@example.org"}, Channels: []model.Channel{ch}}
		if err := a.Store.CreateMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	// The other sender finished the first one, mail and channel.
	if err := a.Store.MarkSent(ctx, ms[0].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.MarkDeliverySent(ctx, ms[0].ID, ch.Key, now); err != nil {
		t.Fatal(err)
	}
	var outcomes []deliver.Outcome
	for _, m := range ms {
		outcomes = append(outcomes, deliver.Outcome{ID: m.ID, Digest: m.Digest, Channel: ch.Name})
	}
	mails, channels, err := a.stillHeld(ctx, ms, outcomes)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].ID != ms[1].ID || len(channels) != 1 || channels[0].ID != ms[1].ID {
		t.Errorf("still held: mails %v, channels %v; want only message %d's", mails, channels, ms[1].ID)
	}
}
