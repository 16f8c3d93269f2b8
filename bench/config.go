package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"newswatch/config"
)

// wlCompany and wlTopic are the bench watchlist, in config terms.
type wlCompany struct {
	Name    string
	Aliases []string
	Exclude []string
}

type wlTopic struct {
	Name  string
	Terms []string
}

// watchlist returns the bench watchlist: the tracked companies and topics
// the farm's prose mentions, padded with generated companies and topics to
// about terms terms (names, aliases and topic terms). terms <= 2 gives the
// smallest useful list: one company, one topic term.
func watchlist(terms int) ([]wlCompany, []wlTopic) {
	if terms <= 2 {
		return []wlCompany{{Name: "Alibaba"}}, []wlTopic{{Name: "Espionage", Terms: []string{"espionage"}}}
	}
	cs := []wlCompany{
		{Name: "Alibaba", Aliases: []string{"Alibaba Group", "Alibaba Cloud", "Aliyun", "Cainiao", "阿里巴巴"}, Exclude: []string{"Alibaba Pictures"}},
		{Name: "Huawei", Aliases: []string{"Huawei Technologies", "HiSilicon", "华为"}},
		{Name: "TikTok", Aliases: []string{"ByteDance", "Douyin"}},
		{Name: "Tencent", Aliases: []string{"WeChat", "Tencent Cloud"}},
		{Name: "ZTE", Aliases: []string{"ZTE Corporation"}},
		{Name: "Hikvision", Aliases: []string{"Hangzhou Hikvision"}},
		{Name: "DJI", Aliases: []string{"Da-Jiang Innovations"}},
		{Name: "Kaspersky", Aliases: []string{"Kaspersky Lab"}},
		{Name: "SMIC", Aliases: []string{"Semiconductor Manufacturing International"}},
		// Companies the prose names often, never next to a topic term:
		// company hits that are not relevant.
		{Name: "Atlas Shipping"}, {Name: "Castell Bank"}, {Name: "Tessaro Telecom"}, {Name: "Helio Grid"},
	}
	ts := []wlTopic{
		{Name: "Espionage", Terms: []string{"espionage", "spying", "spy", "intelligence service", "intelligence services"}},
		{Name: "Military ties", Terms: []string{"People's Liberation Army", "PLA", "military"}},
		{Name: "Data access", Terms: []string{"customer data", "personal data", "private information", "data access"}},
		{Name: "Vulnerabilities", Terms: []string{"zero-day", "vulnerability", "vulnerabilities", "CVE"}},
		{Name: "Sanctions", Terms: []string{"sanctions", "export controls", "entity list"}},
	}
	r := rand.New(rand.NewPCG(42, 42))
	used := map[string]bool{}
	word := func() string {
		for {
			w := coined(r)
			if !used[w] {
				used[w] = true
				return w
			}
		}
	}
	n := countTerms(cs, ts)
	for k := 0; n < terms; k++ {
		if k%3 < 2 { // two companies (name and two aliases) for every topic (ten terms)
			name := word() + " " + pick(r, []string{"Systems", "Holdings", "Technologies", "Group", "Networks", "Labs"})
			c := wlCompany{Name: name, Aliases: []string{strings.Fields(name)[0], word() + " " + pick(r, []string{"Cloud", "Mobile", "Semiconductor", "Security"})}}
			cs = append(cs, c)
			n += 3
			continue
		}
		t := wlTopic{Name: fmt.Sprintf("Topic %d", len(ts)+1)}
		for j := 0; j < 10 && n < terms; j++ {
			if j%2 == 0 {
				t.Terms = append(t.Terms, word())
			} else {
				t.Terms = append(t.Terms, word()+" "+word())
			}
			n++
		}
		ts = append(ts, t)
	}
	return cs, ts
}

// coined returns a made-up capitalised word, such as "Varodine".
func coined(r *rand.Rand) string {
	on := []string{"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr", "qu", "st"}
	vw := []string{"a", "e", "i", "o", "u", "ae", "io"}
	var b strings.Builder
	for k := 2 + r.IntN(2); k > 0; k-- {
		b.WriteString(pick(r, on))
		b.WriteString(pick(r, vw))
	}
	b.WriteString(pick(r, []string{"x", "n", "r", "l", "s", "th"}))
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

func countTerms(cs []wlCompany, ts []wlTopic) int {
	n := 0
	for _, c := range cs {
		n += 1 + len(c.Aliases)
	}
	for _, t := range ts {
		n += len(t.Terms)
	}
	return n
}

// configOptions are the settings of a bench config.
type configOptions struct {
	Feeds       int // the first Feeds feeds of the farm
	Concurrency int
	Terms       int // watchlist size
	// Database is the database key; "" is newswatch.db in dir.
	Database string
	// FetchSchedule is fetch_schedule, for the daemon runs; "" leaves the default.
	FetchSchedule string
	// Console adds a [web] table: newswatch then keeps the search index
	// up to date at the end of every fetch.
	Console bool
	// FetchTimeout is fetch_timeout; "" leaves the default (10 minutes,
	// which a slot of 20,000 feeds answering in 300 ms outlasts).
	FetchTimeout string
}

// writeConfig writes dir/newswatch.toml for the farm at addr, with its
// database and output folder in dir, and returns the file's path.
func writeConfig(dir, addr string, o configOptions) (string, error) {
	var b strings.Builder
	q := config.Quote
	if o.Database == "" {
		o.Database = "newswatch.db"
	}
	fmt.Fprintf(&b, `# Written by newswatch/bench for a farm of %d feeds on %s.
database = %s
max_age = "72h"
`, o.Feeds, addr, q(o.Database))
	if o.FetchSchedule != "" {
		fmt.Fprintf(&b, "fetch_schedule = %s\n", q(o.FetchSchedule))
	}
	if o.FetchTimeout != "" {
		fmt.Fprintf(&b, "fetch_timeout = %s\n", q(o.FetchTimeout))
	}
	fmt.Fprintf(&b, `
[http]
# user_agent: newswatch's default, so that requests have their real size.
timeout = "20s"
max_body = "10MB"
concurrency = %d
# Every feed of the farm is on 127.0.0.1: a per-host delay would serialise them all.
per_host_delay = "0s"

[output]
dir = "digests"

`, o.Concurrency)
	if o.Console {
		b.WriteString("[web]\nlisten = \"127.0.0.1:8080\" # not served: fetch only reads that a console exists\n\n")
	}
	for i := range o.Feeds {
		fmt.Fprintf(&b, "[[sources]]\nname = %s\nfeed = %s\n\n", q(FeedName(i)), q("http://"+addr+FeedPath(i)))
	}
	cs, ts := watchlist(o.Terms)
	for _, c := range cs {
		fmt.Fprintf(&b, "[[companies]]\nname = %s\n", q(c.Name))
		if len(c.Aliases) > 0 {
			fmt.Fprintf(&b, "aliases = %s\n", tomlList(c.Aliases))
		}
		if len(c.Exclude) > 0 {
			fmt.Fprintf(&b, "exclude = %s\n", tomlList(c.Exclude))
		}
		b.WriteByte('\n')
	}
	for _, t := range ts {
		fmt.Fprintf(&b, "[[topics]]\nname = %s\nterms = %s\n\n", q(t.Name), tomlList(t.Terms))
	}
	b.WriteString("[[digests]]\nname = \"Bench\"\nschedule = \"0 7 * * *\"\nto = [\"bench@example.org\"]\n")
	path := filepath.Join(dir, "newswatch.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("write config: %w", err)
	}
	return path, nil
}

// tomlList writes list as a TOML array of strings.
func tomlList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = config.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
