// Package confluencetest runs an in-process fake of Confluence Cloud's CQL
// content search for tests and examples, in the manner of
// net/http/httptest:
//
//	srv := confluencetest.NewServer()
//	defer srv.Close()
//	srv.RequireBasic("bot@example.com", "token")
//	srv.SetTimeZone(kolkata) // the API user's profile time zone
//	srv.Put(confluencetest.Seed("ENG", 60, start)...)
//
// It serves GET /wiki/rest/api/content/search with cql (required), limit
// (default 25, at most 250), cursor and expand (body.storage, version,
// space, history; without an expansion the object is left out), paginated
// by _links.next, a relative link holding an opaque cursor (an offset into
// the result, so that a page modified while paging shifts the following
// pages, as offsets do), with _links.base and _links.context. Timestamps
// (version.when, history.createdDate) are rendered with milliseconds in
// each page's own offset.
//
// The CQL subset: clauses joined by AND, each optionally in parentheses:
// type = page|blogpost, space = KEY (or "KEY"), space in (A, B), title =
// "x", and lastmodified or created compared (=, !=, >, >=, <, <=) with a
// quoted date "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm", "yyyy-MM-dd" or
// "yyyy/MM/dd", read in the user's time zone (SetTimeZone; default UTC) at
// minute precision (the page's time is truncated to its minute); then
// order by lastmodified, created, title or id, asc or desc (ties by id).
// Other CQL gets Confluence's 400 "Could not parse cql".
//
// Errors have Confluence's body {"statusCode": ..., "message": ...}: 401
// (RequireBasic, RequireBearer), 404 for other paths, 400 for bad CQL, a
// bad limit or a cursor of another query. Faults: FailNext (any status,
// with Retry-After, such as 429 or 503). Mutations: Put and Delete at any
// time, and OnRequest, run before each request is answered.
package confluencetest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Page is a Confluence page (or blog post) stored in the fake.
type Page struct {
	// ID is the content id; assigned by Put when empty.
	ID string
	// Type is "page" (default) or "blogpost".
	Type string
	// SpaceKey is the space key, such as "ENG".
	SpaceKey string
	// SpaceName defaults to SpaceKey.
	SpaceName string
	// Title is the title.
	Title string
	// Version is the version number; Put increments the stored one when 0.
	Version int
	// LastModified is version.when; defaults to the server clock at Put.
	LastModified time.Time
	// Author is version.by.displayName.
	Author string
	// Created is history.createdDate; defaults to LastModified.
	Created time.Time
	// CreatedBy is history.createdBy.displayName; defaults to Author.
	CreatedBy string
	// Body is the storage-format XHTML.
	Body string
}

// Request is one request the server received.
type Request struct {
	// Path is the URL path.
	Path string
	// CQL is the cql parameter.
	CQL string
	// Limit is the limit parameter as sent.
	Limit string
	// Cursor is the cursor parameter; "" for a first page.
	Cursor string
	// Expand is the expand parameter.
	Expand string
	// Auth is the Authorization scheme: "Basic", "Bearer" or "".
	Auth string
	// Status is the HTTP status of the response.
	Status int
	// Results is the number of results returned.
	Results int
}

// TimeLayout is how timestamps are rendered.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Server is a fake Confluence site. Its methods may be called concurrently
// with requests.
type Server struct {
	// URL is the site root, such as http://127.0.0.1:41234 (the API is
	// under /wiki).
	URL string

	srv *httptest.Server

	mu         sync.Mutex
	pages      map[string]*Page
	nextID     int
	basic      map[string]bool
	bearer     map[string]bool
	loc        *time.Location
	now        func() time.Time
	failN      int
	failStatus int
	failAfter  string
	onRequest  func(Request)
	requests   []Request
}

