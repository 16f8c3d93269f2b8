package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

func cmdPreview(ctx context.Context, e *env, args []string) error {
	fs := e.flags("preview")
	out := fs.String("o", "", "write the HTML part to this file")
	names, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	open := openAppReadOnly
	if databaseExists(e.config) != nil {
		open = openApp // nothing fetched yet: an empty database shows what an empty digest looks like
	}
	a, err := open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	specs, err := a.specs(names)
	if err != nil {
		return err
	}
	if *out != "" && len(specs) != 1 {
		return usagef("-o writes one digest: name it (have: %s)", strings.Join(a.digestNames(), ", "))
	}
	now := a.now()
	for i, spec := range specs {
		d, err := a.composer.Compose(ctx, spec, now.Truncate(time.Minute), now)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprintf(e.stdout, "Subject: %s\nTo: %s\n\n%s", d.Message.Subject, strings.Join(d.Message.To, ", "), d.Message.Text)
		if *out != "" {
			if err := os.WriteFile(*out, []byte(d.Message.HTML), 0o644); err != nil {
				return fmt.Errorf("write preview: %w", err)
			}
			fmt.Fprintf(e.stderr, "HTML part written to %s\n", *out)
		}
	}
	return nil
}
