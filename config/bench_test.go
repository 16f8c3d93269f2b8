package config

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseBigTopic loads a topic of 1,000 terms: the redundant-term
// warning compares each term with those found in it, through one compiled
// set of the terms.
func BenchmarkParseBigTopic(b *testing.B) { benchTopic(b, 1000) }

// BenchmarkParseHugeTopic is the same with 20,000 terms: linear, where
// comparing every pair took seconds.
func BenchmarkParseHugeTopic(b *testing.B) { benchTopic(b, 20000) }

func benchTopic(b *testing.B, n int) {
	terms := make([]string, n)
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
