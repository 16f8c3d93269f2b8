package web

import (
	"embed"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"newswatch/config"
	"newswatch/ingest"
	"newswatch/internal/safetext"
	"newswatch/match"
	"newswatch/model"
	"newswatch/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages are the console's templates, parsed when a console is first made
// (New), not at the start of every command.
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"marked":   marked,
		"date":     func(t time.Time) string { return t.Format("2006-01-02 15:04") },
		"lines":    func(list []string) string { return strings.Join(list, "\n") },
		"join":     func(list []string) string { return strings.Join(list, ", ") },
		"linkable": linkable,
	}).ParseFS(templateFS, "templates/*.html"))
})

// linkable reports whether an item's link can be shown as one: an
// absolute http or https URL. The scraper stores "" for a link it dropped
// as unsafe (javascript:, data:); such an item's title is plain text, as
// in a mailed digest, not a link to "" (which opens the console itself in
// a new tab).
func linkable(link string) bool {
	u, err := url.Parse(link)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// marked is text with the spans wrapped in <mark>, everything escaped.
func marked(text string, spans []match.Span) template.HTML {
	var b strings.Builder
	at := 0
	for _, sp := range merge(slices.Clone(spans)) {
		if sp.Start < at || sp.End > len(text) || sp.Start >= sp.End {
			continue
		}
		b.WriteString(html.EscapeString(text[at:sp.Start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[sp.Start:sp.End]))
		b.WriteString("</mark>")
		at = sp.End
	}
	b.WriteString(html.EscapeString(text[at:]))
	return template.HTML(b.String()) //nolint: every part escaped above
}

// page is what every page's layout needs.
type page struct {
	Title string
	Nav   string
	CSRF  string
	Auth  bool // a token is configured: show "log out"
	// Broken says where the configuration file is invalid: the pages
	// show the last valid configuration.
	Broken []string
	Data   any
}

type errorPage struct {
	Status  int
	Message string
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	p := page{Title: name, Nav: name, CSRF: s.csrfToken(r), Auth: s.opts.Token != "", Data: data}
	if name != "login" {
		p.Broken = s.brokenAt()
	}
	// Dates in the configuration's time zone, as everywhere else.
	loc := time.UTC
	if st, err := s.current(); err == nil && st.cfg.Location != nil {
		loc = st.cfg.Location
	}
	t, err := pages().Clone()
	if err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	t.Funcs(template.FuncMap{"date": func(tm time.Time) string { return tm.In(loc).Format("2006-01-02 15:04") }})
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name+".html", p); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	m.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			s.fail(w, r, http.StatusNotFound, "no such page") // no listing of the files
			return
		}
		files.ServeHTTP(w, r)
	})
	m.HandleFunc("GET /login", s.loginForm)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.logout)
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/search", http.StatusSeeOther)
	})
	m.HandleFunc("GET /search", s.searchPage)
	m.HandleFunc("GET /digests", s.digestsPage)
	m.HandleFunc("GET /digests/{id}", s.digestHTML)
	m.HandleFunc("GET /watchlist", s.watchlistPage)
	m.HandleFunc("GET /watchlist/edit", s.editPage)
	m.HandleFunc("POST /watchlist/edit", s.editPost)
	m.HandleFunc("GET /sources", s.sourcesPage)
	m.HandleFunc("POST /sources/dry-run", s.dryRun)
	m.HandleFunc("GET /items/{id}", s.itemPage)
	m.HandleFunc("POST /items/{id}/not-relevant", s.notRelevantPost)

	m.HandleFunc("GET /api/items", s.apiItems)
	m.HandleFunc("GET /api/digests", s.apiDigests)
	m.HandleFunc("GET /api/watchlist", s.apiWatchlist)
	m.HandleFunc("POST /api/watchlist/preview", s.apiPreview)
	m.HandleFunc("PUT /api/watchlist", s.apiSave)
	m.HandleFunc("POST /api/items/{id}/feedback", s.apiFeedback)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowed(m, r); allow != "" {
			w.Header().Set("Allow", allow)
			s.fail(w, r, http.StatusMethodNotAllowed, r.Method+" is not served here (allowed: "+allow+")")
			return
		}
		s.fail(w, r, http.StatusNotFound, "no such page")
	})
	s.mux = m
}

