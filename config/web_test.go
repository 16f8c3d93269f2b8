package config

import (
	"slices"
	"testing"
)

func TestWeb(t *testing.T) {
	for name, tc := range map[string]struct {
		toml string
		want *Web
	}{
		"absent":   {"", nil},
		"defaults": {"[web]\n", &Web{Listen: DefaultWebListen}},
		"all": {"[web]\nlisten = \"0.0.0.0:9000\"\nurl = \"https://nw.example.org/\"\nauth_token_env = \"NW_TOKEN\"\n",
			&Web{Listen: "0.0.0.0:9000", URL: "https://nw.example.org", AuthTokenEnv: "NW_TOKEN"}},
		"localhost": {"[web]\nlisten = \"localhost:8080\"\n", &Web{Listen: "localhost:8080"}},
		"ipv6":      {"[web]\nlisten = \"[::1]:8080\"\n", &Web{Listen: "[::1]:8080"}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := Parse("web.toml", []byte(tc.toml))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == nil && cfg.Web != nil:
				t.Fatalf("Web = %+v, want nil", cfg.Web)
			case tc.want != nil && (cfg.Web == nil || *cfg.Web != *tc.want):
				t.Fatalf("Web = %+v, want %+v", cfg.Web, tc.want)
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:1": true, "[::1]:80": true, "127.1.2.3:80": true,
		":8080": false, "0.0.0.0:80": false, "192.168.1.2:80": false, "example.org:80": false, "bad": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestWebToken(t *testing.T) {
	env := map[string]string{"NW_TOKEN": "t0k"}
	getenv := func(k string) string { return env[k] }
	if got := (&Web{AuthTokenEnv: "NW_TOKEN"}).Token(getenv); got != "t0k" {
		t.Errorf("Token = %q", got)
	}
	if got := (*Web)(nil).Token(getenv); got != "" {
		t.Errorf("nil Token = %q", got)
	}
}

func TestWebTokenTrimmed(t *testing.T) {
	w := &Web{AuthTokenEnv: "NW_TOKEN"}
	for v, want := range map[string]string{" t0k \n": "t0k", "   ": "", "": ""} {
		if got := w.Token(func(string) string { return v }); got != want {
			t.Errorf("Token(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestParseByteOrderMark(t *testing.T) {
	if _, err := Parse("bom.toml", append(slices.Clone(UTF8BOM), "database = \"x.db\"\n"...)); err != nil {
		t.Errorf("a config with a byte order mark: %v", err)
	}
}
