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
