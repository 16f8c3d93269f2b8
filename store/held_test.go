package store

import (
	"context"
	"testing"
	"time"

	"newswatch/model"
)

func TestMessageHeld(t *testing.T) { both(t, testMessageHeld) }

// testMessageHeld: MarkHeld sets Held and keeps the message pending; a try
// that fails otherwise, or any later outcome, clears it.
func testMessageHeld(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	next := t0.Add(time.Hour)
	held := func(m *model.Message, step string, want bool) {
		t.Helper()
		got, err := s.Message(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Held != want {
			t.Errorf("%s: Held = %v, want %v (%+v)", step, got.Held, want, got)
		}
		if want && (got.Status != model.MessagePending || !got.NextAttempt.Equal(next) || got.LastError != "535 bad login") {
			t.Errorf("%s: held message = %+v, want pending until %v with the error", step, got, next)
		}
	}
	marks := map[string]func(id int64) error{
		"retry":     func(id int64) error { return s.MarkRetry(ctx, id, "421 try later", next) },
		"sent":      func(id int64) error { return s.MarkSent(ctx, id, next) },
		"partial":   func(id int64) error { return s.MarkPartial(ctx, id, next, []string{"b@x"}, "451", next) },
		"delivered": func(id int64) error { return s.MarkDelivered(ctx, id, "550") },
		"failed":    func(id int64) error { return s.MarkFailed(ctx, id, "550") },
	}
	day := 0
	for name, mark := range marks {
		day++
		m := model.Message{Digest: "d", Slot: t0.Add(time.Duration(day) * 24 * time.Hour), To: []string{"a@x", "b@x"}}
		if err := s.CreateMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		held(&m, "created", false)
		if err := s.MarkHeld(ctx, m.ID, "535 bad login", next); err != nil {
			t.Fatal(err)
		}
		held(&m, "held", true)
		if err := mark(m.ID); err != nil {
			t.Fatal(err)
		}
		held(&m, "then "+name, false)
	}
}
