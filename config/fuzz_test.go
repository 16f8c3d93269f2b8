package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that a rejected
// input is always explained by *Error values with a file name.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*.toml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*.toml"))
	for _, p := range append(seeds, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.toml", data)
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config and nil error")
			}
			return
		}
		for _, e := range problems(t, err) {
			if e.File != "fuzz.toml" {
				t.Fatalf("error %q does not name the file", e)
			}
		}
	})
}
