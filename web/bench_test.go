package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"newswatch/model"
)

// BenchmarkPreview previews an edit of a company's aliases over the last 7
// days of a 1,000-source install: 1,000 sources × 10 items a day, about
// 1.2 KB of text each, 2% of them naming the company, and reports the
// median time of one preview, HTTP handler included.
func BenchmarkPreview(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, benchmarkPreview)
	}
}

func benchmarkPreview(b *testing.B) {
	f := benchFixture(b)
	body := `{"kind":"company","name":"Alibaba","aliases":["Alibaba Group","Cainiao","Aliyun"],"exclude":[],"all_news":false}`
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		w := f.do(b, "POST", "/api/watchlist/preview", body, nil)
		times = append(times, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		if i == 0 {
			b.Logf("%.300s", w.Body)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(0, "ns/op")
}

const (
	previewSources = 1000
	previewPerDay  = 10
)

// benchFixture is the handler-test fixture with 7 days of a 1,000-source
// install stored.
func benchFixture(b *testing.B) *fixture {
	f := newFixture(b, "")
	ctx := context.Background()
	prose := strings.Repeat("Officials said the logistics company had shared customer data with partners in the region. ", 13)
	start := time.Now()
	for src := range previewSources {
		var items []model.Item
		for day := range 7 {
			for i := range previewPerDay {
				n := (src*7+day)*previewPerDay + i
				key := fmt.Sprintf("https://news%d.example.org/%d/%d", src, day, i)
				title := fmt.Sprintf("Story %d from source %d", i, src)
				body := prose
				switch n % 50 {
				case 0:
					title = "Cainiao named in espionage probe " + title
				case 1:
					body = "Aliyun customers hit by spying campaign. " + prose
				}
				items = append(items, model.Item{Key: key, Link: key, Title: title, Summary: body[:200], Content: body,
					Published: now.Add(-time.Duration(day)*24*time.Hour - time.Duration(i)*time.Minute)})
			}
		}
		if _, err := f.st.SaveRun(ctx, model.Run{Source: fmt.Sprintf("source %d", src), Status: model.StatusOK, Items: len(items), Started: now}, items); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d items in %s", previewSources*7*previewPerDay, time.Since(start).Round(time.Second))
	return f
}
