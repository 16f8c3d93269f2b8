package app

import (
	"context"
	"fmt"
	"io"
	"newswatch/config"
	"newswatch/internal/safetext"
	"newswatch/model"
	"newswatch/store"
	"strings"
	"text/tabwriter"
	"time"
)

// PrintStatus writes `status`'s report of st: the database, each source's
// health, the digests and channel deliveries pending or failed, each
// digest's last delivery and the next scheduled times, in the
// configuration's zone.
func (a *App) PrintStatus(ctx context.Context, w io.Writer, st Status) error {
	// The database's password, if the URL carries one, is masked.
	fmt.Fprintf(w, "Database: %s\n\n", a.Store.Path())
	if err := a.SaveProblem(st.Health, a.Now()); err != nil {
		fmt.Fprintf(w, "Warning: %v.\n\n", err)
	}
	a.printHealth(w, st.Health)
	a.printOutbox(w, st.Messages)
	a.printChannels(w, st.Deliveries)
	if err := a.printDelivered(ctx, w); err != nil {
		return err
	}
	return a.PrintSchedule(w, a.Now())
}

// printChannels lists the deliveries through notify channels that are
// pending or failed, each channel masked as the outbox names it.
func (a *App) printChannels(w io.Writer, dels []model.Delivery) {
	if len(dels) == 0 {
		return
	}
	fmt.Fprintln(w, "\nChannels in the outbox:")
	mask := config.DeliveryMask(a.Config)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DIGEST\tCHANNEL\tSLOT\tSTATUS\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
	for _, d := range dels {
		next := "-"
		switch {
		case d.Status == model.MessagePending && d.NextAttempt.IsZero():
			next = "due now" // not tried yet, or being tried
		case d.Status == model.MessagePending:
			next = When(d.NextAttempt, a.Config.Location)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.Message.Digest, safetext.Line(d.Channel), When(d.Message.Slot, a.Config.Location),
			d.Status, d.Attempts, next, safetext.Line(mask(d.LastError)))
	}
	tw.Flush()
}

// printDelivered lists each digest's last delivery.
func (a *App) printDelivered(ctx context.Context, w io.Writer) error {
	fmt.Fprintln(w, "\nLast delivered:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, d := range a.Config.Digests {
		m, ok, err := a.Store.LastSent(ctx, d.Name)
		if err != nil {
			return err
		}
		at := "never"
		if ok {
			at = When(m.Sent, d.Location)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", d.Name, at)
	}
	for _, d := range a.Config.PausedDigests {
		fmt.Fprintf(tw, "  %s\tpaused (enabled = false)\n", d.Name)
	}
	return tw.Flush()
}

// printHealth lists each configured source's health, paused ones too.
func (a *App) printHealth(w io.Writer, hs []store.Health) {
	loc := a.Config.Location
	byName := map[string]store.Health{}
	for _, h := range hs {
		byName[h.Source] = h
	}
	fmt.Fprintln(w, "Sources:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tSTATUS\tLAST RUN\tLAST SUCCESS\tITEMS\tERROR")
	mask := SourceMask(a.Config)
	for _, s := range a.Config.Sources {
		h, ok := byName[s.Name]
		if !ok {
			fmt.Fprintf(tw, "  %s\tnever fetched\t-\t-\t-\t\n", s.Name)
			continue
		}
		// Masked: an older newswatch stored errors as they came. The row
		// names the source already; servers write much of the rest: no
		// raw escapes on the terminal.
		errText := safetext.Line(strings.TrimPrefix(mask(s.Name, h.LastError), fmt.Sprintf("source %q: ", s.Name)))
		if h.LastStatus == model.StatusError && !h.FailingSince.IsZero() {
			errText = fmt.Sprintf("(%d %s since %s) %s", h.Failures, Plural(h.Failures, "failure", "failures"), When(h.FailingSince, loc), errText)
		}
		status, items := h.LastStatus, fmt.Sprint(h.Items)
		if h.LastStatus == model.StatusNotModified {
			status, items = "ok", "not modified"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", s.Name, status, When(h.LastRun, loc), When(h.LastSuccess, loc), items, errText)
	}
	for _, s := range a.Config.PausedSources {
		last := "-"
		if h, ok := byName[s.Name]; ok {
			last = When(h.LastRun, loc)
		}
		fmt.Fprintf(tw, "  %s\tpaused (enabled = false)\t%s\t-\t-\t\n", s.Name, last)
	}
	tw.Flush()
}

// printOutbox lists the pending and failed digests; a digest held back by
// the mail settings says so before its error.
func (a *App) printOutbox(w io.Writer, msgs []model.Message) {
	fmt.Fprintln(w, "\nDigests in the outbox:")
	if len(msgs) == 0 {
		fmt.Fprintln(w, "  none pending or failed")
		return
	}
	mask := config.DeliveryMask(a.Config)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DIGEST\tSLOT\tSTATUS\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
	for _, m := range msgs {
		next := "-"
		if m.Status == model.MessagePending {
			next = When(m.NextAttempt, a.Config.Location)
		}
		why := safetext.Line(mask(m.LastError))
		if m.Status == model.MessagePending && m.Held {
			why = ErrHeld.Error() + ": " + why
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", m.Digest, When(m.Slot, a.Config.Location), m.Status, m.Attempts, next, why)
	}
	tw.Flush()
}

// PrintSchedule lists the next fetch and the next slot of each digest
// after now.
func (a *App) PrintSchedule(w io.Writer, now time.Time) error {
	fmt.Fprintln(w, "\nNext scheduled:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  fetch\t%s\t%s\n", a.Config.FetchSchedule, When(a.Config.FetchTimetable.Next(now), a.Config.Location))
	for _, d := range a.Config.Digests {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.Name, d.Schedule, When(d.Timetable.Next(now), d.Location))
	}
	return tw.Flush()
}

// When is t in loc to the minute ("2006-01-02 15:04 MST"), or "never"
// for the zero time.
func When(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(loc).Format(timeLayout)
}
