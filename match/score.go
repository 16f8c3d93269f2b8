package match

import "sort"

// sortHits sorts hits by byScore, order holding each hit's company index.
func sortHits(hits []Hit, order []int32) {
	if len(hits) > 1 {
		sort.Sort(byScore{hits, order})
	}
}

// byScore orders hits best score first, then by company order (unique).
type byScore struct {
	hits  []Hit
	order []int32
}

func (b byScore) Len() int { return len(b.hits) }

func (b byScore) Less(i, j int) bool {
	if b.hits[i].Score != b.hits[j].Score {
		return b.hits[i].Score > b.hits[j].Score
	}
	return b.order[i] < b.order[j]
}

func (b byScore) Swap(i, j int) {
	b.hits[i], b.hits[j] = b.hits[j], b.hits[i]
	b.order[i], b.order[j] = b.order[j], b.order[i]
}

// score is Hit.Score, as the package doc defines it. It counts in tenths so
// that equal scores compare equal whatever the order of the additions.
func score(inTitle, sameSentence bool, nTopics, nTitle, mentions, termOccs int) float64 {
	n := 10
	if inTitle {
		n += 20
	}
	n += 10*nTopics + 10*nTitle
	if sameSentence {
		n += 20
	}
	n += min(mentions, 10) + min(termOccs, 10)
	return float64(n) / 10
}