// consoleMethods are the methods any route of the console serves.
var consoleMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut}

// allowed lists the methods m serves r's path with (for an Allow header),
// or "" when it serves the path with none: the catch-all route would
// otherwise answer a known path asked with another method 404, and the
// mux's own 405 never happens beside a catch-all.
func allowed(m *http.ServeMux, r *http.Request) string {
	var list []string
	for _, method := range consoleMethods {
		probe := *r
		probe.Method = method
		if _, pattern := m.Handler(&probe); pattern != "" && pattern != "/" {
			list = append(list, method)
		}
	}
	return strings.Join(list, ", ")
}

type searchData struct {
	P                          searchParams
	Since, Until               string
	Companies, Topics, Sources []string
	Total                      int
	About                      bool // Total is an estimate
	Items                      []found
	Error                      string
	Searched                   bool
	Back                       string // this page, to come back to after a mark
	Single                     bool   // one item's page: no search form
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.current()
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	d := searchData{Since: r.URL.Query().Get("since"), Until: r.URL.Query().Get("until"), Back: r.URL.RequestURI()}
	for _, c := range st.cfg.Companies {
		d.Companies = append(d.Companies, c.Name)
	}
	for _, t := range st.cfg.Topics {
		d.Topics = append(d.Topics, t.Name)
	}
	for _, src := range append(slices.Clone(st.cfg.Sources), st.cfg.PausedSources...) {
		d.Sources = append(d.Sources, src.Name)
	}
	status := http.StatusOK
	d.P, err = params(r, st.cfg.Location)
	if err == nil {
		d.Searched = len(r.URL.Query()) > 0
		d.Total, d.About, d.Items, err = s.search(r.Context(), st, d.P)
	}
	switch {
	case errors.Is(err, errUnknown):
		d.Error, status = err.Error(), http.StatusNotFound
	case errors.Is(err, errBadRequest):
		d.Error, status = err.Error(), http.StatusBadRequest
	case err != nil:
		s.internal(w, r, err)
		return
	}
	s.render(w, r, status, "search", d)
}

type digestRow struct {
	model.Message
	Local time.Time
}

func (s *Server) digestsPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.current()
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	ms, err := s.messages(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	// Errors are stored masked; one an older version stored is masked
	// here, as status and /healthz mask it.
	mask := config.DeliveryMask(st.cfg)
	rows := make([]digestRow, len(ms))
	for i, m := range ms {
		m.LastError = mask(m.LastError)
		rows[i] = digestRow{Message: m, Local: m.Slot.In(st.cfg.Location)}
	}
	s.render(w, r, http.StatusOK, "digests", rows)
}

// termStat is how often one alias or term matched lately, and how many of
// those matches were marked not relevant.
type termStat struct {
	Term    string
	Matches int
	Marked  int
}

type watchEntry struct {
	Kind       string
	Name       string
	Aliases    []termStat
	Terms      []termStat
	Exclude    []string
	AllNews    bool
	Suggestion string
}

// statDays is the window of the watchlist page's counts.
const statDays = 7

func (s *Server) watchlistPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.current()
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	stats, err := MeasurePrecision(r.Context(), s.opts.Store, st.cfg, st.wl, s.opts.Now().AddDate(0, 0, -statDays))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	var list []watchEntry
	for _, c := range st.cfg.Companies {
		e := watchEntry{Kind: "company", Name: c.Name, Exclude: c.Exclude, AllNews: c.AllNews, Suggestion: stats.Suggest(c.Name)}
		for _, a := range append([]string{c.Name}, c.Aliases...) {
			n, m := stats.Alias(c.Name, a)
			e.Aliases = append(e.Aliases, termStat{Term: a, Matches: n, Marked: m})
		}
		list = append(list, e)
	}
	for _, t := range st.cfg.Topics {
		e := watchEntry{Kind: "topic", Name: t.Name}
		for _, term := range t.Terms {
			n, m := stats.Term(term)
			e.Terms = append(e.Terms, termStat{Term: term, Matches: n, Marked: m})
		}
		list = append(list, e)
	}
	s.render(w, r, http.StatusOK, "watchlist", map[string]any{"Entries": list, "Days": statDays})
}

