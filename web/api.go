package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"newswatch/model"
	"newswatch/store"
)

// errUnknown is a company, topic, item or digest the request names that
// does not exist.
var errUnknown = errors.New("not found")

// errBadRequest is a query parameter or body that cannot be read.
var errBadRequest = errors.New("bad request")

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// fail answers an error: JSON under /api/, a page elsewhere.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, status, map[string]any{"error": msg})
		return
	}
	s.render(w, r, status, "error", errorPage{Status: status, Message: msg})
}

// failErr answers err with the status its kind calls for.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errUnknown), errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, err.Error())
	case errors.Is(err, errBadRequest):
		s.fail(w, r, http.StatusBadRequest, err.Error())
	default:
		s.internal(w, r, err)
	}
}

// internal answers an unexpected error: logged with the request, and a
// generic message to the client (a database's error text is not for
// pages).
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.opts.Logger.Error("web console: "+err.Error(), "method", r.Method, "path", r.URL.Path)
	s.fail(w, r, http.StatusInternalServerError, "internal error: the server's log has the details")
}

// apiItem is an item as the API shows it.
type apiItem struct {
	ID        int64    `json:"id"`
	Title     string   `json:"title"`
	Link      string   `json:"link"`
	Source    string   `json:"source"`
	Published string   `json:"published"`
	Companies []string `json:"companies"`
	Topics    []string `json:"topics"`
	Terms     []string `json:"matched_terms"`
	Snippet   string   `json:"snippet"`
}

func toAPI(f found) apiItem {
	src := ""
	if len(f.Sources) > 0 {
		src = f.Sources[0]
	}
	return apiItem{ID: f.ID, Title: f.Text.Title, Link: f.Link, Source: src, Published: rfc3339(published(f.Item)),
		Companies: f.Companies(), Topics: f.Topics(), Terms: f.Terms(), Snippet: f.Snippet}
}

func published(it model.Item) time.Time {
	if it.Published.IsZero() {
		return it.FirstSeen
	}
	return it.Published
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// maxLimit bounds how many items one search returns.
const maxLimit = 500

// Bounds of a search's q: its length in bytes, and its words and phrases.
const (
	maxQueryBytes = 512
	maxQueryTerms = 32
)

// params reads a search's query parameters.
func params(r *http.Request, loc *time.Location) (searchParams, error) {
	v := r.URL.Query()
	if err := checkText(v); err != nil {
		return searchParams{Limit: 50}, err
	}
	p := searchParams{Q: v.Get("q"), Company: v.Get("company"), Topic: v.Get("topic"), Source: v.Get("source"), Limit: 50}
	if len(p.Q) > maxQueryBytes {
		return p, fmt.Errorf("%w: q: at most %d bytes, not %d", errBadRequest, maxQueryBytes, len(p.Q))
	}
	if t := store.ParseTerms(p.Q); len(t.Include)+len(t.Exclude) > maxQueryTerms {
		return p, fmt.Errorf("%w: q: at most %d words or phrases, not %d", errBadRequest, maxQueryTerms, len(t.Include)+len(t.Exclude))
	}
	if m := v.Get("matched"); m != "" && m != "0" && m != "false" {
		p.Matched = true
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return p, fmt.Errorf("%w: limit %q is not a positive number", errBadRequest, l)
		}
		p.Limit = min(n, maxLimit)
	}
	var err error
	if p.Since, err = parseDate(v.Get("since"), loc, false); err != nil {
		return p, fmt.Errorf("%w: since: %w", errBadRequest, err)
	}
	if p.Until, err = parseDate(v.Get("until"), loc, true); err != nil {
		return p, fmt.Errorf("%w: until: %w", errBadRequest, err)
	}
	return p, nil
}

// parseDate reads an RFC 3339 time or a YYYY-MM-DD date in loc; a date as
// an upper bound means the end of that day.
func parseDate(s string, loc *time.Location, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

func (s *Server) apiItems(w http.ResponseWriter, r *http.Request) {
	st, err := s.current()
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	p, err := params(r, st.cfg.Location)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	total, _, list, err := s.search(r.Context(), st, p)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	items := make([]apiItem, len(list))
	for i, f := range list {
		items[i] = toAPI(f)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "items": items})
}

func (s *Server) apiDigests(w http.ResponseWriter, r *http.Request) {
	ms, err := s.messages(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	out := make([]map[string]any, len(ms))
	for i, m := range ms {
		out[i] = map[string]any{"id": m.ID, "digest": m.Digest, "slot": rfc3339(m.Slot), "subject": m.Subject,
			"status": m.Status, "sent": rfc3339(m.Sent)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"digests": out})
}

// messages returns every recorded message, newest first, without its
// text and HTML.
func (s *Server) messages(r *http.Request) ([]model.Message, error) {
	ms, err := s.opts.Store.MessageList(r.Context())
	if err != nil {
		return nil, err
	}
	slices.Reverse(ms)
	return ms, nil
}

// digestHTML serves a message's HTML part as it was mailed.
func (s *Server) digestHTML(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "no such digest")
		return
	}
	m, err := s.opts.Store.Message(r.Context(), id)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Security-Policy", digestCSP)
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(m.HTML))
}

// feedback records "not relevant" for an item and a company.
func (s *Server) apiFeedback(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Company  string `json:"company"`
		Relevant *bool  `json:"relevant"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		s.failErr(w, r, err)
		return
	}
	if body.Relevant == nil {
		s.fail(w, r, http.StatusBadRequest, `body: {"company": NAME, "relevant": false} marks, "relevant": true removes the mark`)
		return
	}
	if err := s.markNotRelevant(r, r.PathValue("id"), body.Company, !*body.Relevant); err != nil {
		s.failErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// markNotRelevant marks (or, mark false, unmarks) an item not relevant
// for a company.
func (s *Server) markNotRelevant(r *http.Request, rawID, company string, mark bool) error {
	st, err := s.current()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(rawID, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: item %q", errUnknown, rawID)
	}
	if company == "" {
		return fmt.Errorf("%w: company: missing: name the company the item is (not) relevant for", errBadRequest)
	}
	i := slices.IndexFunc(st.cfg.Companies, func(c configCompany) bool { return sameName(c.Name, company) })
	if i < 0 {
		return fmt.Errorf("%w: company %q", errUnknown, company)
	}
	company = st.cfg.Companies[i].Name // marks are kept under the configured name
	if !mark {
		return s.opts.Store.UnmarkNotRelevant(r.Context(), id, company)
	}
	return s.opts.Store.MarkNotRelevant(r.Context(), id, company)
}

// decodeBody reads a JSON body of at most 1 MB into v. A body that is not
// UTF-8, or whose strings decode to U+FFFD (an escaped lone surrogate), is
// refused (textProblem): decoded, its strings would hold U+FFFD where it
// is not, and be saved so.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: body: %w", errBadRequest, err)
	}
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: body %s", errBadRequest, textProblem(string(data)))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %w", errBadRequest, err)
	}
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: body: one JSON object and nothing after it", errBadRequest)
	}
	// Decoded again as it was written, to name the key of a string whose
	// escapes decode to U+FFFD.
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return fmt.Errorf("%w: body: %w", errBadRequest, err)
	}
	return checkJSONText(tree, "")
}
