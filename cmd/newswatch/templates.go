package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"newswatch/templates"
)

func cmdTemplates(ctx context.Context, e *env, args []string) error {
	fset := e.flags("templates")
	dir := fset.String("dir", "", "write the templates into this folder (existing files are kept)")
	if _, err := e.parse(fset, args); err != nil {
		return err
	}
	for i, name := range []string{templates.HTML, templates.Text} {
		b, err := templates.FS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("built-in template %s: %w", name, err)
		}
		if *dir != "" {
			if err := writeNew(filepath.Join(*dir, name), b); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s\n", filepath.Join(*dir, name))
			continue
		}
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprintf(e.stdout, "==> %s <==\n%s", name, b)
	}
	return nil
}

// writeNew writes a file that must not exist yet: edited templates are never overwritten.
func writeNew(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("templates: %s exists; move it away to get the built-in one", path)
	}
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("templates: write %s: %w", path, err)
	}
	return f.Close()
}
