package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"newswatch/config"
	"newswatch/ingest"
	"newswatch/internal/atomicfile"
	"newswatch/model"
	"newswatch/store"
)

type configCompany = config.Company

// sameName reports whether name, as a request gives it, names the
// watchlist entry configured as configured: under the configuration's
// own rule for names (config.SameName: any case, white space runs as one
// space), which allows no two entries the same. Every lookup of an entry
// by name (feedback, search filters, the editor, the API) uses it; what
// is written keeps the name as configured.
func sameName(configured, name string) bool { return config.SameName(configured, name) }

// entry is one watchlist entry as the API reads and writes it.
type entry struct {
	Kind    string   `json:"kind,omitempty"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	Exclude []string `json:"exclude"`
	AllNews *bool    `json:"all_news,omitempty"`
	Terms   []string `json:"terms,omitempty"`
	Days    int      `json:"days,omitempty"`
	// Version is the file's version (ETag of GET /api/watchlist, the edit
	// page's hidden field) the edit was made on; "" skips the check.
	Version string `json:"version,omitempty"`
	// ifMatch are the versions of a PUT's If-Match header, one of which
	// must be the file's; nil skips the check.
	ifMatch []string
}

// ifMatch reads an If-Match header as the versions a save may be made on:
// nil when there is none, or for "*", which matches any current
// representation (the file is there, or nothing could be saved); else its
// strong entity tags, unquoted. A weak tag (W/"…") matches nothing: a
// save compares strongly.
func ifMatch(h string) []string {
	if strings.TrimSpace(h) == "" || strings.TrimSpace(h) == "*" {
		return nil
	}
	tags := []string{}
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimSpace(tag)
		if tag != "" && !strings.HasPrefix(tag, "W/") {
			tags = append(tags, strings.Trim(tag, `"`))
		}
	}
	return tags
}

// fileHash is a configuration file's version: a save made on another
// version is refused.
func fileHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:12])
}

// errStale is a save made on a version of the file that is no longer on
// disk.
var errStale = errors.New("the configuration file changed since this entry was opened: reload the page (or GET /api/watchlist), check the entry and save again")

func companyEntry(c config.Company) entry {
	all := c.AllNews
	return entry{Name: c.Name, Aliases: nonNil(c.Aliases), Exclude: nonNil(c.Exclude), AllNews: &all}
}

