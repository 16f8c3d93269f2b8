package web

import (
	"slices"
	"testing"
)

// TestFollowing: the alias with the word after it, wherever the alias
// stands, also when lower-casing changes the text's length in bytes.
func TestFollowing(t *testing.T) {
	for _, tc := range []struct {
		text, alias string
		want        []string
	}{
		{"Alibaba Pictures spying drama; Alibaba Cloud cut", "Alibaba", []string{"Alibaba Pictures", "Alibaba Cloud"}},
		{"ALIBABA  Cloud, Alibaba.", "alibaba", []string{"ALIBABA Cloud"}},
		{"Ⱥ Acme Pictures", "Acme", []string{"acme pictures"}},  // Ⱥ grows from 2 to 3 bytes
		{"İİ Acme Pictures", "Acme", []string{"acme pictures"}}, // İ lower-cases to i and a combining dot
	} {
		if got := following(tc.text, tc.alias); !slices.Equal(got, tc.want) {
			t.Errorf("following(%q, %q) = %q, want %q", tc.text, tc.alias, got, tc.want)
		}
	}
}
