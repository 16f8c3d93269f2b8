package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"newswatch/app"
	"newswatch/config"
	"newswatch/model"
	"newswatch/web"
)

// serve starts the /healthz and /metrics server on the listen address
// (Options.Listen, else the configuration's), when there is one, and
// Options.Servers; stop shuts them all down.
func (d *Daemon) serve() (stop func(), err error) {
	var started []*http.Server
	stop = func() {
		for _, srv := range started {
			srv.Close()
		}
	}
	start := func(srv *http.Server, what string) error {
		ln, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			return err
		}
		started = append(started, srv)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("http server", "error", err)
			}
		}()
		d.log.Info("serving "+what, "addr", ln.Addr().String())
		return nil
	}
	if addr, key := d.listen(); addr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", d.serveHealth)
		mux.Handle("/metrics", d.metrics.handler())
		srv := &http.Server{Addr: addr, Handler: onlyHosts(web.ListenHosts(addr), mux), ReadHeaderTimeout: 10 * time.Second}
		if err := start(srv, "/healthz and /metrics"); err != nil {
			return stop, fmt.Errorf("listen %s (%s): %w", addr, key, err)
		}
	}
	for _, srv := range d.opts.Servers {
		if err := start(srv, "http"); err != nil {
			stop()
			return nil, fmt.Errorf("listen %s: %w", srv.Addr, err)
		}
	}
	return stop, nil
}

// onlyHosts serves the requests whose Host hosts allows, and answers 421
// to the others: /healthz and /metrics need no login, so on a loopback
// address only this machine's names may read them, not a page of another
// site whose name was re-pointed at 127.0.0.1 (DNS rebinding).
func onlyHosts(hosts web.Hosts, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hosts.Allow(r.Host) {
			http.Error(w, "this server answers only to this machine's names (localhost, a loopback IP, its listen address), not to "+strconv.Quote(r.Host), http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (d *Daemon) noteRound(ok int) {
	d.healthMu.Lock()
	defer d.healthMu.Unlock()
	d.rounds = append(d.rounds, ok)
	if len(d.rounds) > 3 {
		d.rounds = d.rounds[len(d.rounds)-3:]
	}
}

// healthy is false when no source succeeded in the last three fetches.
func (d *Daemon) healthy() bool {
	d.healthMu.Lock()
	defer d.healthMu.Unlock()
	if len(d.rounds) < 3 {
		return true
	}
	for _, n := range d.rounds {
		if n > 0 {
			return true
		}
	}
	return false
}

// healthReport is the JSON of /healthz. Times are RFC 3339 strings in the
// configuration's zone (omitted when never), durations seconds with
// decimals.
type healthReport struct {
	Status  string            `json:"status"` // ok | failing
	Sources []sourceHealth    `json:"sources"`
	Pending []outboxEntry     `json:"pending"`
	Failed  []outboxEntry     `json:"failed"`
	Next    map[string]string `json:"next"`
}

type sourceHealth struct {
	Name         string  `json:"name"`
	Status       string  `json:"status"`
	LastRun      string  `json:"last_run,omitempty"`
	Duration     float64 `json:"duration"` // of the last run
	LastSuccess  string  `json:"last_success,omitempty"`
	FailingSince string  `json:"failing_since,omitempty"`
	Error        string  `json:"error,omitempty"`
}

type outboxEntry struct {
	Digest    string `json:"digest"`
	Channel   string `json:"channel,omitempty"` // a notify channel, masked; none for mail
	Slot      string `json:"slot"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error,omitempty"`
	// Held: a pending digest held back until the mail settings are fixed.
	Held bool `json:"held,omitempty"`
}

func (d *Daemon) serveHealth(w http.ResponseWriter, r *http.Request) {
	a := d.current()
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(a.Config.Location).Format(time.RFC3339)
	}
	st, err := a.Status(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// Only what the configuration has now: a source, digest or channel
	// removed (or renamed) keeps its rows in the database, but its last
	// error is nothing a monitor should be told of again and again.
	st = a.ConfiguredOnly(st)
	hs, msgs, dels := st.Health, st.Messages, st.Deliveries
	// Errors are stored masked; those recorded before that are masked
	// here: a source's with its URLs, a delivery's with every URL the
	// configuration names (a server's answer may quote any of them).
	sourceError := app.SourceMask(a.Config)
	digestError := config.DeliveryMask(a.Config)
	rep := healthReport{Status: "ok", Sources: []sourceHealth{}, Pending: []outboxEntry{}, Failed: []outboxEntry{}, Next: map[string]string{}}
	for _, h := range hs {
		rep.Sources = append(rep.Sources, sourceHealth{Name: h.Source, Status: h.LastStatus, LastRun: stamp(h.LastRun),
			Duration: h.Duration.Seconds(), LastSuccess: stamp(h.LastSuccess), FailingSince: stamp(h.FailingSince),
			Error: sourceError(h.Source, h.LastError)})
	}
	add := func(status string, e outboxEntry) {
		if status == model.MessageFailed {
			rep.Failed = append(rep.Failed, e)
		} else {
			rep.Pending = append(rep.Pending, e)
		}
	}
	for _, m := range msgs {
		add(m.Status, outboxEntry{Digest: m.Digest, Slot: stamp(m.Slot), Attempts: m.Attempts, LastError: digestError(m.LastError),
			Held: m.Status == model.MessagePending && m.Held})
	}
	for _, dl := range dels {
		add(dl.Status, outboxEntry{Digest: dl.Message.Digest, Channel: dl.Channel, Slot: stamp(dl.Message.Slot), Attempts: dl.Attempts,
			LastError: digestError(dl.LastError)})
	}
	now := a.Now()
	rep.Next["fetch"] = stamp(a.Config.FetchTimetable.Next(now))
	for _, dg := range a.Config.Digests {
		rep.Next[dg.Name] = stamp(dg.Timetable.Next(now))
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