func topicEntry(t config.Topic) entry {
	return entry{Name: t.Name, Terms: nonNil(t.Terms), Exclude: []string{}}
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func (s *Server) apiWatchlist(w http.ResponseWriter, r *http.Request) {
	st, err := s.current()
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	companies := make([]map[string]any, len(st.cfg.Companies))
	for i, c := range st.cfg.Companies {
		companies[i] = map[string]any{"name": c.Name, "aliases": nonNil(c.Aliases), "exclude": nonNil(c.Exclude), "all_news": c.AllNews}
	}
	topics := make([]map[string]any, len(st.cfg.Topics))
	for i, t := range st.cfg.Topics {
		topics[i] = map[string]any{"name": t.Name, "terms": nonNil(t.Terms), "exclude": []string{}}
	}
	if raw, err := os.ReadFile(st.cfg.Path); err == nil {
		w.Header().Set("ETag", `"`+fileHash(raw)+`"`)
	}
	writeJSON(w, http.StatusOK, map[string]any{"companies": companies, "topics": topics})
}

// invalidError is an edit the configuration's validation refuses.
type invalidError struct{ problems []string }

func (e *invalidError) Error() string { return strings.Join(e.problems, "; ") }

func invalid(format string, args ...any) error {
	return &invalidError{problems: []string{fmt.Sprintf(format, args...)}}
}

// edit is an entry applied to the configuration file's text.
type edit struct {
	entry   entry
	section string // companies or topics
	before  *state
	after   *state
	data    []byte // the edited file
	hash    string // the file's hash before the edit
}

// Bounds of an entry the console writes: phrases per list and bytes per
// phrase.
const (
	maxPhrases     = 1000
	maxPhraseBytes = 200
)

// checkLists refuses lists too long for the console and phrases with a
// control character (they could never match text and make the file hard
// to read).
func checkLists(e entry) error {
	var problems []string
	for _, l := range []struct {
		key  string
		list []string
	}{{"aliases", e.Aliases}, {"exclude", e.Exclude}, {"terms", e.Terms}} {
		if len(l.list) > maxPhrases {
			problems = append(problems, fmt.Sprintf("%s: at most %d phrases, not %d", l.key, maxPhrases, len(l.list)))
			continue
		}
		for i, v := range l.list {
			switch {
			case len(v) > maxPhraseBytes:
				problems = append(problems, fmt.Sprintf("%s[%d]: at most %d bytes, not %d", l.key, i, maxPhraseBytes, len(v)))
			case strings.ContainsFunc(v, unicode.IsControl):
				problems = append(problems, fmt.Sprintf("%s[%d]: %q contains a control character (a tab, a line break…)", l.key, i, v))
			}
		}
	}
	if len(problems) > 0 {
		return &invalidError{problems: problems}
	}
	return nil
}

// applyEdit applies e to the file as it is now, validated as check
// validates the file.
func (s *Server) applyEdit(e entry) (*edit, error) {
	if err := checkLists(e); err != nil {
		return nil, err
	}
	before, err := s.current()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(before.cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("web: read config: %w", err)
	}
	// The file as it is now must be valid: the edit goes into it.
	fresh, err := config.Parse(before.cfg.Path, raw)
	if err != nil {
		var msgs []string
		for _, e := range config.Split(err) {
			msgs = append(msgs, e.Error())
		}
		return nil, &brokenError{problems: msgs}
	}
	// The entry as the file has it now, not as the console last read it:
	// a rewrite that kept the file's size and time would hide a change.
	ed := &edit{entry: e, before: before}
	var settings []config.Setting
	switch e.Kind {
	case "company":
		ed.section = "companies"
		i := slices.IndexFunc(fresh.Companies, func(c config.Company) bool { return sameName(c.Name, e.Name) })
		if i < 0 {
			return nil, fmt.Errorf("%w: company %q", errUnknown, e.Name)
		}
		e.Name = fresh.Companies[i].Name // as the file has it
		ed.entry.Name = e.Name
		if len(e.Terms) > 0 {
			return nil, invalid("terms: a company has aliases, not terms")
		}
		c := fresh.Companies[i]
		// A key left out of the body stays as it is; [] empties it.
		if e.Aliases != nil && !slices.Equal(c.Aliases, e.Aliases) {
			settings = append(settings, config.Setting{Key: "aliases", Value: nonNil(e.Aliases)})
		}
		if e.Exclude != nil && !slices.Equal(c.Exclude, e.Exclude) {
			settings = append(settings, config.Setting{Key: "exclude", Value: nonNil(e.Exclude)})
		}
		if e.AllNews != nil && *e.AllNews != c.AllNews {
			settings = append(settings, config.Setting{Key: "all_news", Value: *e.AllNews})
		}
	case "topic":
		ed.section = "topics"
		i := slices.IndexFunc(fresh.Topics, func(t config.Topic) bool { return sameName(t.Name, e.Name) })
		if i < 0 {
			return nil, fmt.Errorf("%w: topic %q", errUnknown, e.Name)
		}
		e.Name = fresh.Topics[i].Name
		ed.entry.Name = e.Name
		switch {
		case len(e.Aliases) > 0:
			return nil, invalid("aliases: a topic has terms, not aliases")
		case len(e.Exclude) > 0:
			return nil, invalid("exclude: a topic has no exclude phrases; put them on the company")
		case e.AllNews != nil:
			return nil, invalid("all_news: only a company has all_news")
		}
		if e.Terms != nil && !slices.Equal(fresh.Topics[i].Terms, e.Terms) {
			settings = append(settings, config.Setting{Key: "terms", Value: nonNil(e.Terms)})
		}
	default:
		return nil, invalid(`kind: must be "company" or "topic", not %q`, e.Kind)
	}
	if e.Days < 0 || e.Days > 366 {
		return nil, invalid("days: must be from 1 to 366, not %d", e.Days)
	}
	ed.data = raw
	ed.hash = fileHash(raw)
	if e.Version != "" && e.Version != ed.hash || e.ifMatch != nil && !slices.Contains(e.ifMatch, ed.hash) {
		return nil, errStale
	}
	if len(settings) > 0 {
		// A file written with CRLF line ends keeps them: the edit is made
		// on LF lines.
		crlf := bytes.Count(raw, []byte("\r\n")) > 0 && bytes.Count(raw, []byte("\r\n")) == bytes.Count(raw, []byte("\n"))
		if crlf {
			raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
		}
		// So does a byte order mark.
		bom := bytes.HasPrefix(raw, config.UTF8BOM)
		ed.data, err = config.EditEntry(bytes.TrimPrefix(raw, config.UTF8BOM), ed.section, e.Name, settings)
		if crlf && err == nil {
			ed.data = bytes.ReplaceAll(ed.data, []byte("\n"), []byte("\r\n"))
		}
		if bom && err == nil {
			ed.data = append(slices.Clone(config.UTF8BOM), ed.data...)
		}
		if errors.Is(err, config.ErrNotEditable) {
			return nil, &writeError{path: before.cfg.Path, err: err, lines: pasteLines(ed.section, merged(before, e))}
		}
		if err != nil {
			return nil, err
		}
	}
	cfg, err := config.Parse(before.cfg.Path, ed.data)
	if err != nil {
		return nil, &invalidError{problems: config.Problems(err)}
	}
	wl, err := ingest.CompileWatchlist(cfg)
	if err != nil {
		return nil, &invalidError{problems: []string{err.Error()}}
	}
	ed.after = &state{cfg: cfg, wl: wl}
	return ed, nil
}

// brokenError is a configuration file that is invalid before the edit:
// problems in check's file:line form.
type brokenError struct{ problems []string }

func (e *brokenError) Error() string { return strings.Join(e.problems, "; ") }

// merged is e with the keys it leaves out as before has them.
func merged(before *state, e entry) entry {
	out := e
	for _, c := range before.cfg.Companies {
		if e.Kind == "company" && c.Name == e.Name {
			cur := companyEntry(c)
			if out.Aliases == nil {
				out.Aliases = cur.Aliases
			}
			if out.Exclude == nil {
				out.Exclude = cur.Exclude
			}
			if out.AllNews == nil {
				out.AllNews = cur.AllNews
			}
		}
	}
	for _, t := range before.cfg.Topics {
		if e.Kind == "topic" && t.Name == e.Name && out.Terms == nil {
			out.Terms = nonNil(t.Terms)
		}
	}
	return out
}

// preview is what an edit does over the last days.
type preview struct {
	Matches int
	Gained  []found
	Lost    []found
}

// previewCap bounds the gained and lost items listed.
const previewCap = 200

// preview compares the entry's matches before and after the edit on the
// items stored in the last days: only items holding one of its old or new
// aliases or terms can change.
func (s *Server) preview(ctx context.Context, ed *edit) (preview, error) {
	days := ed.entry.Days
	if days == 0 {
		days = 7
	}
	var words []string
	if ed.section == "companies" {
		words = append(words, ed.entry.Name)
		words = append(words, ed.entry.Aliases...)
		for _, c := range ed.before.cfg.Companies {
			if c.Name == ed.entry.Name {
				words = append(words, c.Aliases...)
			}
		}
	} else {
		words = append(words, ed.entry.Terms...)
		for _, t := range ed.before.cfg.Topics {
			if t.Name == ed.entry.Name {
				words = append(words, t.Terms...)
			}
		}
	}
	q := store.SearchQuery{AnyOf: [][]string{words}, Since: s.opts.Now().AddDate(0, 0, -days)}
	var p preview
	err := s.opts.Store.SearchEach(ctx, q, func(it model.Item) (bool, error) {
		old := weigh(ed.before, nil, it, nil)
		now := weigh(ed.after, nil, it, nil)
		had, has := ed.holds(old), ed.holds(now)
		if has {
			p.Matches++
		}
		switch {
		case has && !had && len(p.Gained) < previewCap:
			p.Gained = append(p.Gained, now)
		case had && !has && len(p.Lost) < previewCap:
			p.Lost = append(p.Lost, old)
		}
		return true, nil
	})
	return p, err
}

// holds reports whether the edited entry makes f relevant: the company
// among its hits, or the topic among their topics.
func (ed *edit) holds(f found) bool {
	if ed.section == "companies" {
		return slices.Contains(f.Companies(), ed.entry.Name)
	}
	return slices.Contains(f.Topics(), ed.entry.Name)
}

func (s *Server) apiPreview(w http.ResponseWriter, r *http.Request) {
	var e entry
	if err := decodeBody(w, r, &e); err != nil {
		s.failEdit(w, r, err)
		return
	}
	ed, err := s.applyEdit(e)
	if err != nil {
		s.failEdit(w, r, err)
		return
	}
	p, err := s.preview(r.Context(), ed)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"matches": p.Matches, "gained": apiItems(p.Gained), "lost": apiItems(p.Lost)})
}

