package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"newswatch/internal/safetext"
	"newswatch/store"
)

func cmdStatus(ctx context.Context, e *env, args []string) error {
	if _, err := e.parse(e.flags("status"), args); err != nil {
		return err
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	hs, err := a.st.Health(ctx)
	if err != nil {
		return err
	}
	msgs, err := a.st.Messages(ctx, store.MessagePending, store.MessageFailed)
	if err != nil {
		return err
	}
	a.printHealth(e.stdout, hs)
	a.printOutbox(e.stdout, msgs)
	return a.printSchedule(e.stdout, a.now())
}

func (a *app) printHealth(w io.Writer, hs []store.Health) {
	loc := a.cfg.Location
	byName := map[string]store.Health{}
	for _, h := range hs {
		byName[h.Source] = h
	}
	fmt.Fprintln(w, "Sources:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tSTATUS\tLAST RUN\tLAST SUCCESS\tITEMS\tERROR")
	for _, s := range a.cfg.Sources {
		h, ok := byName[s.Name]
		if !ok {
			fmt.Fprintf(tw, "  %s\tnever fetched\t-\t-\t-\t\n", s.Name)
			continue
		}
		errText := safetext.Line(h.LastError) // servers write much of it: no raw escapes on the terminal
		if h.LastStatus == store.StatusError && !h.FailingSince.IsZero() {
			errText = fmt.Sprintf("(%d %s since %s) %s", h.Failures, plural(h.Failures, "failure", "failures"), when(h.FailingSince, loc), errText)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\n", s.Name, h.LastStatus, when(h.LastRun, loc), when(h.LastSuccess, loc), h.Items, errText)
	}
	tw.Flush()
}

func (a *app) printOutbox(w io.Writer, msgs []store.Message) {
	fmt.Fprintln(w, "\nDigests in the outbox:")
	if len(msgs) == 0 {
		fmt.Fprintln(w, "  none pending or failed")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DIGEST\tSLOT\tSTATUS\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
	for _, m := range msgs {
		next := "-"
		if m.Status == store.MessagePending {
			next = when(m.NextAttempt, a.cfg.Location)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", m.Digest, when(m.Slot, a.cfg.Location), m.Status, m.Attempts, next, safetext.Line(m.LastError))
	}
	tw.Flush()
}

func (a *app) printSchedule(w io.Writer, now time.Time) error {
	fmt.Fprintln(w, "\nNext scheduled:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  fetch\t%s\t%s\n", a.cfg.FetchSchedule, when(a.cfg.FetchTimetable.Next(now), a.cfg.Location))
	for _, d := range a.cfg.Digests {
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