type editData struct {
	Entry   entry
	Kind    string
	AllNews bool
	Days    int
	Errors  []string
	Preview *preview
	Saved   bool
	Paste   string
	Message string
	Version string // the file's version the form was made on
}

func (s *Server) editPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.current()
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	kind, name := r.URL.Query().Get("kind"), r.URL.Query().Get("name")
	d := editData{Kind: kind, Days: 7}
	switch kind {
	case "company":
		i := slices.IndexFunc(st.cfg.Companies, func(c config.Company) bool { return sameName(c.Name, name) })
		if i < 0 {
			s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no company %q", name))
			return
		}
		d.Entry = companyEntry(st.cfg.Companies[i])
		d.AllNews = st.cfg.Companies[i].AllNews
	case "topic":
		i := slices.IndexFunc(st.cfg.Topics, func(t config.Topic) bool { return sameName(t.Name, name) })
		if i < 0 {
			s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no topic %q", name))
			return
		}
		d.Entry = topicEntry(st.cfg.Topics[i])
	default:
		s.fail(w, r, http.StatusNotFound, "kind must be company or topic")
		return
	}
	d.Saved = r.URL.Query().Get("saved") == "1"
	if raw, err := os.ReadFile(st.cfg.Path); err == nil {
		d.Version = fileHash(raw)
	}
	s.render(w, r, http.StatusOK, "edit", d)
}

// editPost previews (without script) or saves an edit made in the form.
func (s *Server) editPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "the form cannot be read: "+err.Error())
		return
	}
	if err := checkText(r.PostForm); err != nil {
		s.failErr(w, r, err)
		return
	}
	e := entry{Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name"), Exclude: splitLines(r.PostFormValue("exclude")), Version: r.PostFormValue("version")}
	if e.Kind == "company" {
		e.Aliases = splitLines(r.PostFormValue("aliases"))
		all := r.PostFormValue("all_news") != ""
		e.AllNews = &all
	} else {
		e.Terms = splitLines(r.PostFormValue("terms"))
	}
	e.Days, _ = strconv.Atoi(r.PostFormValue("days"))
	d := editData{Entry: e, Kind: e.Kind, Days: max(e.Days, 1), Version: e.Version}
	if e.AllNews != nil {
		d.AllNews = *e.AllNews
	}
	status := http.StatusOK
	if r.PostFormValue("action") == "save" {
		saved, _, err := s.save(e)
		var werr *writeError
		switch {
		case err == nil:
			http.Redirect(w, r, "/watchlist/edit?"+url.Values{"kind": {e.Kind}, "name": {saved.Name}, "saved": {"1"}}.Encode(), http.StatusSeeOther)
			return
		case errors.As(err, &werr):
			d.Message, d.Paste, status = werr.Error(), werr.lines, http.StatusInternalServerError
		case errors.Is(err, errStale):
			d.Message, status = err.Error(), http.StatusConflict
		case errors.As(err, new(*brokenError)):
			d.Errors, status = editProblems(err), http.StatusConflict
		default:
			d.Errors, status = editProblems(err), http.StatusBadRequest
		}
		s.render(w, r, status, "edit", d)
		return
	}
	ed, err := s.applyEdit(e)
	if err == nil {
		var p preview
		if p, err = s.preview(r.Context(), ed); err == nil {
			d.Preview = &p
		}
	}
	var werr *writeError
	switch {
	case errors.As(err, &werr):
		d.Message, d.Paste, status = werr.Error(), werr.lines, http.StatusInternalServerError
	case err != nil:
		d.Errors, status = editProblems(err), http.StatusBadRequest
	}
	s.render(w, r, status, "edit", d)
}

func editProblems(err error) []string {
	var inv *invalidError
	if errors.As(err, &inv) {
		return inv.problems
	}
	var broken *brokenError
	if errors.As(err, &broken) {
		return append([]string{"the configuration file has an error: fix it (newswatch check) before saving"}, broken.problems...)
	}
	return []string{err.Error()}
}