func apiItems(list []found) []apiItem {
	out := make([]apiItem, len(list))
	for i, f := range list {
		out[i] = toAPI(f)
	}
	return out
}

// failEdit answers an edit that cannot be applied: 400 with the problems,
// 404 for an entry not in the file.
func (s *Server) failEdit(w http.ResponseWriter, r *http.Request, err error) {
	var inv *invalidError
	var broken *brokenError
	var werr *writeError
	switch {
	case errors.As(err, &werr):
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": werr.Error(), "paste": werr.lines})
	case errors.As(err, &inv):
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": inv.problems})
	case errors.As(err, &broken):
		writeJSON(w, http.StatusConflict, map[string]any{"error": "the configuration file has an error: fix it (newswatch check) before saving", "errors": broken.problems})
	case errors.Is(err, errStale):
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error()})
	case errors.Is(err, config.ErrEntryNotFound):
		s.fail(w, r, http.StatusNotFound, err.Error())
	case errors.Is(err, errBadRequest):
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []string{err.Error()}})
	default:
		s.failErr(w, r, err)
	}
}

func (s *Server) apiSave(w http.ResponseWriter, r *http.Request) {
	var e entry
	if err := decodeBody(w, r, &e); err != nil {
		s.failEdit(w, r, err)
		return
	}
	if e.Version == "" {
		e.ifMatch = ifMatch(r.Header.Get("If-Match"))
	}
	saved, version, err := s.save(e)
	if err != nil {
		s.failEdit(w, r, err)
		return
	}
	// The file's new version: the client can save again without a GET.
	w.Header().Set("ETag", `"`+version+`"`)
	writeJSON(w, http.StatusOK, saved)
}

