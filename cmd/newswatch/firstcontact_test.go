package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFirstContact: what a new user meets before any config works: each
// message says what to do next.
func TestFirstContact(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	starter := filepath.Join(dir, "starter.toml")
	if code, _, errOut := runCmd(t, "init", starter); code != exitOK {
		t.Fatalf("init: %s", errOut)
	}
	base, err := os.ReadFile(starter)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"no config", []string{"-config", filepath.Join(dir, "none.toml"), "check"}, []string{"no config at", "newswatch init " + filepath.Join(dir, "none.toml"), "NEWSWATCH_CONFIG"}},
		{"a folder", []string{"-config", dir, "status"}, []string{"is a folder", "wants the config file"}},
		{"unknown command", []string{"fecth"}, []string{`unknown command "fecth" (did you mean "fetch"?)`}},
		{"misspelt global flag", []string{"-cofnig", "x.toml", "check"}, []string{`unknown flag -cofnig (did you mean "-config"?)`}},
		{"misspelt command flag", []string{"-config", starter, "send", "-tset"}, []string{`unknown flag -tset (did you mean "-test"?)`}},
		{"missing quote", []string{"-config", write("quote.toml", "timezone = \"UTC\ndatabase = \"x.db\"\n"), "check"}, []string{"quote.toml:1:", "unterminated string?"}},
		{"tab in a term", []string{"-config", write("tab.toml", strings.Replace(string(base), `"spying"`, `"spying\tspy"`, 1)), "check"},
			[]string{"tab.toml:", "topics[0].terms[1]", "control character"}},
		{"tab in a name", []string{"-config", write("name.toml", strings.Replace(string(base), `name = "Alibaba"`, "name = \"Ali\\tbaba\"", 1)), "check"},
			[]string{"name.toml:", "companies[0].name", "control character"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2\n%s%s", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}