// splitLines reads a textarea of one phrase per line.
func splitLines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// itemPage shows one stored item as a search lists it, with its verdicts
// and "not relevant" buttons: where a digest's links lead.
func (s *Server) itemPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.current()
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var items []model.Item
	if err == nil {
		items, err = s.opts.Store.ItemsByIDs(r.Context(), []int64{id})
	}
	if err != nil || len(items) == 0 {
		s.fail(w, r, http.StatusNotFound, "no such item")
		return
	}
	list, err := s.describe(r.Context(), st, nil, items)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "search", searchData{Items: list, Total: 1, Back: r.URL.RequestURI(), Single: true})
}

func (s *Server) notRelevantPost(w http.ResponseWriter, r *http.Request) {
	if err := s.markNotRelevant(r, r.PathValue("id"), r.PostFormValue("company"), r.PostFormValue("undo") == ""); err != nil {
		s.failErr(w, r, err)
		return
	}
	back := safeNext(r.PostFormValue("back"))
	http.Redirect(w, r, back, http.StatusSeeOther)
}

type sourceRow struct {
	config.Source
	Paused bool
	Health store.Health
	Known  bool
	Items  []model.Item
}

// sourceItems is how many recent items the sources page lists per source.
const sourceItems = 5

func (s *Server) sourcesPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.current()
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	rows, err := s.sourceRows(r, st)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sources", map[string]any{"Sources": rows})
}

func (s *Server) sourceRows(r *http.Request, st *state) ([]sourceRow, error) {
	hs, err := s.opts.Store.Health(r.Context())
	if err != nil {
		return nil, err
	}
	health := make(map[string]store.Health, len(hs))
	for _, h := range hs {
		health[h.Source] = h
	}
	var names []string
	for _, list := range [][]config.Source{st.cfg.Sources, st.cfg.PausedSources} {
		for _, src := range list {
			names = append(names, src.Name)
		}
	}
	recent, err := s.opts.Store.RecentBySource(r.Context(), names, sourceItems)
	if err != nil {
		return nil, err
	}
	var rows []sourceRow
	add := func(src config.Source, paused bool) {
		row := sourceRow{Source: maskedSource(src), Paused: paused, Items: recent[src.Name]}
		row.Health, row.Known = health[src.Name]
		// Stored masked, unless an older version recorded it.
		row.Health.LastError = src.MaskSecrets(row.Health.LastError)
		for i := range row.Items {
			row.Items[i].Title = safetext.Short(row.Items[i].Title, maxTitle)
		}
		rows = append(rows, row)
	}
	for _, src := range st.cfg.Sources {
		add(src, false)
	}
	for _, src := range st.cfg.PausedSources {
		add(src, true)
	}
	return rows, nil
}

// maskedSource is src with the secrets of its URL (a password, query
// values, token-like path parts) shown as "***", as notify URLs are.
func maskedSource(src config.Source) config.Source {
	if src.Feed != "" {
		src.Feed = config.MaskURL(src.Feed)
	}
	if src.Page != "" {
		src.Page = config.MaskURL(src.Page)
	}
	return src
}

type dryRunData struct {
	Source config.Source
	Links  []string
	Items  []dryItem
	Error  string
}

type dryItem struct {
	Title, Link, Text string
}

// dryRun fetches one source now and shows what its selectors find,
// storing nothing.
func (s *Server) dryRun(w http.ResponseWriter, r *http.Request) {
	st, err := s.current()
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	name := r.PostFormValue("source")
	all := append(slices.Clone(st.cfg.Sources), st.cfg.PausedSources...)
	i := slices.IndexFunc(all, func(src config.Source) bool { return src.Name == name })
	if i < 0 {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no source %q", name))
		return
	}
	src := ingest.ScraperSource(all[i])
	src.MaxArticles = min(max(src.MaxArticles, 1), 3)
	res := ingest.NewFetcher(st.cfg, ingest.WithClock(s.opts.Now)).Fetch(r.Context(), src)
	d := dryRunData{Source: maskedSource(all[i]), Links: res.Links}
	if res.Err != nil {
		d.Error = all[i].MaskSecrets(res.Err.Error())
	}
	for _, it := range res.Items {
		text := match.ItemText(it.Title, it.Summary, it.Content, it.Body)
		snip, _ := match.Snippet(text.Body, nil, snippetSize)
		d.Items = append(d.Items, dryItem{Title: safetext.Short(text.Title, maxTitle), Link: it.Link, Text: snip})
	}
	s.render(w, r, http.StatusOK, "dryrun", d)
}
