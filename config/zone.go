package config

import (
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	_ "time/tzdata" // every zone loads whatever the machine has: a distroless image, a test machine without zoneinfo
)

// zones.txt lists the zone names of the tz database that Go embeds (every
// program and test importing this package carries it), one a line; it only feeds the
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

// fixedAbbreviations are zone names the tz database keeps as fixed offsets
// that people write for a region's clock, which does change in summer: a
// warning names the city zone they likely mean.
var fixedAbbreviations = map[string]string{
	"EST": "America/New_York",
	"MST": "America/Denver",
	"HST": "Pacific/Honolulu",
}

var offsetName = regexp.MustCompile(`^(?i)(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?00)?$`)

// offsetZoneHint explains a "GMT+1" or "UTC-05:00" written as a zone: the
// tz database's fixed offsets are Etc/GMT±N with the POSIX sign, inverted
// (Etc/GMT-1 is one hour ahead of UTC), and a city follows summer time.
// It returns "" for any other name.
func offsetZoneHint(name string) string {
	m := offsetName.FindStringSubmatch(strings.TrimSpace(name))
	if m == nil {
		return ""
	}
	h, _ := strconv.Atoi(m[2])
	if h == 0 {
		return `write "UTC"`
	}
	inverted, dir := "+", "behind"
	if m[1] == "+" {
		inverted, dir = "-", "ahead of"
	}
	hours := "hours"
	if h == 1 {
		hours = "hour"
	}
	return fmt.Sprintf("for the clock of a place write its city, e.g. \"Europe/Paris\" or \"America/New_York\" (it follows summer time); "+
		"for a fixed %d %s %s UTC write \"Etc/GMT%s%d\" (the sign is inverted there, as in POSIX)", h, hours, dir, inverted, h)
}
