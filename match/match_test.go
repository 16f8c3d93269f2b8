package match

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

var testCompanies = []Company{
	{Name: "Alibaba", Aliases: []string{"Alibaba Group", "Alibaba Cloud", "Aliyun", "Cainiao", "阿里巴巴"}, Exclude: []string{"Alibaba Pictures"}},
	{Name: "Huawei", AllNews: true},
	{Name: "Tencent", Near: 5},
	{Name: "ZTE"},
}

var testTopics = []Topic{
	{Name: "Espionage", Terms: []string{"espionage", "spying", "spy", "intelligence service", "间谍"}},
	{Name: "Military", Terms: []string{"PLA", "People's Liberation Army", "military"}},
	{Name: "Data access", Terms: []string{"customer data", "personal data", "private information"}},
	{Name: "Vulnerabilities", Terms: []string{"zero-day", "vulnerability", "vulnerabilities", "CVE"}},
	{Name: "Sanctions", Terms: []string{"sanctions", "export controls", "entity list"}},
	{Name: "Cloud", Terms: []string{"cloud"}},
}

func testWatchlist(t testing.TB) *Watchlist {
	t.Helper()
	w, err := Compile(testCompanies, testTopics)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// summary renders hits as "Company[Topic,Topic]" joined by spaces.
func summary(hits []Hit) string {
	var parts []string
	for _, h := range hits {
		parts = append(parts, h.Company+"["+strings.Join(h.Topics, ",")+"]")
	}
	return strings.Join(parts, " ")
}

func TestMatch(t *testing.T) {
	w := testWatchlist(t)
	tests := []struct {
		name  string
		title string
		body  string
		want  string
	}{
		{"possessive", "", "Alibaba's spying operation", "Alibaba[Espionage]"},
		{"possessive typographic", "", "Alibaba’s spying operation", "Alibaba[Espionage]"},
		{"hyphenated", "", "An Alibaba-backed firm was accused of espionage.", "Alibaba[Espionage]"},
		{"longer word", "", "Alibabacoin spying scandal", ""},
		{"prefix word", "", "MegaAlibaba spying scandal", ""},
		{"capitals match PLA", "", "Alibaba denies ties to the PLA.", "Alibaba[Military]"},
		{"capitals Pla does not match PLA", "", "Alibaba denies ties to the Pla.", ""},
		{"capitals pla does not match PLA", "", "Alibaba denies ties to the pla.", ""},
		{"capitals full-width", "", "Alibaba denies ties to the ＰＬＡ.", "Alibaba[Military]"},
		{"capitals company", "", "Zte says spying claims are false", ""},
		{"capitals company match", "", "ZTE says spying claims are false", "ZTE[Espionage]"},
		{"case-insensitive", "", "ALIBABA ACCUSED OF ESPIONAGE", "Alibaba[Espionage]"},
		{"full-width alias", "", "ＡＬＩＢＡＢＡ accused of espionage", "Alibaba[Espionage]"},
		{"Han in Chinese sentence", "", "据报道，阿里巴巴集团涉嫌间谍活动。", "Alibaba[Espionage]"},
		{"Han alias, English topic", "阿里巴巴否认", "The firm denied any espionage.", "Alibaba[Espionage]"},
		{"alias in title, topic in body", "Cainiao expands in Liège", "Belgium's intelligence service is watching.", "Alibaba[Espionage]"},
		{"excluded phrase", "", "Alibaba Pictures releases a spy thriller", ""},
		{"excluded phrase drops company everywhere", "", "Alibaba Pictures releases a film. Alibaba denies spying.", ""},
		{"excluded phrase, other company kept", "", "Alibaba Pictures and Huawei", "Huawei[]"},
		{"no topic", "", "Alibaba reports record revenue", ""},
		{"all_news", "", "Huawei opens a store in Paris", "Huawei[]"},
		{"all_news keeps topics", "", "Huawei denies spying", "Huawei[Espionage]"},
		{"typographic apostrophe", "", "Alibaba gave the People’s Liberation Army access", "Alibaba[Military]"},
		{"modifier letter apostrophe", "", "Alibabaʼs spying operation", "Alibaba[Espionage]"},
		{"ascii apostrophe", "", "Alibaba gave the People's Liberation Army access", "Alibaba[Military]"},
		{"apostrophe required", "", "Alibaba gave the Peoples Liberation Army access", ""},
		{"hyphen as space", "", "Alibaba staff passed zero day flaws", "Alibaba[Vulnerabilities]"},
		{"hyphen joined", "", "Alibaba staff passed zeroday flaws", "Alibaba[Vulnerabilities]"},
		{"en dash as hyphen", "", "Alibaba staff passed zero–day flaws", "Alibaba[Vulnerabilities]"},
		{"phrase across sentence", "", "Alibaba met a customer. Data was not discussed.", ""},
		{"phrase across comma", "", "Alibaba met a customer, data was not discussed.", ""},
		{"phrase across line", "", "Alibaba intelligence\nservice", "Alibaba[Espionage]"},
		{"near within", "", "Tencent denied spying on users.", "Tencent[Espionage]"},
		{"near exactly 5 words", "", "Tencent one two three four spy", "Tencent[Espionage]"},
		{"near 6 words", "", "Tencent one two three four five spy", ""},
		{"near before", "", "spy one two three four Tencent", "Tencent[Espionage]"},
		{"near other field", "Tencent results", "spy", ""},
		{"near one of many", "", "Tencent one two three four five six seven spy. Later Tencent spy.", "Tencent[Espionage]"},
		{"topic inside alias", "", "Alibaba Cloud revenue grows", ""},
		{"topic outside alias", "", "Alibaba Cloud moves more customers to the cloud", "Alibaba[Cloud]"},
		{"soft hyphen inside word", "", "Ali\u00adbaba spy", "Alibaba[Espionage]"},
		{"combining accent", "", "Alibaba e\u0301spionage", ""},
		{"two companies", "Huawei and Alibaba accused of spying", "", "Alibaba[Espionage] Huawei[Espionage]"},
		{"several topics", "", "Alibaba faces sanctions over espionage and PLA ties", "Alibaba[Espionage,Military,Sanctions]"},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := Text{Title: tt.title, Body: tt.body}
			hits := w.Match(text)
			got := summary(hits)
			if got != tt.want {
				t.Errorf("Match(%q, %q) = %q, want %q", tt.title, tt.body, got, tt.want)
			}
			checkHits(t, text, hits)
		})
	}
}