// NewServer starts a fake site. Close it when done.
func NewServer() *Server {
	s := &Server{pages: make(map[string]*Page), nextID: 65536, loc: time.UTC, now: time.Now}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Put adds pages, or replaces those with the same ID (incrementing the
// version when Version is 0).
func (s *Server) Put(pages ...Page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range pages {
		if p.ID == "" {
			s.nextID++
			p.ID = strconv.Itoa(s.nextID)
		}
		if p.Version == 0 {
			p.Version = 1
			if old, ok := s.pages[p.ID]; ok {
				p.Version = old.Version + 1
			}
		}
		if p.Type == "" {
			p.Type = "page"
		}
		if p.LastModified.IsZero() {
			p.LastModified = s.now()
		}
		if p.Created.IsZero() {
			p.Created = p.LastModified
		}
		if p.CreatedBy == "" {
			p.CreatedBy = p.Author
		}
		s.pages[p.ID] = &p
	}
}

// Get returns the page with this id.
func (s *Server) Get(id string) (Page, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pages[id]
	if !ok {
		return Page{}, false
	}
	return *p, true
}

// Delete removes pages by id.
func (s *Server) Delete(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.pages, id)
	}
}

// RequireBasic makes the server accept Basic authentication with this
// email and API token (and any credentials required before); other
// requests get 401.
func (s *Server) RequireBasic(email, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.basic == nil {
		s.basic = make(map[string]bool)
	}
	s.basic[base64.StdEncoding.EncodeToString([]byte(email+":"+token))] = true
}

// RequireBearer makes the server accept this Bearer token.
func (s *Server) RequireBearer(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bearer == nil {
		s.bearer = make(map[string]bool)
	}
	s.bearer[token] = true
}

// SetTimeZone sets the API user's profile time zone, in which CQL dates
// are read; default UTC.
func (s *Server) SetTimeZone(loc *time.Location) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loc = loc
}

// SetClock replaces the server clock, used for pages put without
// LastModified.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// FailNext makes the next n requests fail with status (and Retry-After
// when retryAfter is not empty).
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus, s.failAfter = n, status, retryAfter
}

// OnRequest sets a function run before each request is answered, outside
// the server's lock (it may call Put). nil removes it.
func (s *Server) OnRequest(f func(Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRequest = f
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// RequestCount returns the number of requests received so far.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{
		"statusCode": status, "message": msg,
		"data": map[string]any{"authorized": status != 401, "valid": status != 400, "errors": []any{}, "successful": false},
	})
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rec := Request{Path: r.URL.Path, CQL: q.Get("cql"), Limit: q.Get("limit"), Cursor: q.Get("cursor"), Expand: q.Get("expand")}
	if scheme, _, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		rec.Auth = scheme
	}
	s.mu.Lock()
	hook := s.onRequest
	s.mu.Unlock()
	if hook != nil {
		hook(rec)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		rec.Status = sw.status
		s.requests = append(s.requests, rec)
	}()
	rec.Results = s.serve(sw, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) int {
	if s.failN > 0 {
		s.failN--
		if s.failAfter != "" {
			w.Header().Set("Retry-After", s.failAfter)
		}
		writeError(w, s.failStatus, http.StatusText(s.failStatus))
		return 0
	}
	if r.URL.Path != "/wiki/rest/api/content/search" {
		writeError(w, http.StatusNotFound, "null for uri: "+s.URL+r.URL.Path)
		return 0
	}
	if s.basic != nil || s.bearer != nil {
		scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !(strings.EqualFold(scheme, "Basic") && s.basic[cred] || strings.EqualFold(scheme, "Bearer") && s.bearer[cred]) {
			writeError(w, http.StatusUnauthorized, "Current user not permitted to use Confluence")
			return 0
		}
	}
	params := r.URL.Query()
	cql := params.Get("cql")
	if strings.TrimSpace(cql) == "" {
		writeError(w, http.StatusBadRequest, "CQL query parameter is required")
		return 0
	}
	limit := 25
	if v := params.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "limit must be a positive integer")
			return 0
		}
		limit = min(max(n, 1), 250)
	}
	q, err := parseCQL(cql, s.loc)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Could not parse cql : "+cql)
		return 0
	}
	offset := 0
	if c := params.Get("cursor"); c != "" {
		var t cursor
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err == nil {
			err = json.Unmarshal(b, &t)
		}
		if err != nil || t.Q != hash(cql) || t.O < 0 {
			writeError(w, http.StatusBadRequest, "Invalid cursor")
			return 0
		}
		offset = t.O
	}
	var hits []*Page
	for _, p := range s.pages {
		if q.match(p) {
			hits = append(hits, p)
		}
	}
	slices.SortFunc(hits, q.less)
	start := min(offset, len(hits))
	end := min(start+limit, len(hits))
	expand := map[string]bool{}
	for _, e := range strings.Split(params.Get("expand"), ",") {
		expand[strings.TrimSpace(e)] = true
	}
	results := make([]map[string]any, 0, end-start)
	for _, p := range hits[start:end] {
		results = append(results, s.render(p, expand))
	}
	links := map[string]any{"base": s.URL + "/wiki", "context": "/wiki", "self": s.URL + "/wiki/rest/api/content/search"}
	if end < len(hits) {
		b, _ := json.Marshal(cursor{Q: hash(cql), O: end})
		v := url.Values{}
		v.Set("cql", cql)
		v.Set("limit", strconv.Itoa(limit))
		if e := params.Get("expand"); e != "" {
			v.Set("expand", e)
		}
		v.Set("cursor", base64.RawURLEncoding.EncodeToString(b))
		v.Set("next", "true")
		links["next"] = "/rest/api/content/search?" + v.Encode()
	}
	if start > 0 {
		links["prev"] = "/rest/api/content/search?cql=" + url.QueryEscape(cql) + "&prev=true"
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "start": start, "limit": limit, "size": len(results), "_links": links})
	return len(results)
}

