package main

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"newswatch/deliver"
	"newswatch/ingest"
	"newswatch/model"
)

// metrics are the daemon's Prometheus metrics, on a registry of its own.
type metrics struct {
	reg           *prometheus.Registry
	fetchDuration *prometheus.HistogramVec
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
		fetchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "newswatch_fetch_duration_seconds", Help: "Time to fetch and store one source.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 10),
		}, []string{"source"}),
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
func (m *metrics) observeSource(o ingest.Outcome) {
	m.fetchDuration.WithLabelValues(o.Source).Observe(o.Fetch.Seconds())
	if o.Err != nil {
		m.fetchErrors.WithLabelValues(o.Source).Inc()
		return
	}
	m.lastSuccess.WithLabelValues("fetch:" + o.Source).Set(float64(time.Now().Unix()))
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

func (m *metrics) observeDelivery(rep deliver.Report) {
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
		m.lastSuccess.WithLabelValues("delivery").Set(float64(time.Now().Unix()))
	}
}

// healthReport is the JSON of /healthz.
type healthReport struct {
	Status  string         `json:"status"` // ok | failing
	Sources []sourceHealth `json:"sources"`
	Pending []outboxEntry  `json:"pending"`
	Failed  []outboxEntry  `json:"failed"`
	Next    map[string]any `json:"next"`
}

type sourceHealth struct {
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	LastRun     time.Time `json:"last_run,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	Error       string    `json:"error,omitempty"`
}

type outboxEntry struct {
	Digest    string    `json:"digest"`
	Channel   string    `json:"channel,omitempty"` // a notify channel, masked; none for mail
	Slot      time.Time `json:"slot"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
}

func (d *daemon) serveHealth(w http.ResponseWriter, r *http.Request) {
	a := d.current()
	hs, err := a.st.Health(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	msgs, err := a.st.Messages(r.Context(), model.MessagePending, model.MessageFailed)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rep := healthReport{Status: "ok", Sources: []sourceHealth{}, Pending: []outboxEntry{}, Failed: []outboxEntry{}, Next: map[string]any{}}
	for _, h := range hs {
		rep.Sources = append(rep.Sources, sourceHealth{h.Source, h.LastStatus, h.LastRun, h.LastSuccess, h.LastError})
	}
	dels, err := a.st.Deliveries(r.Context(), model.MessagePending, model.MessageFailed)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	add := func(status string, e outboxEntry) {
		if status == model.MessageFailed {
			rep.Failed = append(rep.Failed, e)
		} else {
			rep.Pending = append(rep.Pending, e)
		}
	}
	for _, m := range msgs {
		add(m.Status, outboxEntry{Digest: m.Digest, Slot: m.Slot, Attempts: m.Attempts, LastError: m.LastError})
	}
	for _, dl := range dels {
		add(dl.Status, outboxEntry{Digest: dl.Message.Digest, Channel: dl.Channel, Slot: dl.Message.Slot, Attempts: dl.Attempts, LastError: dl.LastError})
	}
	now := a.now()
	rep.Next["fetch"] = a.cfg.FetchTimetable.Next(now)
	for _, dg := range a.cfg.Digests {
		rep.Next[dg.Name] = dg.Timetable.Next(now)
	}
	code := http.StatusOK
	if !d.healthy() {
		rep.Status, code = "failing", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(rep)
}
