package match

import (
	"fmt"
	"html"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// The benchmarks run over a corpus of news articles (the two seed stories
// and generated ones) against watchlists of 50, 1,000 and 10,000 terms
// (aliases, exclude phrases and topic terms), all generated from a fixed
// seed. Two engines are compared side by side (an Aho-Corasick automaton
// over the same lexer's output was measured too and lost; its figures are
// kept in BENCHMARKS.md):
//
//	trie         Match: the word trie of this package
//	naive        one `(?i)\bterm\b` regexp per term, every regexp over every
//	             text; it only finds occurrences, it does not evaluate
//
// Run: go test ./match/ -run '^$' -bench . -benchtime 200ms -cpu 1

var benchSizes = []int{50, 1000, 10000}

func BenchmarkMatch(b *testing.B) {
	corpus, size := benchCorpus(b)
	for _, n := range benchSizes {
		companies, topics := benchWatchlist(n)
		w, err := Compile(companies, topics)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("terms=%d/trie", n), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			hits := 0
			c0 := cpuTime()
			for b.Loop() {
				for _, t := range corpus {
					hits += len(w.Match(t))
				}
			}
			reportCPU(b, c0, size)
			b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
		})
		b.Run(fmt.Sprintf("terms=%d/naive", n), func(b *testing.B) {
			nv := newNaive(companies, topics)
			// At many terms a pass over the whole corpus takes many
			// seconds: measure on the first article, MB/s stays comparable.
			texts := corpus
			if n >= 1000 {
				texts = corpus[:1]
			}
			bytes := 0
			for _, t := range texts {
				bytes += len(t.Title) + len(t.Body)
			}
			b.SetBytes(int64(bytes))
			found := 0
			c0 := cpuTime()
			for b.Loop() {
				for _, t := range texts {
					found += nv.find(t)
				}
			}
			reportCPU(b, c0, bytes)
			b.ReportMetric(float64(found)/float64(b.N), "found/op")
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	companies, topics := benchWatchlist(10000)
	b.Run("terms=10000/trie", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Compile(companies, topics); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(retainedMB(func() any {
			w, _ := Compile(companies, topics)
			return w
		}), "heap-MB")
	})
}

// reportCPU reports throughput per CPU second since c0 as cpu-MB/s: on a
// shared machine the wall-clock MB/s also counts the time other processes
// held the CPU.
func reportCPU(b *testing.B, c0 time.Duration, size int) {
	if d := cpuTime() - c0; c0 > 0 && d > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}

// retainedMB returns the heap held by what build returns, in MB.
func retainedMB(build func() any) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / 1e6
}

// TestBenchWatchlist checks the generated watchlists have the sizes named.
func TestBenchWatchlist(t *testing.T) {
	for _, n := range benchSizes {
		companies, topics := benchWatchlist(n)
		if got := countTerms(companies, topics); got != n {
			t.Errorf("benchWatchlist(%d) has %d terms", n, got)
		}
		if _, err := Compile(companies, topics); err != nil {
			t.Fatal(err)
		}
	}
}

func countTerms(companies []Company, topics []Topic) int {
	n := 0
	for _, c := range companies {
		n += 1 + len(c.Aliases) + len(c.Exclude)
	}
	for _, t := range topics {
		n += len(t.Terms)
	}
	return n
}

// Generated watchlists and news.

