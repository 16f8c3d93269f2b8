package store

import (
	"net"
	"net/url"
	"newswatch/model"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// The same article often reaches the store through several sources: its
// outlet's feed, an aggregator listing only its title, a page source, a
// feed whose link carries tracking parameters. All share one key, so the
// article is one item; of its copies, the item keeps the best one's link
// and text, whatever order they arrived in. The best copy is, in order:
//
//  1. one from the link's own site (the source's feed or page URL and the
//     link share a registrable domain): the outlet's own words beat any
//     other feed's, so a feed cannot hide an outlet's article by claiming
//     its link first with a title or with text of its own;
//  2. the fullest: the most characters of summary, content and body;
//  3. when still tied, the greatest by link, title, summary, content, body
//     and GUID compared as strings, which only makes the choice the same
//     in every order.
//
// The date is the best copy's, or another copy's when the best has none.

// copyRank is what orders copies before their text is compared.
type copyRank struct {
	own  bool
	size int
}

// rankOf is the rank of copy it carried by a source at site.
func rankOf(it model.Item, site string) copyRank {
	return copyRank{own: sameSite(it.Link, site), size: textSize(it)}
}

// ranksOf is the rank of each of a batch's copies, carried by a source at
// site: worked out once per save, as it parses the link and counts the
// characters of the text.
func ranksOf(items []model.Item, site string) []copyRank {
	ranks := make([]copyRank, len(items))
	for i, it := range items {
		ranks[i] = rankOf(it, site)
	}
	return ranks
}

// textSize is the number of characters of an item's summary, content and body.
func textSize(it model.Item) int {
	return utf8.RuneCountInString(it.Summary) + utf8.RuneCountInString(it.Content) + utf8.RuneCountInString(it.Body)
}

// compare orders two ranks: > 0 when r is the better one.
func (r copyRank) compare(o copyRank) int {
	switch {
	case r.own != o.own:
		if r.own {
			return 1
		}
		return -1
	case r.size != o.size:
		return r.size - o.size
	}
	return 0
}

// compareText breaks a tie between copies of equal rank.
func compareText(a, b model.Item) int {
	for _, p := range [][2]string{
		{a.Link, b.Link}, {a.Title, b.Title}, {a.Summary, b.Summary},
		{a.Content, b.Content}, {a.Body, b.Body}, {a.GUID, b.GUID},
	} {
		if c := strings.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	return 0
}

// sameSite reports whether link and site (a source's feed or page URL) are
// on one site: the same registrable domain (news.example.com and
// feeds.example.com are), or the same host when there is none (an IP
// address, localhost).
func sameSite(link, site string) bool {
	a, b := siteOf(link), siteOf(site)
	return a != "" && a == b
}

func siteOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	host := strings.TrimRight(strings.ToLower(u.Hostname()), ".")
	if host == "" || net.ParseIP(host) != nil {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}
