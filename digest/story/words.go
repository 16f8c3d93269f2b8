package story

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// newsWords lists words news headlines use for one kind of event, one
// class a line: the class name (with a leading "~", which no word has) and
// its words as stems, or as written for stop words. A word of a class
// adds the class as a term beside itself, so "Twitter crashes" and
// "Twitter outage" share a term, as do "sales fall" and "sales tank". A
// class never holds opposites ("confirms" and "denies", "charged" and
// "cleared" stay apart; see polarWords). The small market moves ("dip",
// "slip", "edge lower") and all rises are left out: every market report
// of a week has them, and they joined different days' reports.
const newsWords = `
~outage   outag crash down offlin glitch disrupt blackout disconnect interrupt restor
~fall     fall fell drop tank slump plung plummet sink sank tumbl declin slide slid
~result   result earn profit quarter q1 q2 q3 q4
~sales    sale revenu
~beat     beat exceed surpass
~miss     miss
~estimate estim forecast consensus
~buy      buy bought acquir acquisit purchas takeov
~sue      sue su lawsuit litig
~fine     fine penalti
~hack     hack breach cyberattack
~ceo      ceo chief boss
~layoff   layoff lay job
~launch   launch unveil debut introduc
~resign   resign quit oust
~ban      ban block bar prohibit
~probe    probe investig inquiri
~deal     deal agreement pact accord
~expel    expel deport
`

// newsClasses maps each word of newsWords to its classes.
var newsClasses = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	for line := range strings.SplitSeq(newsWords, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		for _, w := range f[1:] {
			if !slices.Contains(m[w], f[0]) {
				m[w] = append(m[w], f[0])
			}
		}
	}
	return m
})

// polarWords are the stems by which a headline affirms (+1) or denies
// (-1) what it reports. Two reports of opposite polarity are two
// developments ("confirms data breach" after "denies data breach"), never
// one report told twice.
var polarWords = map[string]int8{
	"confirm": 1, "admit": 1, "acknowledg": 1, "charg": 1, "convict": 1, "guilti": 1, "indict": 1,
	"deni": -1, "reject": -1, "refut": -1, "dismiss": -1, "clear": -1, "acquit": -1, "exoner": -1, "overturn": -1,
}

// polarity is -1 when the terms deny (a denial wins: "denies charges",
// "cleared of charges"), +1 when they only affirm, 0 when they do neither.
func polarity(toks []token) int8 {
	var p int8
	for _, t := range toks {
		switch polarWords[t.term] {
		case -1:
			return -1
		case 1:
			p = 1
		}
	}
	return p
}

// roundupLabel matches the label of a headline that gathers several
// stories: "Roundup:", "Briefing -", "What you need to know:".
var roundupLabel = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^\s*(?:news\s+|daily\s+|morning\s+|evening\s+|weekly\s+)?(?:round-?up|briefing|brief|in brief|digest|wrap|news wrap|week in review|the latest|what you need to know|things to know)\s*[:\-–—|]`)
})

// roundup reports whether a headline names several events: it carries a
// roundup label, or it is two or more clauses of three words or more
// joined by semicolons. Such an item joins at most one story.
func roundup(title string) bool {
	if roundupLabel().MatchString(title) {
		return true
	}
	parts := strings.Split(title, ";")
	if len(parts) < 2 {
		return false
	}
	long := 0
	for _, p := range parts {
		if len(strings.Fields(p)) >= 3 {
			long++
		}
	}
	return long >= 2
}