// checkHits checks that every span is inside its field and covers text.
func checkHits(t *testing.T, text Text, hits []Hit) {
	t.Helper()
	for _, h := range hits {
		for _, th := range append(slices.Clone(h.Aliases), h.Terms...) {
			if th.Count < len(th.Spans) || len(th.Spans) == 0 {
				t.Errorf("%s: %q: Count %d, %d spans", h.Company, th.Term, th.Count, len(th.Spans))
			}
			for _, sp := range th.Spans {
				field := text.Body
				if sp.InTitle {
					field = text.Title
				}
				if sp.Start < 0 || sp.Start >= sp.End || sp.End > len(field) {
					t.Fatalf("%s: %q: span %+v outside field of %d bytes", h.Company, th.Term, sp, len(field))
				}
			}
		}
		if h.Score <= 0 {
			t.Errorf("%s: score %v", h.Company, h.Score)
		}
	}
}

func TestMatchReasons(t *testing.T) {
	w := testWatchlist(t)
	text := Text{
		Title: "Alibaba’s PLA ties",
		Body:  "Alibaba Group denied it. Customer data went to the People's Liberation Army, the FT said.",
	}
	hits := w.Match(text)
	if len(hits) != 1 {
		t.Fatalf("got %d hits, want 1: %+v", len(hits), hits)
	}
	h := hits[0]
	if !h.InTitle {
		t.Error("InTitle = false")
	}
	if got := strings.Join(h.Topics, ","); got != "Data access,Military" {
		t.Errorf("Topics = %s", got)
	}
	spanText := func(sp Span) string {
		if sp.InTitle {
			return text.Title[sp.Start:sp.End]
		}
		return text.Body[sp.Start:sp.End]
	}
	var got []string
	for _, a := range h.Aliases {
		for _, sp := range a.Spans {
			got = append(got, a.Term+"="+spanText(sp))
		}
	}
	for _, tm := range h.Terms {
		for _, sp := range tm.Spans {
			got = append(got, tm.Topic+"/"+tm.Term+"="+spanText(sp))
		}
	}
	want := []string{
		"Alibaba=Alibaba", "Alibaba=Alibaba", "Alibaba Group=Alibaba Group",
		"Military/PLA=PLA", "Military/People's Liberation Army=People's Liberation Army",
		"Data access/customer data=Customer data",
	}
	if !slices.Equal(got, want) {
		t.Errorf("reasons\n got %q\nwant %q", got, want)
	}
	if !h.Aliases[0].Spans[0].InTitle || h.Aliases[0].Spans[1].InTitle {
		t.Errorf("alias spans: %+v", h.Aliases[0].Spans)
	}
	// 1 + 2 title + 2 topics + 1 topic in title + 2 same sentence + 0.2 company + 0.3 terms
	if h.Score != 8.5 {
		t.Errorf("Score = %v, want 8.5", h.Score)
	}
}

