package match

import (
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"People’s Liberation Army", []string{"people", "s", "liberation", "army"}},
		{"ＰＬＡ", []string{"pla"}},
		{"Straße", []string{"strasse"}},
		{"阿里巴巴", []string{"阿", "里", "巴", "巴"}},
		{"zero-day", []string{"zero", "day"}},
		{"Liège", []string{"liège"}},
		{"Lie\u0300ge", []string{"liège"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Words(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		short, long string
		want        bool
	}{
		{"spy", "spy agency", true},
		{"spy", "spying", false},
		{"data", "metadata", false},
		{"data access", "customer data access", true},
		{"PLA", "PLA NAVY", true},
		{"PLA", "PLA Navy", false}, // "PLA Navy" also matches "pla navy"
		{"pla", "PLA Navy", true},
		{"PLA", "pla", false},
		{"pla", "PLA", true},
		{"People", "People's Liberation Army", true},
		{"People's Liberation Army", "People’s Liberation Army", true},
		{"People’s Liberation Army", "People's Liberation Army", true},
		{"ｓｐｙ", "spy agency", true},   // NFKC: full-width letters are the same word
		{"Straße", "STRASSE 5", true}, // case folding: ß is ss
		{"军", "解放军", true},
		{"華為", "阿里巴巴", false},
		{"ทหาร", "กองทหาร", true}, // Thai is written without spaces
		{"e-commerce", "ecommerce fraud", true},
		{"ecommerce", "e-commerce fraud", false}, // "e-commerce fraud" also matches "e commerce fraud"
		{"zero-day", "zeroday exploit", true},
		{"zero day", "zero-day exploit", false}, // "zero-day exploit" also matches "zeroday exploit"
		{"AT&T", "AT&T WIRELESS", true},
		{"AT T", "AT&T WIRELESS", false}, // "AT T" needs no punctuation between its words
		{"Alibaba Cloud", "Alibaba. Cloud", false},
		{"x", "", false},
		{"", "x", false},
		{"spy", "spy", false}, // a term does not cover itself
	}
	for _, tt := range tests {
		t.Run(tt.short+" in "+tt.long, func(t *testing.T) {
			terms := CompileTerms([]string{tt.short, tt.long})
			if tt.short == tt.long {
				if terms.Covers(0, 0) {
					t.Errorf("Covers(%q, itself) = true", tt.short)
				}
				return
			}
			if got := terms.Covers(0, 1); got != tt.want {
				t.Errorf("Covers(%q, %q) = %v, want %v", tt.short, tt.long, got, tt.want)
			}
		})
	}
}

// TestCoversAgreesWithMatch checks Covers against the matcher itself: where
// Covers says a term covers another, every spelling of the longer one that
// the matcher accepts also holds the shorter one.
func TestCoversAgreesWithMatch(t *testing.T) {
	terms := []string{"spy", "spy agency", "Spy-Agency", "zero-day", "zeroday exploit", "zero-day exploit", "PLA", "pla navy", "PLA NAVY"}
	texts := []string{"spy agency", "Spy-Agency", "spyagency", "zero day", "zeroday exploit", "zero-day exploit", "zero day exploit", "pla navy", "PLA NAVY", "PLA navy"}
	ct := CompileTerms(terms)
	for j, long := range terms {
		lw := mustCompile(t, long)
		for i, short := range terms {
			if !ct.Covers(i, j) {
				continue
			}
			sw := mustCompile(t, short)
			for _, text := range texts {
				if len(lw.Find(Text{Body: text})) > 0 && len(sw.Find(Text{Body: text})) == 0 {
					t.Errorf("Covers(%q, %q), but %q matches %q and not %q", short, long, text, long, short)
				}
			}
		}
	}
}

func mustCompile(t *testing.T, term string) *Watchlist {
	t.Helper()
	w, err := Compile(nil, []Topic{{Name: "t", Terms: []string{term}}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// Within lists every term that covers term j, and no term outside it does.
func TestWithin(t *testing.T) {
	terms := []string{"spy", "spy agency", "Spy-Agency", "zero-day", "zeroday exploit", "zero-day exploit", "PLA", "pla navy", "PLA NAVY", "agency"}
	ct := CompileTerms(terms)
	for j := range terms {
		within := ct.Within(j)
		if !slices.IsSorted(within) {
			t.Errorf("Within(%q) = %v, not in order", terms[j], within)
		}
		for i := range terms {
			if ct.Covers(i, j) && !slices.Contains(within, i) {
				t.Errorf("%q covers %q but is not within it: %v", terms[i], terms[j], within)
			}
		}
	}
	if w := ct.Within(1); !slices.Contains(w, 0) || !slices.Contains(w, 9) || slices.Contains(w, 3) {
		t.Errorf("Within(spy agency) = %v", w)
	}
}
