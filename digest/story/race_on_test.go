//go:build race

package story

// raceOn is true under the race detector, which makes grouping about ten
// times slower: the measuring tests then draw fewer digests.
const raceOn = true
