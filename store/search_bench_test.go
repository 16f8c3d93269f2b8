package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the benchmark's PostgreSQL database is created through it
)

// searchBenchItems is the size of the search benchmark's archive.
const searchBenchItems = 1_000_000

// BenchmarkSearch runs analyst searches over an archive of 1,000,000
// items (titles and summaries drawn from a 20,000-word vocabulary with
// Zipf frequencies, a few named companies and security terms mixed in,
// 1,000 sources, dates over a year) and reports the median time of one
// search: the count and the newest 50. The archive is built once and kept
// (SQLite: in the system's temporary folder; PostgreSQL: database
// newswatch_bench_search); NEWSWATCH_BENCH_REBUILD=1 builds it again.
func BenchmarkSearch(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, benchmarkSearch)
	}
}

var benchQueries = []SearchQuery{
	{Text: "espionage"},
	{Text: "alibaba cloud"},
	{Text: `"supply chain"`},
	{Text: "cainiao -pictures"},
	{Text: "zero-day", Source: "source 17"},
	{Text: "sanctions huawei"},
	{Text: "ransomware", Since: benchEnd.AddDate(0, 0, -30)},
	{AnyOf: [][]string{{"alibaba", "cainiao", "aliyun"}}, Text: "espionage"},
}

var benchEnd = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func benchmarkSearch(b *testing.B) {
	ctx := context.Background()
	s := searchArchive(b)
	var all []time.Duration
	each := make([][]time.Duration, len(benchQueries))
	totals := make([]int, len(benchQueries))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(benchQueries)
		q := benchQueries[k]
		q.Limit = 50
		start := time.Now()
		res, err := s.Search(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		all = append(all, d)
		each[k] = append(each[k], d)
		totals[k] = res.Total
	}
	b.StopTimer()
	b.ReportMetric(median(all), "median-ms")
	b.ReportMetric(0, "ns/op")
	for k, q := range benchQueries {
		if len(each[k]) > 0 {
			b.Logf("%-40s %7d items  median %6.1f ms", describe(q), totals[k], median(each[k]))
		}
	}
}

// median is the median of d in milliseconds.
func median(d []time.Duration) float64 {
	slices.Sort(d)
	return float64(d[len(d)/2].Microseconds()) / 1000
}

func describe(q SearchQuery) string {
	s := q.Text
	if q.Source != "" {
		s += " source=" + q.Source
	}
	if !q.Since.IsZero() {
		s += " since=" + q.Since.Format(time.DateOnly)
	}
	if len(q.AnyOf) > 0 {
		s += fmt.Sprintf(" any of %q", q.AnyOf[0])
	}
	return s
}

// searchArchive opens the benchmark's archive, building it when missing.
func searchArchive(b *testing.B) *Store {
	b.Helper()
	ctx := context.Background()
	var dsn string
	if strings.HasSuffix(b.Name(), "/postgres") {
		dsn = benchPostgres(b)
	} else {
		dsn = filepath.Join(os.TempDir(), "newswatch-bench-search-1m.db")
		if os.Getenv("NEWSWATCH_BENCH_REBUILD") == "1" {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(dsn + suffix)
			}
		}
	}
	s, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	if n == searchBenchItems {
		return s
	}
	if n != 0 {
		b.Fatalf("%s holds %d items, not %d: remove it (NEWSWATCH_BENCH_REBUILD=1)", s.Path(), n, searchBenchItems)
	}
	start := time.Now()
	fillArchive(b, s)
	b.Logf("built %d items in %s", searchBenchItems, time.Since(start).Round(time.Second))
	return s
}

// benchPostgres returns the URL of the benchmark's PostgreSQL database,
// created when missing; the benchmark is skipped without a server.
func benchPostgres(b *testing.B) string {
	admin := os.Getenv("NEWSWATCH_TEST_POSTGRES")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		b.Skip("no PostgreSQL server: ", err)
	}
	const name = "newswatch_bench_search"
	if os.Getenv("NEWSWATCH_BENCH_REBUILD") == "1" {
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			b.Fatal(err)
		}
	}
	var exists bool
	if err := db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
			b.Fatal(err)
		}
	}
	return strings.Replace(admin, "/test?", "/"+name+"?", 1)
}

// fillArchive inserts the synthetic items and their sources, in batches.
func fillArchive(b *testing.B, s *Store) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 20000)
	syll := []string{"ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "da", "lu", "che", "gra", "ston", "mer", "val", "bi", "ox", "ur", "en"}
	for i := range vocab {
		w := ""
		for n := i; ; n /= len(syll) {
			w += syll[n%len(syll)]
			if n < len(syll) {
				break
			}
		}
		vocab[i] = w + syll[(i*7)%len(syll)]
	}
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))
	named := []struct {
		text string
		p    float64
	}{
		{"Alibaba", 0.01}, {"Alibaba Cloud", 0.004}, {"Cainiao", 0.002}, {"Alibaba Pictures", 0.001},
		{"Huawei", 0.01}, {"espionage", 0.005}, {"sanctions", 0.01}, {"zero-day", 0.004},
		{"supply chain", 0.003}, {"ransomware", 0.006}, {"Tencent", 0.008},
	}
	text := func(words int) string {
		var sb strings.Builder
		for range words {
			sb.WriteString(vocab[zipf.Uint64()])
			sb.WriteByte(' ')
			for _, n := range named {
				if rng.Float64() < n.p/float64(words)*3 {
					sb.WriteString(n.text)
					sb.WriteByte(' ')
				}
			}
		}
		return sb.String()
	}
	const batch = 1000
	span := int64(365 * 24 * time.Hour)
	for start := 0; start < searchBenchItems; start += batch {
		err := s.writeTx(ctx, func(tx *sql.Tx) error {
			var (
				items, sources strings.Builder
				args, sargs    []any
			)
			items.WriteString(`INSERT INTO items (id, key, link, title, summary, published, first_seen, updated) VALUES `)
			sources.WriteString(`INSERT INTO item_sources (item_id, source, first_seen) VALUES `)
			for i := start; i < start+batch; i++ {
				if i > start {
					items.WriteString(", ")
					sources.WriteString(", ")
				}
				items.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
				sources.WriteString("(?, ?, ?)")
				key := fmt.Sprintf("https://news%d.example.org/story/%d", i%1000, i)
				when := benchEnd.UnixNano() - rng.Int64N(span)
				args = append(args, i+1, key, key, text(10), text(45), when, when, when)
				sargs = append(sargs, i+1, fmt.Sprintf("source %d", i%1000), when)
			}
			if _, err := tx.ExecContext(ctx, s.q(items.String()), args...); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, s.q(sources.String()), sargs...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := s.IndexItems(ctx); err != nil {
		b.Fatal(err)
	}
	if _, pg := s.d.(postgres); pg {
		if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	} else if _, err := s.w.ExecContext(ctx, `INSERT INTO items_fts (items_fts) VALUES ('optimize')`); err != nil {
		b.Fatal(err)
	}
}
