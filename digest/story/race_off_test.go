//go:build !race

package story

const raceOn = false
