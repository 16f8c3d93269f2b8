package deliver

// The binary embeds the time zone database; so do the tests, so that
// none depends on the machine's zoneinfo.
import _ "time/tzdata"
