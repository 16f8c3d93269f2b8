package config

import (
	_ "embed"
	"strings"
	"sync"
)

// zones.txt lists the zone names of the tz database that Go embeds (the
// binary carries it, see cmd/newswatch), one a line; it only feeds the
// "did you mean" of a misspelt timezone. Refresh it with go generate after a
// Go upgrade.
//
//go:generate sh -c "unzip -Z1 \"$(go env GOROOT)/lib/time/zoneinfo.zip\" | sort > zones.txt"
//go:embed zones.txt
var zoneList string

var zoneNames = sync.OnceValue(func() []string { return strings.Fields(zoneList) })

// suggestZone proposes the zone nearest to a name that is not one: the
// closest whole name ("Europe/Brusels"), else the zone whose last part is
// closest ("Brussels", "new york").
func suggestZone(name string) string {
	names := zoneNames()
	if s := nearestName(name, names); s != "" {
		return s
	}
	cities := make([]string, len(names))
	for i, n := range names {
		cities[i] = strings.ReplaceAll(n[strings.LastIndex(n, "/")+1:], "_", " ")
	}
	city := strings.ReplaceAll(name[strings.LastIndex(name, "/")+1:], "_", " ")
	if s := nearestName(city, cities); s != "" {
		for i, c := range cities {
			if c == s {
				return names[i]
			}
		}
	}
	return ""
}