var (
	syllables = strings.Fields("al ba zen tri kor vex mon li ta ra ne qu so fi dar gen lo mi cor tek sys ar on is ka ven tor ix um pha")
	suffixes  = []string{"", "", "", " Group", " Holdings", " Technologies", " Systems", " Bank", " Energy", " Labs",
		" Networks", " Motors", " Cloud", " Security", " Logistics", " Pharma", " Capital", " Telecom"}
	hanNames  = []rune("阿里巴腾讯华为中兴百度京东小米联想美团字节跳动网易海康威视大疆比亚迪")
	topicWord = strings.Fields(`espionage ransomware malware phishing backdoor botnet breach leak exploit
		vulnerability patch sanctions tariffs export controls military army navy intelligence surveillance
		hacking hacker cyberattack attack intrusion data privacy spyware trojan zero-day firmware supply
		chain outage fraud bribery corruption lawsuit antitrust fine regulator probe investigation ban
		embargo smuggling drone missile satellite chip semiconductor quantum encryption password credential
		leak insider theft disinformation propaganda election interference influence operation state-sponsored
		APT cloud server customer personal information access transfer subsidy dumping forced labour
		human rights censorship firewall telecom 5G network infrastructure critical grid pipeline port
		airport logistics hub acquisition merger takeover stake investment security clearance defence
		defense contractor weapons nuclear biotech genome facial recognition biometric tracking location
		CVE DDoS SIM IoT router camera vendor blacklist entity list delisting audit accounting whistleblower`)
	commonWords = strings.Fields(`the the the the of of of and and and to to a a a in in is that for on with as
		was said by it at from its be has have an are this which not but were their he they or had been also more
		will would company government officials year new first over after about market people two one business
		report reports statement spokesperson minister week last could than other into some up out when who
		million billion percent shares investors analysts according told chinese european american country
		countries state national international global economy trade deal talks agreement policy plans since
		earlier month months years while because during before under between against among public private
		group unit firm firms operations services products technology technologies online platform users
		customers data systems information network security authorities regulators court law rules industry
		sector growth revenue profit quarter results price prices stock exchange capital funds bank banks
		Thursday Monday Friday Beijing Brussels Washington London Europe China Belgium minister president`)
)

// benchWatchlist returns the test watchlist (testCompanies, testTopics)
// completed with generated companies and topics to n terms: about 70% of
// the terms are company names and aliases, the rest topic terms of up to
// three words, each used once, in topics of 25 terms.
func benchWatchlist(n int) ([]Company, []Topic) {
	rng := rand.New(rand.NewPCG(1, 2))
	companies := slices.Clone(testCompanies)
	topics := slices.Clone(testTopics)
	used := map[string]bool{}
	for _, t := range topics {
		for _, term := range t.Terms {
			used[strings.ToLower(term)] = true
		}
	}
	left := n - countTerms(companies, topics)
	for left > 0 {
		if rng.IntN(10) < 7 {
			c := Company{Name: companyName(rng)}
			left--
			for k := rng.IntN(4); k > 0 && left > 0; k-- {
				c.Aliases = append(c.Aliases, companyName(rng))
				left--
			}
			companies = append(companies, c)
			continue
		}
		term := topicTerm(rng)
		if used[term] {
			continue
		}
		used[term] = true
		if len(topics) == len(testTopics) || len(topics[len(topics)-1].Terms) >= 25 {
			topics = append(topics, Topic{Name: fmt.Sprintf("Topic %d", len(topics)+1)})
		}
		t := &topics[len(topics)-1]
		t.Terms = append(t.Terms, term)
		left--
	}
	return companies, topics
}

func companyName(rng *rand.Rand) string {
	switch r := rng.IntN(100); {
	case r < 5: // an acronym
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteByte(byte('A' + rng.IntN(26)))
		}
		return b.String()
	case r < 8: // a Chinese name
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteRune(hanNames[rng.IntN(len(hanNames))])
		}
		return b.String()
	}
	var b strings.Builder
	for range 2 + rng.IntN(2) {
		b.WriteString(syllables[rng.IntN(len(syllables))])
	}
	name := []rune(b.String())
	name[0] = unicode.ToUpper(name[0])
	return string(name) + suffixes[rng.IntN(len(suffixes))]
}

func topicTerm(rng *rand.Rand) string {
	words := 1
	switch r := rng.IntN(10); {
	case r >= 8:
		words = 3
	case r >= 4:
		words = 2
	}
	parts := make([]string, words)
	for i := range parts {
		parts[i] = topicWord[rng.IntN(len(topicWord))]
	}
	return strings.Join(parts, " ")
}

// benchCorpus returns the seed stories and 20 generated articles of 2–5 KB,
// and their size in bytes.
func benchCorpus(tb testing.TB) ([]Text, int) {
	var corpus []Text
	for _, f := range []string{"alibaba-denies-ft-report.txt", "belgium-monitors-alibaba.txt"} {
		b, err := os.ReadFile("testdata/" + f)
		if err != nil {
			tb.Fatal(err)
		}
		title, body, _ := strings.Cut(string(b), "\n")
		corpus = append(corpus, Text{Title: Prepare(title), Body: Prepare(body)})
	}
	companies, _ := benchWatchlist(10000)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		// An article is about one to three companies.
		var about []string
		for range 1 + rng.IntN(3) {
			about = append(about, companies[rng.IntN(len(companies))].Name)
		}
		corpus = append(corpus, Text{
			Title: genSentence(rng, about, 8+rng.IntN(6), false),
			Body:  article(rng, about, 2000+rng.IntN(3000)),
		})
	}
	size := 0
	for _, t := range corpus {
		size += len(t.Title) + len(t.Body)
	}
	return corpus, size
}