// writeError is a configuration file the console could not write; lines
// are what to paste into it by hand.
type writeError struct {
	path  string
	err   error
	lines string
}

func (e *writeError) Error() string {
	return fmt.Sprintf("cannot write %s (%v): paste the lines shown into the entry by hand", e.path, e.err)
}

func (e *writeError) Unwrap() error { return e.err }

// save writes the edited entry into the configuration file by atomic
// rename, and returns the entry as now configured and the file's new
// version.
func (s *Server) save(e entry) (entry, string, error) {
	s.write.Lock()
	defer s.write.Unlock()
	defer lockConfig(s.opts.ConfigPath)()
	ed, err := s.applyEdit(e)
	if err != nil {
		return entry{}, "", err
	}
	path := ed.before.cfg.Path
	if err := writeFile(path, ed.data); err != nil {
		return entry{}, "", &writeError{path: path, err: err, lines: ed.lines()}
	}
	if _, err := s.current(); err != nil {
		return entry{}, "", err
	}
	return ed.saved(), fileHash(ed.data), nil
}

// saved is the entry as the edited configuration has it.
func (ed *edit) saved() entry {
	if ed.section == "companies" {
		for _, c := range ed.after.cfg.Companies {
			if c.Name == ed.entry.Name {
				return companyEntry(c)
			}
		}
	}
	for _, t := range ed.after.cfg.Topics {
		if t.Name == ed.entry.Name {
			return topicEntry(t)
		}
	}
	return ed.entry
}

// lines is the edited entry in TOML, for a person to paste.
func (ed *edit) lines() string { return pasteLines(ed.section, ed.saved()) }

// pasteLines is an entry in TOML, for a person to paste.
func pasteLines(section string, se entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[[%s]]\nname = %s\n", section, config.Quote(se.Name))
	quoteList := func(list []string) string {
		q := make([]string, len(list))
		for i, v := range list {
			q[i] = config.Quote(v)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	if section == "companies" {
		all := se.AllNews != nil && *se.AllNews
		fmt.Fprintf(&b, "aliases = %s\nexclude = %s\nall_news = %t\n", quoteList(se.Aliases), quoteList(se.Exclude), all)
	} else {
		fmt.Fprintf(&b, "terms = %s\n", quoteList(se.Terms))
	}
	return b.String()
}

// writeFile writes the configuration file; tests replace it.
var writeFile = writeAtomic

// writeAtomic replaces path with data atomically (see package
// atomicfile), keeping the file's permissions; a symbolic link is
// followed, so the link stays and its target changes.
func writeAtomic(path string, data []byte) error {
	path, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	// A rename needs only a writable folder: a file its owner made
	// read-only, or one this user may not write, stays as it is.
	if info.Mode().Perm()&0o200 == 0 {
		return fmt.Errorf("%s is read-only (mode %v): %w", path, info.Mode().Perm(), os.ErrPermission)
	}
	if w, err := os.OpenFile(path, os.O_WRONLY, 0); err != nil {
		return err
	} else {
		w.Close()
	}
	return atomicfile.Write(path, data, info.Mode().Perm())
}
