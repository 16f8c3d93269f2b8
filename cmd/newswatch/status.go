package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"newswatch/internal/safetext"
	"newswatch/model"
	"newswatch/store"
)

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := e.flags("status")
	quiet := fs.Bool("q", false, "print nothing; exit 1 when no source worked in its last run or a digest failed for good (a health check)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	a, err := openAppReadOnly(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	hs, err := a.Store.Health(ctx)
	if err != nil {
		return err
	}
	msgs, err := a.Store.Messages(ctx, model.MessagePending, model.MessageFailed)
	if err != nil {
		return err
	}
	dels, err := a.Store.Deliveries(ctx, model.MessagePending, model.MessageFailed)
	if err != nil {
		return err
	}
	if *quiet {
		// A health check: the exit code says it all (cron and Docker
		// mail or log whatever is printed).
		if err := a.Unhealthy(ctx, hs, msgs, dels); err != nil {
			return silentError{err}
		}
		return nil
	}
	if msgs, err = a.unsettled(ctx, msgs); err != nil {
		return err
	}
	// The database's password, if the URL carries one, is masked.
	fmt.Fprintf(e.stdout, "Database: %s\n\n", a.Store.Path())
	a.printHealth(e.stdout, hs)
	a.printOutbox(e.stdout, msgs)
	a.printChannels(e.stdout, dels)
	if err := a.printDelivered(ctx, e.stdout); err != nil {
		return err
	}
	return a.printSchedule(e.stdout, a.Now())
}

// unsettled drops from msgs the failed digests a later one of the same
// digest went out after: the outbox shows what still needs attention.
func (a *cli) unsettled(ctx context.Context, msgs []model.Message) ([]model.Message, error) {
	var out []model.Message
	for _, m := range msgs {
		if m.Status == model.MessageFailed {
			last, ok, err := a.Store.LastSent(ctx, m.Digest)
			if err != nil {
				return nil, err
			}
			if ok && last.Slot.After(m.Slot) {
				continue
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// printChannels lists the deliveries through notify channels that are
// pending or failed, each channel masked as the outbox names it.
func (a *cli) printChannels(w io.Writer, dels []model.Delivery) {
	if len(dels) == 0 {
		return
	}
	fmt.Fprintln(w, "\nChannels in the outbox:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DIGEST\tCHANNEL\tSLOT\tSTATUS\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
	for _, d := range dels {
		next := "-"
		if d.Status == model.MessagePending {
			next = when(d.NextAttempt, a.Config.Location)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.Message.Digest, safetext.Line(d.Channel), when(d.Message.Slot, a.Config.Location),
			d.Status, d.Attempts, next, safetext.Line(d.LastError))
	}
	tw.Flush()
}

// printDelivered lists each digest's last delivery.
func (a *cli) printDelivered(ctx context.Context, w io.Writer) error {
	fmt.Fprintln(w, "\nLast delivered:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, d := range a.Config.Digests {
		m, ok, err := a.Store.LastSent(ctx, d.Name)
		if err != nil {
			return err
		}
		at := "never"
		if ok {
			at = when(m.Sent, d.Location)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", d.Name, at)
	}
	for _, d := range a.Config.PausedDigests {
		fmt.Fprintf(tw, "  %s\tpaused (enabled = false)\n", d.Name)
	}
	return tw.Flush()
}

func (a *cli) printHealth(w io.Writer, hs []store.Health) {
	loc := a.Config.Location
	byName := map[string]store.Health{}
	for _, h := range hs {
		byName[h.Source] = h
	}
	fmt.Fprintln(w, "Sources:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tSTATUS\tLAST RUN\tLAST SUCCESS\tITEMS\tERROR")
	for _, s := range a.Config.Sources {
		h, ok := byName[s.Name]
		if !ok {
			fmt.Fprintf(tw, "  %s\tnever fetched\t-\t-\t-\t\n", s.Name)
			continue
		}
		// The row names the source already; servers write much of the
		// rest: no raw escapes on the terminal.
		errText := safetext.Line(strings.TrimPrefix(h.LastError, fmt.Sprintf("source %q: ", s.Name)))
		if h.LastStatus == model.StatusError && !h.FailingSince.IsZero() {
			errText = fmt.Sprintf("(%d %s since %s) %s", h.Failures, plural(h.Failures, "failure", "failures"), when(h.FailingSince, loc), errText)
		}
		status, items := h.LastStatus, fmt.Sprint(h.Items)
		if h.LastStatus == model.StatusNotModified {
			status, items = "ok", "not modified"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", s.Name, status, when(h.LastRun, loc), when(h.LastSuccess, loc), items, errText)
	}
	for _, s := range a.Config.PausedSources {
		last := "-"
		if h, ok := byName[s.Name]; ok {
			last = when(h.LastRun, loc)
		}
		fmt.Fprintf(tw, "  %s\tpaused (enabled = false)\t%s\t-\t-\t\n", s.Name, last)
	}
	tw.Flush()
}

func (a *cli) printOutbox(w io.Writer, msgs []model.Message) {
	fmt.Fprintln(w, "\nDigests in the outbox:")
	if len(msgs) == 0 {
		fmt.Fprintln(w, "  none pending or failed")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DIGEST\tSLOT\tSTATUS\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
	for _, m := range msgs {
		next := "-"
		if m.Status == model.MessagePending {
			next = when(m.NextAttempt, a.Config.Location)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", m.Digest, when(m.Slot, a.Config.Location), m.Status, m.Attempts, next, safetext.Line(m.LastError))
	}
	tw.Flush()
}

func (a *cli) printSchedule(w io.Writer, now time.Time) error {
	fmt.Fprintln(w, "\nNext scheduled:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  fetch\t%s\t%s\n", a.Config.FetchSchedule, when(a.Config.FetchTimetable.Next(now), a.Config.Location))
	for _, d := range a.Config.Digests {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.Name, d.Schedule, when(d.Timetable.Next(now), d.Location))
	}
	return tw.Flush()
}

func when(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}