func article(rng *rand.Rand, about []string, size int) string {
	var b strings.Builder
	for b.Len() < size {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(genSentence(rng, about, 8+rng.IntN(22), true))
	}
	return b.String()
}

// genSentence writes words drawn mostly from common English, with one of
// the companies in about one sentence in three and a security word now and
// then.
func genSentence(rng *rand.Rand, about []string, words int, stop bool) string {
	var parts []string
	company := -1
	if rng.IntN(3) == 0 {
		company = rng.IntN(words)
	}
	for i := range words {
		var w string
		switch r := rng.IntN(100); {
		case i == company:
			w = about[rng.IntN(len(about))]
			if rng.IntN(4) == 0 {
				w += "’s"
			}
		case r < 4:
			w = topicWord[rng.IntN(len(topicWord))]
		case r < 6:
			w = fmt.Sprint(rng.IntN(2030))
		default:
			// Square the uniform draw: frequent words come first.
			f := rng.Float64()
			w = commonWords[int(f*f*float64(len(commonWords)))]
		}
		if i < words-1 && rng.IntN(12) == 0 {
			w += ","
		}
		parts = append(parts, w)
	}
	s := strings.Join(parts, " ")
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if stop {
		s += "."
	}
	return s
}

// naive finds terms with one regexp each, the way a first version would.
type naive struct{ res []*regexp.Regexp }

func newNaive(companies []Company, topics []Topic) *naive {
	var terms []string
	for _, c := range companies {
		terms = append(terms, c.Name)
		terms = append(terms, c.Aliases...)
		terms = append(terms, c.Exclude...)
	}
	for _, t := range topics {
		terms = append(terms, t.Terms...)
	}
	nv := &naive{}
	for _, term := range terms {
		nv.res = append(nv.res, regexp.MustCompile(`(?i)\b`+regexp.QuoteMeta(term)+`\b`))
	}
	return nv
}

func (nv *naive) find(t Text) int {
	n := 0
	for _, re := range nv.res {
		n += len(re.FindAllStringIndex(t.Title, -1)) + len(re.FindAllStringIndex(t.Body, -1))
	}
	return n
}

// BenchmarkLex measures the lexer alone: the floor under Match.
func BenchmarkLex(b *testing.B) {
	corpus, size := benchCorpus(b)
	b.SetBytes(int64(size))
	var lx lexer
	n := 0
	for b.Loop() {
		for _, t := range corpus {
			for _, f := range []string{t.Title, t.Body} {
				lx.reset(f)
				for lx.next() {
					n++
				}
			}
		}
	}
}

// BenchmarkPrepare measures turning feed HTML into text: the seed articles
// as a feed's content:encoded carries them, paragraphs, links, emphasis,
// typographic entities and a tracking image.
func BenchmarkPrepare(b *testing.B) {
	var docs []string
	size := 0
	for _, f := range []string{"alibaba-denies-ft-report.txt", "belgium-monitors-alibaba.txt"} {
		raw, err := os.ReadFile("testdata/" + f)
		if err != nil {
			b.Fatal(err)
		}
		var sb strings.Builder
		for i, p := range strings.Split(string(raw), "\n") {
			if strings.TrimSpace(p) == "" {
				continue
			}
			p = strings.ReplaceAll(html.EscapeString(p), "&#39;", "&#8217;")
			if i%3 == 1 {
				p = `<a href="https://example.com/story?id=` + strconv.Itoa(i) + `" rel="noopener">` + p + `</a>`
			}
			fmt.Fprintf(&sb, "<p class=\"story-body\">%s <em>(%d)</em></p>\n", p, i)
		}
		sb.WriteString(`<img src="https://example.com/pixel.gif" width="1" height="1" alt=""/>`)
		docs = append(docs, sb.String())
		size += sb.Len()
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			Prepare(d)
		}
	}
}
