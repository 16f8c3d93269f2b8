package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
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
		{"file:///var/lib/newswatch/feeds/wire.xml", "file:///var/lib/newswatch/feeds/wire.xml"},
		{"FILE:feeds/wire.xml", "FILE:feeds/wire.xml"},
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

// TestMaskURLServices: every service's URL form, with its credentials
// where that service puts them (the shoutrrr documentation's forms), shows
// none of them; the names that are not secret stay readable.
func TestMaskURLServices(t *testing.T) {
	const tok = "AbC.dEf-GhI_jKl" // a Gotify token: letters, dots, dashes
	for _, tc := range []struct {
		url, want string
		secrets   []string
	}{
		{"bark://:" + tok + "@bark.example.org/", "bark://:***@bark.example.org/", nil},
		{"discord://" + tok + "@123456789", "discord://***@123456789", nil},
		{"generic://hooks.example.org/api/webhook/" + tok + "?template=json", "generic://hooks.example.org/***/***/***?template=***", nil},
		{"googlechat://chat.googleapis.com/v1/spaces/AAAA/messages?key=" + tok + "&token=tok2tok2", "googlechat://chat.googleapis.com/v1/spaces/AAAA/messages?key=***&token=***", []string{"tok2tok2"}},
		{"gotify://gotify.example.org/" + tok, "gotify://gotify.example.org/***", nil},
		{"gotify://gotify.example.org:8080/sub/" + tok + "?title=x", "gotify://gotify.example.org:8080/***/***?title=***", nil},
		{"ifttt://" + tok + "/?events=news", "ifttt://***/?events=***", nil},
		{"join://shoutrrr:" + tok + "@join/?devices=dev1", "join://***:***@join/?devices=***", nil},
		{"lark://open.larksuite.com/" + tok + "?secret=sek", "lark://open.larksuite.com/***?secret=***", []string{"sek"}},
		{"matrix://bot:" + tok + "@matrix.example.org/?rooms=!room", "matrix://bot:***@matrix.example.org/?rooms=***", nil},
		{"matrix://:" + tok + "@matrix.example.org", "matrix://:***@matrix.example.org", nil},
		{"mattermost://bot@mm.example.org/" + tok + "/newsroom", "mattermost://***@mm.example.org/***/newsroom", nil},
		{"notifiarr://" + tok, "notifiarr://***", nil},
		{"ntfy://alice:" + tok + "@ntfy.example.org/news", "ntfy://alice:***@ntfy.example.org/news", nil},
		{"opsgenie://api.opsgenie.com/" + tok, "opsgenie://api.opsgenie.com/***", nil},
		{"pagerduty://events.pagerduty.com/" + tok, "pagerduty://events.pagerduty.com/***", nil},
		{"pushbullet://" + tok + "/phone", "pushbullet://***/phone", nil},
		{"pushover://shoutrrr:" + tok + "@userkeyuserkey/", "pushover://shoutrrr:***@***/", []string{"userkeyuserkey"}},
		{"rocketchat://bot@chat.example.org/" + tok + "/newsroom", "rocketchat://***@chat.example.org/***/newsroom", nil},
		{"signal://signal.example.org:8080/+3212345678/+3287654321", "signal://signal.example.org:8080/***/***", []string{"3212345678", "3287654321"}},
		{"slack://hook:" + tok + "@webhook", "slack://hook:***@webhook", nil},
		{"slack://" + tok + "@C001", "slack://***@C001", nil},
		{"slack://T0001/B0002/" + tok, "slack://***/***/***", []string{"T0001", "B0002"}},
		{"smtp://me:" + tok + "@mail.example.org:587/?to=a@example.org", "smtp://me:***@mail.example.org:587/?to=***", nil},
		{"teams://group1@tenant1/alt1/owner1?host=org.webhook.office.com", "teams://***@***/***/***?host=***", []string{"group1", "tenant1", "alt1", "owner1"}},
		{"telegram://123456:" + tok + "@telegram?chats=@newsroom", "telegram://123456:***@telegram?chats=***", nil},
		{"wecom://" + tok, "wecom://***", nil},
		{"zulip://bot@zulip.example.org:" + tok + "@zulip.example.org/?stream=news", "zulip://bot@zulip.example.org:***@zulip.example.org/?stream=***", nil},
		{"unknownsvc://host.example.org/" + tok, "unknownsvc://host.example.org/***", nil},
	} {
		got := MaskURL(tc.url)
		if got != tc.want {
			t.Errorf("MaskURL(%q) = %q, want %q", tc.url, got, tc.want)
		}
		for _, s := range append([]string{tok}, tc.secrets...) {
			if strings.Contains(tc.url, s) && strings.Contains(got, s) {
				t.Errorf("MaskURL(%q) = %q shows %q", tc.url, got, s)
			}
		}
	}
}

// TestChatSecretsCoverEveryService: each service the library knows has its
// URL form listed, so none falls back to the default by oversight.
func TestChatSecretsCoverEveryService(t *testing.T) {
	for _, name := range (&router.ServiceRouter{}).ListServices() {
		if _, ok := chatSecrets[name]; !ok {
			t.Errorf("service %s: no entry in chatSecrets (where does its token sit?)", name)
		}
	}
}

// TestMatchChannel: a channel is found by its key whatever MaskURL shows
// of it; a key recorded before keys existed (the masked URL of that time)
// is found while it names one URL of the list.
func TestMatchChannel(t *testing.T) {
	notify := []string{"gotify://gotify.example.org/AbC.dEf-GhI_jKl", "https://hooks.example.org/${HOOK}", "ntfy://ntfy.example.org/news"}
	for i, raw := range notify {
		if got, ok := MatchChannel(notify, ChannelKey(raw)); !ok || got != notify[i] {
			t.Errorf("by key: %q, %v; want %q", got, ok, raw)
		}
	}
	if ChannelKey(notify[0]) == ChannelKey(notify[0]+"x") || strings.Contains(ChannelKey(notify[0]), "AbC") {
		t.Errorf("key %q: not distinct or shows the token", ChannelKey(notify[0]))
	}
	for old, want := range map[string]string{
		"gotify://gotify.example.org/AbC.dEf-GhI_jKl": notify[0], // an older version showed the token
		"gotify://gotify.example.org/***":             notify[0],
		"https://hooks.example.org/${HOOK}":           notify[1],
		"ntfy://ntfy.example.org/news":                notify[2],
	} {
		if got, ok := MatchChannel(notify, old); !ok || got != want {
			t.Errorf("old key %q: %q, %v; want %q", old, got, ok, want)
		}
	}
	for _, old := range []string{"gotify://other.example.org/***", "***", "sha256:0000"} {
		if got, ok := MatchChannel(notify, old); ok {
			t.Errorf("key %q matched %q", old, got)
		}
	}
	if _, ok := MatchChannel([]string{"ntfy://ntfy.example.org/a", "ntfy://ntfy.example.org/b"}, "ntfy://ntfy.example.org/***"); ok {
		t.Error("an old key that fits two URLs matched one of them")
	}
}
