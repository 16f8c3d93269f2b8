package daemon

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"newswatch/config"
	"newswatch/deliver"
	"newswatch/ingest"
)

// metrics are the daemon's Prometheus metrics, on a registry of its own.
// A daemon with no /metrics to serve has none: its methods on a nil
// *metrics record nothing.
//
// Per source there are only the series an operator alerts on (the last
// success, the failures); the fetch time is one histogram over all
// sources. A histogram per source held ~1.5 KB for each of them: 30 MB of
// a daemon's heap at 20,000 sources, and as many series in every scrape.
type metrics struct {
	reg           *prometheus.Registry
	fetchDuration prometheus.Histogram
	fetchErrors   *prometheus.CounterVec
	itemsStored   prometheus.Counter
	matches       *prometheus.CounterVec
	digests       *prometheus.CounterVec
	lastSuccess   *prometheus.GaugeVec
	reloads       *prometheus.CounterVec
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		fetchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "newswatch_fetch_duration_seconds", Help: "Time to fetch and store one source, over all sources.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 10),
		}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_fetch_errors_total", Help: "Failed fetches per source.",
		}, []string{"source"}),
		itemsStored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newswatch_items_stored_total", Help: "New items stored.",
		}),
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_matches_total", Help: "New items relevant for a company, per company and topic.",
		}, []string{"company", "topic"}),
		digests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_digests_total", Help: "Digest delivery outcomes: sent, partial (some recipients to retry), retry, failed.",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "newswatch_last_success_timestamp_seconds", Help: "Unix time of the last success: fetch per source, and delivery.",
		}, []string{"what"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_config_reloads_total", Help: "Config reloads: applied or rejected.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.fetchDuration, m.fetchErrors, m.itemsStored, m.matches, m.digests, m.lastSuccess, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// observeSource records one source's fetch as it completes.
func (m *metrics) observeSource(o ingest.Outcome, now time.Time) {
	if m == nil {
		return
	}
	m.fetchDuration.Observe(o.Fetch.Seconds())
	if o.Err != nil {
		m.fetchErrors.WithLabelValues(o.Source).Inc()
		return
	}
	m.lastSuccess.WithLabelValues("fetch:" + o.Source).Set(float64(now.Unix()))
	m.itemsStored.Add(float64(o.New))
	for _, it := range o.Matches {
		for _, h := range it.Hits {
			for _, t := range h.Topics {
				m.matches.WithLabelValues(h.Company, t).Inc()
			}
			if len(h.Topics) == 0 {
				m.matches.WithLabelValues(h.Company, "").Inc()
			}
		}
	}
}

func (m *metrics) observeDelivery(rep deliver.Report, now time.Time) {
	if m == nil {
		return
	}
	for _, o := range rep.Sent {
		// Sent to some recipients, owed to others: counted as sent when
		// the last of them has it.
		result := "sent"
		if len(o.Owed) > 0 {
			result = "partial"
		}
		m.digests.WithLabelValues(result).Inc()
	}
	m.digests.WithLabelValues("retry").Add(float64(len(rep.Retry)))
	m.digests.WithLabelValues("failed").Add(float64(len(rep.Failed)))
	if len(rep.Sent) > 0 {
		m.lastSuccess.WithLabelValues("delivery").Set(float64(now.Unix()))
	}
}

// observeReload counts a configuration reload: "applied" or "rejected".
func (m *metrics) observeReload(result string) {
	if m == nil {
		return
	}
	m.reloads.WithLabelValues(result).Inc()
}

// forget drops the series of the sources in old that sources no longer
// has, so that a source removed from the configuration leaves /metrics.
func (m *metrics) forget(old, sources []config.Source) {
	if m == nil {
		return
	}
	kept := make(map[string]bool, len(sources))
	for _, s := range sources {
		kept[s.Name] = true
	}
	for _, s := range old {
		if !kept[s.Name] {
			m.fetchErrors.DeleteLabelValues(s.Name)
			m.lastSuccess.DeleteLabelValues("fetch:" + s.Name)
		}
	}
}