func TestMatchOrder(t *testing.T) {
	w := testWatchlist(t)
	text := Text{
		Title: "ZTE spy case widens",
		Body:  "Alibaba was mentioned. Much later, an unrelated note on espionage. Huawei too.",
	}
	hits := w.Match(text)
	if got := summary(hits); got != "ZTE[Espionage] Alibaba[Espionage] Huawei[Espionage]" {
		t.Errorf("order = %s", got)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Errorf("hit %d scores %v > %v", i, hits[i].Score, hits[i-1].Score)
		}
	}
	// Equal scores keep the configuration order, run after run.
	for range 20 {
		if got := summary(w.Match(text)); got != summary(hits) {
			t.Fatalf("order changed: %s", got)
		}
	}
}

func TestSeeds(t *testing.T) {
	w := testWatchlist(t)
	tests := []struct {
		file   string
		topics string
		terms  []string
	}{
		{"alibaba-denies-ft-report.txt", "Data access,Military,Sanctions,Vulnerabilities", []string{"PLA", "People's Liberation Army", "customer data", "zero-day", "sanctions"}},
		{"belgium-monitors-alibaba.txt", "Data access,Espionage", []string{"espionage", "spying", "intelligence service", "private information"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			title, body, _ := strings.Cut(string(b), "\n")
			text := Text{Title: Prepare(title), Body: Prepare(body)}
			hits := w.Match(text)
			if len(hits) != 1 || hits[0].Company != "Alibaba" {
				t.Fatalf("hits = %s, want Alibaba", summary(hits))
			}
			h := hits[0]
			if got := strings.Join(h.Topics, ","); got != tt.topics {
				t.Errorf("topics = %s, want %s", got, tt.topics)
			}
			var terms []string
			for _, tm := range h.Terms {
				terms = append(terms, tm.Term)
			}
			for _, want := range tt.terms {
				if !slices.Contains(terms, want) {
					t.Errorf("terms %q lack %q", terms, want)
				}
			}
			if !h.InTitle {
				t.Error("InTitle = false")
			}
			checkHits(t, text, hits)
		})
	}
}

func TestPreparedSummary(t *testing.T) {
	w := testWatchlist(t)
	summaryHTML := "&amp;lt;p&amp;gt;Alibaba&amp;#8217;s &amp;lt;b&amp;gt;espio&amp;lt;/b&amp;gt;nage case&amp;lt;/p&amp;gt;"
	body := Prepare(summaryHTML)
	if body != "Alibaba’s espionage case" {
		t.Fatalf("Prepare = %q", body)
	}
	if got := summary(w.Match(Text{Body: body})); got != "Alibaba[Espionage]" {
		t.Errorf("Match = %s", got)
	}
}

func TestExplain(t *testing.T) {
	w := testWatchlist(t)
	text := Text{Body: "Alibaba Pictures and Alibaba. Huawei. Tencent results were strong, said analysts on a call about spy novels."}
	vs := w.Explain(text)
	if len(vs) != len(testCompanies) {
		t.Fatalf("%d verdicts", len(vs))
	}
	want := []struct {
		relevant bool
		reason   string
	}{
		{false, `excluded: "Alibaba Pictures"`},
		{true, ""},
		{false, "no topic term near the company (within 5 words)"},
		{false, "no alias found"},
	}
	for i, v := range vs {
		if v.Company != testCompanies[i].Name || v.Relevant != want[i].relevant || v.Reason != want[i].reason {
			t.Errorf("verdict %d = %s %v %q, want %v %q", i, v.Company, v.Relevant, v.Reason, want[i].relevant, want[i].reason)
		}
	}
	if v := w.Explain(Text{Body: "ZTE news"})[3]; v.Relevant || v.Reason != ReasonNoTopic {
		t.Errorf("ZTE verdict %v %q", v.Relevant, v.Reason)
	}
	if len(vs[0].Excluded) != 1 || vs[0].Excluded[0].Term != "Alibaba Pictures" {
		t.Errorf("Excluded = %+v", vs[0].Excluded)
	}
	vs = w.Explain(Text{Body: "nothing here"})
	if vs[0].Reason != ReasonNoAlias {
		t.Errorf("reason %q", vs[0].Reason)
	}
}