type cursor struct {
	Q string `json:"q"`
	O int    `json:"o"`
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

func person(name string) map[string]any {
	return map[string]any{"type": "known", "accountId": fmt.Sprintf("acc-%x", len(name)), "displayName": name, "publicName": name}
}

func (s *Server) render(p *Page, expand map[string]bool) map[string]any {
	m := map[string]any{
		"id": p.ID, "type": p.Type, "status": "current", "title": p.Title,
		"_links": map[string]any{
			"webui": "/spaces/" + p.SpaceKey + "/pages/" + p.ID + "/" + strings.ReplaceAll(p.Title, " ", "+"),
			"self":  s.URL + "/wiki/rest/api/content/" + p.ID,
		},
		"_expandable": map[string]any{},
	}
	if expand["space"] {
		name := p.SpaceName
		if name == "" {
			name = p.SpaceKey
		}
		m["space"] = map[string]any{"id": 98304, "key": p.SpaceKey, "name": name, "type": "global", "status": "current"}
	}
	if expand["version"] {
		m["version"] = map[string]any{"by": person(p.Author), "when": p.LastModified.Format(TimeLayout), "number": p.Version, "minorEdit": false}
	}
	if expand["history"] {
		m["history"] = map[string]any{"latest": true, "createdBy": person(p.CreatedBy), "createdDate": p.Created.Format(TimeLayout)}
	}
	if expand["body.storage"] {
		m["body"] = map[string]any{"storage": map[string]any{"value": p.Body, "representation": "storage"}}
	}
	return m
}

// statusWriter records the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// cql is a parsed query.
type cql struct {
	clauses []func(*Page) bool
	order   string
	desc    bool
	loc     *time.Location
}

var (
	orderRE  = regexp.MustCompile(`(?i)\s+order\s+by\s+(\w+)(?:\s+(asc|desc))?\s*$`)
	andRE    = regexp.MustCompile(`(?i)\s+and\s+`)
	clauseRE = regexp.MustCompile(`(?i)^(type|space|title|lastmodified|created)\s*(!=|>=|<=|=|>|<|\s+in\s+)\s*(.+)$`)
)

func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func parseCQL(src string, loc *time.Location) (*cql, error) {
	q := &cql{order: "id", loc: loc}
	if m := orderRE.FindStringSubmatch(src); m != nil {
		q.order = strings.ToLower(m[1])
		q.desc = strings.EqualFold(m[2], "desc")
		switch q.order {
		case "lastmodified", "created", "title", "id":
		default:
			return nil, fmt.Errorf("order by %s", q.order)
		}
		src = src[:len(src)-len(m[0])]
	}
	for _, part := range andRE.Split(strings.TrimSpace(src), -1) {
		part = strings.TrimSpace(part)
		for strings.HasPrefix(part, "(") && strings.HasSuffix(part, ")") {
			part = strings.TrimSpace(part[1 : len(part)-1])
		}
		m := clauseRE.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("clause %q", part)
		}
		field, op, val := strings.ToLower(m[1]), strings.ToLower(strings.TrimSpace(m[2])), strings.TrimSpace(m[3])
		switch field {
		case "type", "space", "title":
			var set []string
			if op == "in" {
				if !strings.HasPrefix(val, "(") || !strings.HasSuffix(val, ")") {
					return nil, fmt.Errorf("in list %q", val)
				}
				for _, v := range strings.Split(val[1:len(val)-1], ",") {
					set = append(set, unquote(v))
				}
			} else if op == "=" || op == "!=" {
				set = []string{unquote(val)}
			} else {
				return nil, fmt.Errorf("operator %s on %s", op, field)
			}
			get := map[string]func(*Page) string{
				"type":  func(p *Page) string { return p.Type },
				"space": func(p *Page) string { return p.SpaceKey },
				"title": func(p *Page) string { return p.Title },
			}[field]
			neg := op == "!="
			q.clauses = append(q.clauses, func(p *Page) bool {
				return slices.ContainsFunc(set, func(v string) bool { return strings.EqualFold(v, get(p)) }) != neg
			})
		default:
			t, err := parseDate(unquote(val), loc)
			if err != nil {
				return nil, err
			}
			get := func(p *Page) time.Time { return p.LastModified }
			if field == "created" {
				get = func(p *Page) time.Time { return p.Created }
			}
			cmp := op
			q.clauses = append(q.clauses, func(p *Page) bool {
				v := minute(get(p), loc)
				switch cmp {
				case "=":
					return v.Equal(t)
				case "!=":
					return !v.Equal(t)
				case ">":
					return v.After(t)
				case ">=":
					return !v.Before(t)
				case "<":
					return v.Before(t)
				case "<=":
					return !v.After(t)
				}
				return false
			})
		}
	}
	return q, nil
}

