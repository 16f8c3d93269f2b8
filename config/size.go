package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrSize is returned (wrapped) by ParseSize for text that is not a size.
var ErrSize = errors.New(`not a size: want bytes or a number with B, KB, MB, GB, KiB, MiB or GiB, e.g. "10MB"`)

// sizeUnits are matched longest first so that "KiB" is not read as "B".
var sizeUnits = []struct {
	suffix string
	factor float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9},
	{"k", 1e3}, {"m", 1e6}, {"g", 1e9},
	{"b", 1},
}

// ParseSize reads a byte size: a plain integer of bytes ("1048576") or a
// number with a unit, case-insensitive, space allowed: "10MB", "1.5 MB",
// "512KB", "1GiB". KB, MB, GB (and K, M, G) are powers of 1000; KiB, MiB, GiB
// powers of 1024.
func ParseSize(s string) (int64, error) {
	text := strings.ToLower(strings.TrimSpace(s))
	factor := 1.0
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(text, u.suffix); ok {
			text, factor = strings.TrimSpace(rest), u.factor
			break
		}
	}
	n, err := strconv.ParseFloat(text, 64)
	if err != nil || text == "" || strings.ContainsAny(text, "eEnNxX") {
		return 0, fmt.Errorf("size %q: %w", s, ErrSize)
	}
	bytes := n * factor
	if bytes < 0 || bytes >= math.MaxInt64 || math.IsNaN(bytes) {
		return 0, fmt.Errorf("size %q: out of range: %w", s, ErrSize)
	}
	return int64(bytes), nil
}