func TestFind(t *testing.T) {
	w := testWatchlist(t)
	found := w.Find(Text{Title: "Alibaba Pictures", Body: "spy and spy"})
	var got []string
	for _, th := range found {
		got = append(got, th.Company+"|"+th.Topic+"|"+th.Term+"|"+strings.Repeat("x", th.Count))
	}
	want := []string{"Alibaba||Alibaba|x", "Alibaba||Alibaba Pictures|x", "|Espionage|spy|xx"}
	if !slices.Equal(got, want) {
		t.Errorf("Find = %q, want %q", got, want)
	}
	if !found[1].Exclude {
		t.Error("exclude phrase not marked")
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name      string
		companies []Company
		topics    []Topic
		want      error
	}{
		{"no name", []Company{{Name: " "}}, nil, ErrNoName},
		{"empty alias", []Company{{Name: "A", Aliases: []string{""}}}, nil, ErrEmptyTerm},
		{"punctuation term", nil, []Topic{{Name: "T", Terms: []string{"--"}}}, ErrEmptyTerm},
		{"empty exclude", []Company{{Name: "A", Exclude: []string{"  "}}}, nil, ErrEmptyTerm},
		{"long term", nil, []Topic{{Name: "T", Terms: []string{strings.Repeat("word ", 65)}}}, ErrLongTerm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.companies, tt.topics)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := Compile(nil, nil); err != nil {
		t.Errorf("empty watchlist: %v", err)
	}
}

func TestMatchConcurrent(t *testing.T) {
	w := testWatchlist(t)
	texts := []Text{
		{Title: "Alibaba’s PLA ties", Body: "Customer data went to the People's Liberation Army."},
		{Body: "据报道，阿里巴巴集团涉嫌间谍活动。"},
		{Body: "Huawei denies spying; ZTE too."},
	}
	want := make([]string, len(texts))
	for i, text := range texts {
		want[i] = summary(w.Match(text))
	}
	done := make(chan bool)
	for g := range 8 {
		go func() {
			defer func() { done <- true }()
			for i := range 200 {
				k := (g + i) % len(texts)
				if got := summary(w.Match(texts[k])); got != want[k] {
					t.Errorf("goroutine %d: %s, want %s", g, got, want[k])
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
}

// TestTermHitInTitle: a word is in the title when any of its spans is.
func TestTermHitInTitle(t *testing.T) {
	body := TermHit{Spans: []Span{{Start: 0, End: 3}}}
	both := TermHit{Spans: []Span{{Start: 0, End: 3, InTitle: true}, {Start: 5, End: 8}}}
	if body.InTitle() || !both.InTitle() || (TermHit{}).InTitle() {
		t.Errorf("InTitle: body %v, both %v, none %v", body.InTitle(), both.InTitle(), TermHit{}.InTitle())
	}
}

// TestScore checks Hit.Score against the formula of the package doc,
// sentence by sentence: which breaks end a sentence, that title and body
// never share one, and the caps on occurrences.
func TestScore(t *testing.T) {
	w := testWatchlist(t)
	tests := []struct {
		name        string
		title, body string
		company     string
		want        float64
	}{
		// 1 + 1 topic + 2 same sentence + 0.1 company + 0.1 term
		{"same sentence", "", "Alibaba denies spying.", "Alibaba", 4.2},
		{"other sentence", "", "Alibaba denies it. Spying goes on.", "Alibaba", 2.2},
		{"single-letter abbreviation is no sentence end", "", "Alibaba told U.S. officials about spying.", "Alibaba", 4.2},
		{"CJK full stop ends a sentence", "", "阿里巴巴否认。间谍活动", "Alibaba", 2.2},
		{"CJK full stop without a following space", "", "阿里巴巴否认。Spying goes on.", "Alibaba", 2.2},
		// 1 + 1 topic + 1 topic in title + 0.1 + 0.1: sentence 0 of the
		// title is not sentence 0 of the body.
		{"title and body never share a sentence", "Spying claims", "Alibaba denies them.", "Alibaba", 3.2},
		// The same, through the Near check: a topic term inside an alias
		// ("cloud" in "Alibaba Cloud") sends Alibaba down that path.
		// 1 + 2 topics + 2 in title + 0.1 + 0.2
		{"title and body never share a sentence, near path", "Cloud spying", "Alibaba Cloud denies it.", "Alibaba", 5.3},
		// "Alibaba Group" and "Alibaba" start at the same word: one mention.
		{"one mention per first word", "", "Alibaba Group denies spying.", "Alibaba", 4.2},
		// 12 mentions and 12 term occurrences count 1 each at most:
		// 1 + 1 + 2 + 1 + 1
		{"occurrences capped", "", strings.Repeat("Alibaba ", 12) + strings.Repeat("spying ", 12), "Alibaba", 6},
		{"11 occurrences capped", "", strings.Repeat("Alibaba ", 11) + strings.Repeat("spying ", 11), "Alibaba", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, h := range w.Match(Text{Title: tt.title, Body: tt.body}) {
				if h.Company == tt.company {
					if h.Score != tt.want {
						t.Errorf("Score = %v, want %v", h.Score, tt.want)
					}
					return
				}
			}
			t.Errorf("%s not matched", tt.company)
		})
	}
}

// TestScoreManyOccurrences: with many company and term occurrences the
// sentence check takes an index instead of comparing every pair; it still
// keeps title and body apart.
func TestScoreManyOccurrences(t *testing.T) {
	w := testWatchlist(t)
	// 40 body mentions × 40 title terms is past the linear scan.
	text := Text{
		Title: strings.Repeat("spying ", 40),
		Body:  strings.Repeat("Alibaba ", 40),
	}
	hits := w.Match(text)
	if len(hits) != 1 {
		t.Fatalf("hits = %s", summary(hits))
	}
	// 1 + 1 topic + 1 topic in title + 1 + 1, no shared sentence.
	if hits[0].Score != 5 {
		t.Errorf("Score = %v, want 5", hits[0].Score)
	}
	text.Body = "Spying and " + text.Body
	// Now a term shares the body's sentence: + 2.
	if hits = w.Match(text); len(hits) != 1 || hits[0].Score != 7 {
		t.Errorf("hits = %+v, want one scoring 7", hits)
	}
}

// TestExcludeOwnCompanyOnly: an exclude phrase drops only the company that
// lists it, whatever the order of the companies.
func TestExcludeOwnCompanyOnly(t *testing.T) {
	w, err := Compile([]Company{
		{Name: "Huawei"},
		{Name: "Alibaba", Exclude: []string{"Alibaba Pictures"}},
		{Name: "ZTE", Exclude: []string{"ZTE Racing"}},
	}, testTopics)
	if err != nil {
		t.Fatal(err)
	}
	text := Text{Body: "Huawei, ZTE and Alibaba Pictures named in spying case."}
	if got := summary(w.Match(text)); got != "Huawei[Espionage] ZTE[Espionage]" {
		t.Errorf("Match = %s, want Huawei and ZTE", got)
	}
	for _, v := range w.Explain(text) {
		if v.Company != "Alibaba" && len(v.Excluded) > 0 {
			t.Errorf("%s: Excluded = %+v", v.Company, v.Excluded)
		}
	}
}

// TestItemText: parts of an item that repeat one another are kept once.
func TestItemText(t *testing.T) {
	tests := []struct {
		name                             string
		summary, content, body, wantBody string
	}{
		{"all distinct", "<p>One.</p>", "Two.", "Three.", "One.\nTwo.\nThree."},
		{"content repeats summary", "Alibaba spying", "<p>Alibaba spying</p>", "", "Alibaba spying"},
		{"content holds summary", "Alibaba spying", "<p>Alibaba spying, the report says.</p>", "", "Alibaba spying, the report says."},
		{"summary holds content", "Alibaba spying, the report says.", "Alibaba spying", "", "Alibaba spying, the report says."},
		{"parts compared whole", "Alibaba", "spying", "Alibaba and spying", "Alibaba\nspying\nAlibaba and spying"},
		{"body repeats content", "", "Alibaba spying", "Alibaba spying", "Alibaba spying"},
		{"empty parts", "", "", "Alibaba", "Alibaba"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ItemText("<b>Title</b>", tt.summary, tt.content, tt.body)
			if got.Title != "Title" || got.Body != tt.wantBody {
				t.Errorf("ItemText = %q / %q, want %q / %q", got.Title, got.Body, "Title", tt.wantBody)
			}
		})
	}
}