// minute truncates t to the start of its minute in loc.
func minute(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, loc)
}

func parseDate(v string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04", "2006/01/02 15:04", "2006-01-02", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q", v)
}

func (q *cql) match(p *Page) bool {
	for _, c := range q.clauses {
		if !c(p) {
			return false
		}
	}
	return true
}

func (q *cql) less(a, b *Page) int {
	c := 0
	switch q.order {
	case "lastmodified":
		c = a.LastModified.Compare(b.LastModified)
	case "created":
		c = a.Created.Compare(b.Created)
	case "title":
		c = strings.Compare(a.Title, b.Title)
	}
	if c == 0 {
		ai, _ := strconv.Atoi(a.ID)
		bi, _ := strconv.Atoi(b.ID)
		c = ai - bi
	}
	if q.desc {
		c = -c
	}
	return c
}

// Seed returns n deterministic pages of space for tests and examples. Page
// i is modified at start + i*40s plus a few milliseconds, so that pages
// share minutes, and every tenth shares its predecessor's exact time (a
// tie); times rotate through offsets (UTC, +05:30, -03:30, +01:00). Bodies
// are storage-format XHTML with a heading, a paragraph with entities and a
// list.
func Seed(space string, n int, start time.Time) []Page {
	zones := []*time.Location{time.UTC, time.FixedZone("IST", 5*3600+1800), time.FixedZone("NST", -3*3600-1800), time.FixedZone("CET", 3600)}
	authors := []string{"Alice Example", "Bob Example", "Carol Example"}
	out := make([]Page, 0, n)
	var prev time.Time
	for i := range n {
		at := start.Add(time.Duration(i)*40*time.Second + time.Duration(i*37%1000)*time.Millisecond)
		if i%10 == 9 {
			at = prev
		}
		prev = at
		out = append(out, Page{
			ID: strconv.Itoa(100001 + i), SpaceKey: space, SpaceName: space + " space",
			Title: fmt.Sprintf("Seeded page %d", i+1), Version: i%3 + 1,
			LastModified: at.In(zones[i%len(zones)]), Author: authors[i%len(authors)],
			Created: at.Add(-time.Duration(i%48+1) * time.Hour), CreatedBy: authors[(i+1)%len(authors)],
			Body: fmt.Sprintf("<h2>Page %d</h2><p>Notes &amp; decisions for page %d.</p><ul><li><p>first</p></li><li>second</li></ul>", i+1, i+1),
		})
	}
	return out
}
