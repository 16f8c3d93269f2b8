package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"newswatch/app"
	"newswatch/digest"
)

func cmdPreview(ctx context.Context, e *env, args []string) error {
	fs := e.flags("preview")
	out := fs.String("o", "", "write the HTML part to this file")
	format := fs.String("format", "text", "text: the mail's text part; json: the document webhooks receive (a JSON array of them for several digests)")
	names, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	a, err := openAppReadOnly(ctx, e)
	if err != nil && (errors.Is(err, app.ErrNoTables) || errors.Is(err, app.ErrNoDatabase)) {
		// Nothing fetched yet: show what an empty digest looks like, from
		// an empty scratch database, leaving the configured one untouched.
		a, err = openAppWith(ctx, e, app.OpenScratch)
	}
	if err != nil {
		return err
	}
	defer a.Close()
	specs, err := a.specs(names)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usagef("-format is text or json, not %q", *format)
	}
	if *format == "json" && *out != "" {
		return usagef("-o writes the HTML part: it goes with -format text")
	}
	if *out != "" && len(specs) != 1 {
		return usagef("-o writes one digest: name it (have: %s)", strings.Join(a.digestNames(), ", "))
	}
	now := a.Now()
	var docs []digest.Document
	for i, spec := range specs {
		d, err := a.Composer.Compose(ctx, spec, now.Truncate(time.Minute), now)
		if err != nil {
			return err
		}
		if *format == "json" {
			docs = append(docs, digest.NewDocument(d.View, d.Message))
			continue
		}
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		if d.Empty && !spec.SendEmpty {
			why := "no new item matches its companies and topics " + a.sinceLast(ctx, spec.Name)
			if held, err := a.heldBack(ctx, spec.Name); err == nil && !held.IsZero() {
				why = fmt.Sprintf("the new items are in the digest of %s, still in the outbox (`newswatch status` says why)", when(held, spec.Location))
			}
			fmt.Fprintf(e.stdout, "%s: nothing would be sent now: %s, and send_empty is false\n", spec.Name, why)
			continue
		}
		fmt.Fprintf(e.stdout, "Subject: %s\nTo: %s\n\n%s", d.Message.Subject, strings.Join(d.Message.To, ", "), d.Message.Text)
		if *out != "" {
			if err := os.WriteFile(*out, []byte(d.Message.HTML), 0o644); err != nil {
				return fmt.Errorf("write preview: %w", err)
			}
			fmt.Fprintf(e.stderr, "HTML part written to %s\n", *out)
		}
	}
	if *format == "json" {
		return printDocuments(e.stdout, docs)
	}
	return nil
}

// printDocuments writes one digest's document as a JSON object, several
// as an array.
func printDocuments(w io.Writer, docs []digest.Document) error {
	var v any = docs
	if len(docs) == 1 {
		v = docs[0]
	}
	b, err := digest.MarshalJSON(v)
	if err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// sinceLast is "since the last digest, …", or "yet" for a digest never
// delivered.
func (a *cli) sinceLast(ctx context.Context, name string) string {
	last, ok, err := a.Store.LastSent(ctx, name)
	if err != nil || !ok {
		return "yet (no digest was sent so far)"
	}
	return "since the last digest, " + when(last.Sent, a.Config.Location)
}
