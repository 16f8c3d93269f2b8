package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The farm's text is generated from sentence templates filled from word
// lists, with a PRNG seeded by (feed, item): the same feed and item always
// read the same, whatever the run, N or order of generation.

// tracked are companies the bench watchlist tracks, as they appear in prose.
var tracked = []string{
	"Alibaba", "Alibaba Cloud", "Cainiao", "Huawei", "TikTok", "ByteDance",
	"Tencent", "ZTE", "Hikvision", "DJI", "Kaspersky", "SMIC",
}

// topicPhrases put a tracked topic term into a sentence next to a company ({c}).
var topicPhrases = []string{
	"{c} was named in an espionage inquiry opened by prosecutors this week",
	"officials said {c} could face new sanctions over its dealings with the military",
	"researchers disclosed a zero-day vulnerability in software shipped by {c}",
	"lawmakers asked whether {c} gave intelligence services access to customer data",
	"{c} was added to the entity list under the latest export controls",
	"a report linked {c} to units of the People's Liberation Army",
	"the agency warned that {c} devices were used for spying on officials",
	"{c} said it had patched CVE-2025-31{n} after attackers exploited it",
}

var (
	countries = []string{"Belgium", "Germany", "France", "Japan", "Brazil", "Canada", "India", "Kenya",
		"Poland", "Spain", "Italy", "Mexico", "Norway", "Chile", "Vietnam", "Australia", "Turkey", "Egypt"}
	cities = []string{"Brussels", "Frankfurt", "Lyon", "Osaka", "Sao Paulo", "Toronto", "Mumbai", "Nairobi",
		"Warsaw", "Madrid", "Milan", "Monterrey", "Oslo", "Santiago", "Hanoi", "Sydney", "Ankara", "Cairo"}
	people = []string{"Maria Lopez", "Jan de Vries", "Akira Sato", "Priya Nair", "Tom Becker", "Ana Costa",
		"Lukas Novak", "Sara Haddad", "Olivier Martin", "Grace Mwangi", "Erik Lund", "Chen Wei"}
	roles = []string{"chief executive", "finance minister", "central bank governor", "analyst at a Paris broker",
		"spokesperson for the ministry", "union leader", "economist", "regulator", "chief financial officer"}
	sectors = []string{"steel", "logistics", "semiconductor", "retail", "shipping", "telecoms", "insurance",
		"pharmaceutical", "energy", "banking", "aviation", "agriculture", "software", "automotive"}
	firms = []string{"Norland Freight", "Castell Bank", "Varek Motors", "Helio Grid", "Brightwater Foods",
		"Orison Pharma", "Quarry Point Mining", "Delmar Airlines", "Tessaro Telecom", "Kestrel Insurance",
		"Lumen Retail", "Atlas Shipping", "Greyfield Steel", "Sunmark Energy"}
	nouns = []string{"profits", "exports", "orders", "prices", "wages", "shares", "bond yields", "inflation",
		"output", "investment", "demand", "sales", "tariffs", "freight rates", "job cuts", "dividends"}
	moves   = []string{"rose", "fell", "climbed", "slipped", "jumped", "dropped", "held steady", "recovered"}
	reasons = []string{"weaker demand in Europe", "a stronger dollar", "higher energy costs",
		"supply chain delays", "a surprise rate cut", "new rules on data storage", "a strike at the main port",
		"stronger holiday spending", "uncertainty before the election", "the end of a subsidy scheme"}
)

var templates = []string{
	"{firm} said on {day} that {noun} {move} {pct} percent in the third quarter, citing {reason}.",
	"In {city}, {person}, the {role}, told reporters that the {sector} sector would need time to adjust.",
	"{noun} in {country} {move} for a {ord} month, according to figures published by the statistics office.",
	"Investors had expected a smaller change, and {firm} shares {move} {pct} percent in early trading in {city}.",
	"The {sector} industry employs about {num},000 people in {country}, many of them in small suppliers.",
	"{person} said the plan would be reviewed in {month}, after talks with {firm} and other {sector} groups.",
	"Analysts pointed to {reason} as the main reason, while warning that {noun} could change quickly.",
	"The government in {country} is expected to announce further measures for the {sector} sector before {month}.",
	"{firm}, which has operations in {num} countries, declined to comment on the report.",
	"Talks between {country} and {country2} on {sector} trade resumed on {day} in {city}.",
	"A spokesperson for {firm} said the company remained committed to its customers in {country}.",
	"{noun} are forecast to {verb} by {pct} percent next year, the {role} said in a statement.",
	"Critics said the decision would hurt smaller firms, which already face {reason}.",
	"Data released on {day} showed that {noun} {move} more than economists had forecast.",
	"The deal, valued at about {num} million euros, still needs approval from regulators in {country}.",
	"{person} has led the {sector} group since {year}, overseeing a period of rapid expansion in {country2}.",
	"Ports in {city} reported delays of up to {num} hours as {reason} continued to weigh on traffic.",
	"The figures add to signs that the recovery in {country} is losing pace as {noun} {move}.",
}

