package config

import (
	"slices"
	"strings"
	"testing"
)

func TestMaskURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://hooks.example.org/newswatch", "https://hooks.example.org/newswatch"},
		{"https://hooks.example.org/${HOOK_TOKEN}", "https://hooks.example.org/${HOOK_TOKEN}"},
		{"https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX", "https://hooks.slack.com/services/T0001/B0001/***"},
		{"https://discord.com/api/webhooks/1234567/abcdefghijklmnopqrstuvwxyz0123", "https://discord.com/api/webhooks/1234567/***"},
		{"https://user:pa55@example.org/h?token=abc&x=${X}", "https://user:***@example.org/h?token=***&x=${X}"},
		{"slack://xoxb:1234-5678@C001", "slack://xoxb:***@C001"},
		{"slack://${SLACK_TOKEN}@C001", "slack://${SLACK_TOKEN}@C001"},
		{"discord://tok3n@1234", "discord://***@1234"},
		{"ntfy://alice:${NTFY_PASS}@ntfy.example.org/news", "ntfy://alice:${NTFY_PASS}@ntfy.example.org/news"},
		{"telegram://${TG}@telegram?chats=@newsroom", "telegram://${TG}@telegram?chats=***"},
		{"ifttt://aBcDeFgHiJkLmNoPqRsTuV/?events=news", "ifttt://***/?events=***"},
		{"pushbullet://o.abcdefghijklmnopqrstuvwxyz012345/", "pushbullet://***/"},
		{"slack://${T}@C0123ABCDEF", "slack://${T}@C0123ABCDEF"},
		{"gotify://gotify.example.org/AbcDefGhiJklMno", "gotify://gotify.example.org/***"},
		{"gotify://gotify.example.org/abcdefghijklmno?title=x", "gotify://gotify.example.org/***?title=***"},
		{"ntfy://ntfy.example.org/news", "ntfy://ntfy.example.org/news"},
		{"https://hooks.example.org/AbcDefGhiJklMno", "https://hooks.example.org/AbcDefGhiJklMno"},
		{"tok3n-without-a-scheme", "***"},
		{"https//hooks.example.org/tok3n", "***"},
	} {
		if got := MaskURL(tc.in); got != tc.want {
			t.Errorf("MaskURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSecretParts(t *testing.T) {
	parts := SecretParts("gotify://gotify.example.org/SECRETTOKEN12345xyz?title=x")
	if !slices.Contains(parts, "SECRETTOKEN12345xyz") || !slices.Contains(parts, "x") {
		t.Errorf("secret parts %q lack the token or a query value", parts)
	}
	if parts := SecretParts("https://hooks.example.org/${A}"); len(parts) != 0 {
		t.Errorf("secret parts of a URL with nothing literal: %q", parts)
	}
}

func TestExpandURL(t *testing.T) {
	env := map[string]string{"A": "alpha"}
	got, err := ExpandURL("https://x.example.org/${A}/${B}", func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "variable B is unset") || got != "" {
		t.Fatalf("with B unset: %q, %v", got, err)
	}
	env["B"] = "beta"
	if got, err := ExpandURL("https://x.example.org/${A}/${B}", func(k string) string { return env[k] }); err != nil || got != "https://x.example.org/alpha/beta" {
		t.Fatalf("expanded: %q, %v", got, err)
	}
}

func TestNotifyValidation(t *testing.T) {
	head := "[[companies]]\nname = \"Acme\"\nall_news = true\n\n[[digests]]\nname = \"D\"\nschedule = \"@daily\"\n"
	for _, tc := range []struct{ name, body, want string }{
		{"neither", "", "digests[0].to"},
		{"bad scheme", "notify = [\"ftp://x.example.org/\"]\n", `unknown service "ftp"`},
		{"near service", "notify = [\"slak://tok@chan\"]\n", `did you mean "slack"`},
		{"no host", "notify = [\"https:///path\"]\n", "has no host"},
		{"bad var", "notify = [\"https://x.example.org/${A-B}\"]\n", "not an environment variable name"},
		{"secret env", "notify = [\"https://x.example.org/\"]\nwebhook_secret_env = \"s3cr3t value\"\n", "webhook_secret_env"},
		{"same once masked", "notify = [\"ntfy://me:aaaa@ntfy.example.org/x\", \"ntfy://me:bbbb@ntfy.example.org/x\"]\n", "same channel"},
		{"service refuses", "notify = [\"slack://s3cr3t@C1\"]\n", "the slack service refuses slack://***@C1: invalid slack token format"},
		{"bad parameter", "notify = [\"ntfy://ntfy.example.org/x?priority=loudest\"]\n", `"priority"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("newswatch.toml", []byte(head+tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error repeats the secret: %v", err)
			}
			if !strings.Contains(err.Error(), "newswatch.toml:") {
				t.Errorf("error names no file:line: %v", err)
			}
		})
	}
	cfg, err := Parse("newswatch.toml", []byte(head+"notify = [\"https://x.example.org/${HOOK}\", \"ntfy://ntfy.example.org/news\"]\nwebhook_secret_env = \"NW_SECRET\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cfg.Digests[0]; len(d.Notify) != 2 || len(d.To) != 0 || d.WebhookSecretEnv != "NW_SECRET" {
		t.Fatalf("digest %+v", d)
	}
}
