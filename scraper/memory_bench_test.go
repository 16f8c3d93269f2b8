package scraper

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkPageSourceMemory fetches a page source listing 150 links to 4 MB
// articles once per iteration, with max_articles at its default (30) and
// unbounded (0), and reports the peak Go heap in use (sampled every 5 ms)
// and the process's peak RSS (VmHWM; the whole benchmark process so far).
//
//	go test ./scraper/ -run '^$' -bench PageSourceMemory/max=30 -benchtime 1x
func BenchmarkPageSourceMemory(b *testing.B) {
	for _, limit := range []int{30, 0} {
		b.Run("max="+strconv.Itoa(limit), func(b *testing.B) {
			para := "<p>" + strings.Repeat("Container throughput at the port rose again this quarter, officials said. ", 20) + "</p>\n"
			var article bytes.Buffer
			article.WriteString("<html><head><title>Port volumes</title></head><body><article><h1>Port volumes</h1>")
			for article.Len() < 4<<20 {
				article.WriteString(para)
			}
			article.WriteString("</article></body></html>")
			var listing strings.Builder
			listing.WriteString("<html><body>")
			for i := range 150 {
				fmt.Fprintf(&listing, `<article><h3><a href="/a/%d">Article %d</a></h3></article>`, i, i)
			}
			listing.WriteString("</body></html>")
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				if r.URL.Path == "/list" {
					_, _ = w.Write([]byte(listing.String()))
					return
				}
				_, _ = w.Write(article.Bytes())
			}))
			b.Cleanup(srv.Close)
			f := New(Options{Timeout: time.Minute})
			src := Source{Name: "big", Page: srv.URL + "/list", Links: "article h3 a", MaxArticles: limit}
			var peak uint64
			for b.Loop() {
				runtime.GC()
				done := make(chan struct{})
				var wg sync.WaitGroup
				wg.Go(func() {
					var ms runtime.MemStats
					t := time.NewTicker(5 * time.Millisecond)
					defer t.Stop()
					for {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapInuse)
						select {
						case <-done:
							return
						case <-t.C:
						}
					}
				})
				res := f.Fetch(b.Context(), src)
				close(done)
				wg.Wait()
				if res.Err != nil {
					b.Fatal(res.Err)
				}
				runtime.KeepAlive(res)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(vmHWM())/(1<<10), "peak-rss-MB")
		})
	}
}

// vmHWM is the process's peak resident set in KB (Linux), or 0.
func vmHWM() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}
