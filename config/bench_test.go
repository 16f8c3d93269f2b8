package config

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseBigTopic loads a topic of 1,000 terms: the redundant-term
// warning compares every pair, through one compiled set of the terms.
func BenchmarkParseBigTopic(b *testing.B) {
	terms := make([]string, 1000)
	for i := range terms {
		terms[i] = fmt.Sprintf("%q", fmt.Sprintf("term%d word%d", i, i%7))
	}
	doc := []byte("[[topics]]\nname = \"t\"\nterms = [" + strings.Join(terms, ", ") + "]\n")
	for b.Loop() {
		if _, err := Parse("n.toml", doc); err != nil {
			b.Fatal(err)
		}
	}
}