var (
	days   = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}
	months = []string{"January", "March", "April", "June", "September", "October", "December"}
	ords   = []string{"second", "third", "fourth", "fifth", "sixth"}
	verbs  = []string{"grow", "shrink", "recover", "stabilise", "rise", "fall"}
)

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

// sentence returns one filled template.
func sentence(r *rand.Rand) string {
	t := pick(r, templates)
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			break
		}
		j := strings.IndexByte(t[i:], '}') + i
		b.WriteString(t[:i])
		switch t[i+1 : j] {
		case "firm":
			b.WriteString(pick(r, firms))
		case "day":
			b.WriteString(pick(r, days))
		case "noun":
			b.WriteString(pick(r, nouns))
		case "move":
			b.WriteString(pick(r, moves))
		case "pct":
			fmt.Fprintf(&b, "%d.%d", r.IntN(12), r.IntN(10))
		case "reason":
			b.WriteString(pick(r, reasons))
		case "city":
			b.WriteString(pick(r, cities))
		case "person":
			b.WriteString(pick(r, people))
		case "role":
			b.WriteString(pick(r, roles))
		case "sector":
			b.WriteString(pick(r, sectors))
		case "country", "country2":
			b.WriteString(pick(r, countries))
		case "ord":
			b.WriteString(pick(r, ords))
		case "num":
			fmt.Fprintf(&b, "%d", 2+r.IntN(400))
		case "month":
			b.WriteString(pick(r, months))
		case "verb":
			b.WriteString(pick(r, verbs))
		case "year":
			fmt.Fprintf(&b, "%d", 2005+r.IntN(19))
		}
		t = t[j+1:]
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// article is one generated news item.
type article struct {
	Title      string
	Paragraphs []string // plain text; the feed wraps them in <p>
	Author     string
	Category   string
	Mentions   bool // names a tracked company next to a topic term
}

// mentionRate is the share of items that name a tracked company with a topic term.
const mentionRate = 0.03

// genArticle returns the article with sequence number seq of feed, with
// 1–3 KB of prose.
func genArticle(feed, seq int) article {
	r := rand.New(rand.NewPCG(uint64(feed)+1, uint64(seq)+0x9e3779b97f4a7c15))
	a := article{Author: pick(r, people), Category: pick(r, sectors)}
	target := 1024 + r.IntN(2048)
	var paras [][]string
	size := 0
	for size < target {
		var p []string
		for k := 2 + r.IntN(3); k > 0 && size < target; k-- {
			s := sentence(r)
			p = append(p, s)
			size += len(s) + 1
		}
		paras = append(paras, p)
	}
	if r.Float64() < mentionRate {
		a.Mentions = true
		s := strings.NewReplacer("{c}", pick(r, tracked), "{n}", fmt.Sprintf("%03d", r.IntN(1000))).
			Replace(pick(r, topicPhrases))
		p := r.IntN(len(paras))
		paras[p][r.IntN(len(paras[p]))] = strings.ToUpper(s[:1]) + s[1:] + "."
	}
	for _, p := range paras {
		a.Paragraphs = append(a.Paragraphs, strings.Join(p, " "))
	}
	a.Title = title(r, a)
	return a
}

func title(r *rand.Rand, a article) string {
	if a.Mentions && r.IntN(2) == 0 {
		return fmt.Sprintf("%s faces questions in %s as %s probe widens", pick(r, tracked), pick(r, countries), pick(r, sectors))
	}
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("%s %s %s as %s", pick(r, countries), pick(r, nouns), pick(r, moves), pick(r, reasons))
	case 1:
		return fmt.Sprintf("%s to cut %d jobs in %s", pick(r, firms), 100+r.IntN(3000), pick(r, cities))
	case 2:
		return fmt.Sprintf("%s %s sector braces for %s", pick(r, countries), pick(r, sectors), pick(r, reasons))
	default:
		return fmt.Sprintf("%s: %s %s in %s", pick(r, cities), pick(r, nouns), pick(r, moves), pick(r, months))
	}
}
