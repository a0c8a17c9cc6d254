// Package jiratest runs an in-process fake of Jira Cloud's issue search API
// for tests and examples, in the manner of net/http/httptest:
//
//	srv := jiratest.NewServer()
//	defer srv.Close()
//	srv.RequireBasic("bot@example.com", "token")
//	srv.Put(jiratest.Seed(250, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))...)
//
//	out, err := jira.FetchIssues(ctx, jira.FetchInput{
//		BaseURL: srv.URL, Email: "bot@example.com", APIToken: "token",
//		JQL: "project = PLAT AND updated >= 0 ORDER BY updated ASC, key ASC",
//	})
//
// and, in a flow spec run against it (the URL comes from the environment):
//
//	[step.with]
//	BaseURL = "${env.JIRA_BASE_URL}"
//	JQL     = "project = PLAT AND updated >= ${cursor.jira_sync} ORDER BY updated ASC, key ASC"
//
// It follows the behaviour documented for GET and POST /rest/api/3/search/jql:
// maxResults defaults to 50 and must be 1..5000; only the requested fields
// are returned (id, key and self by default); pages are capped at 100 issues
// when more than a few fields are requested; pagination is by opaque
// nextPageToken and isLast, without total or startAt; unbounded JQL and
// unknown syntax are rejected with Jira's 400 error body; the removed
// /rest/api/3/search answers 410 Gone. Timestamps are rendered as Jira does
// (2026-03-01T09:46:08.304+0530), in the offset of each issue's time.Time.
//
// The clauses: project = KEY, key = KEY-1 (also !=),
// updated/created compared (=, !=, >, >=, <, <=) with an epoch-milliseconds
// number (exact) or a quoted "yyyy-MM-dd HH:mm" date read in the profile
// time zone (SetTimeZone; default UTC) at minute precision, joined with AND;
// ORDER BY updated, created or key, ASC or DESC. Without ORDER BY, issues
// are ordered by key.
//
// The JQL subset: restrictions joined with AND, OR, NOT and parentheses.
// A query ordered by updated ascending is answered by binary search in a
// store kept in that order, and its nextPageToken is a position in that
// store: an issue that changes moves to the end and shifts later positions
// by one, as an offset would, so a client that follows the tokens while the
// source changes skips issues (the behaviour jira.FetchPage's seek walk is
// built to survive). Other orders sort the matches for every page: fine for
// thousands of issues, slow for a million.
//
// Faults: RequireBasic/RequireBearer (401 otherwise), FailNext (status and
// Retry-After for the next n requests), SetFaults (a fraction of search
// requests answered 503 or 429 with Retry-After, dropped, held until the
// client gives up, or answered 200 with an HTML page) and SetIndexLag
// (recently updated issues are not yet searchable, as with Jira's
// eventually consistent index).
//
// Changing the source while it is served: Update (new Updated = now, always
// later than every issue's), Create, Move (to another project: a new key,
// out of a project-restricted query), Put, Delete, and BeforeSearch, a hook
// run before each search request, to change the source between pages.
// Counts returns request counters by kind.
//
// Scale: Generate(n, start) serves Seed(n, start) without holding it: about
// 50 bytes per issue (50 MB for 1,000,000), each issue built when served;
// a page of a seek query takes about 1 ms at that size.
//
// # Control endpoint
//
// For a fake in another process (the jirafake command:
// go run ./runtime/jira/jiratest/cmd/jirafake -issues 100000), the server
// also answers, under /_fake/ (JSON out; errors as 404 text):
//
//	GET  /_fake/counts                    the Counts
//	POST /_fake/counts                    the Counts, then reset them (and the request log)
//	POST /_fake/faults                    body: Faults as JSON, such as {"server_error":0.1,"rate_limit":0.05,"retry_after":"1","drop":0.02,"hang":0.01,"html":0.01,"seed":1}
//	POST /_fake/update?key=PLAT-7[&summary=S]    Update; the issue
//	POST /_fake/create?project=PLAT[&summary=S]  Create; the issue
//	POST /_fake/move?key=PLAT-7&project=OTHER    Move; the issue under its new key
//	POST /_fake/delete?key=PLAT-7
//	POST /_fake/mutate?n=5&seed=1[&to=OTHER]     Mutate: n random updates, creations (and moves to project to)
//	GET  /_fake/dump                      every issue, one DumpedIssue JSON object per line, by updated then key
package jiratest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Issue is an issue stored in the fake. Its fields mirror Jira's JSON.
type Issue struct {
	// ID is the numeric id; assigned by Put when empty.
	ID string
	// Key is the issue key, such as "PLAT-7"; the project key is the part
	// before the last dash.
	Key string
	// ProjectName is the project's name; defaults to the project key.
	ProjectName string
	// Summary is the title.
	Summary string
	// Status is the status name; default "To Do".
	Status string
	// StatusCategory is "new", "indeterminate" or "done"; derived from
	// Status when empty.
	StatusCategory string
	// Priority is the priority name; "" renders as null.
	Priority string
	// IssueType is the issue type name; default "Task".
	IssueType string
	// Assignee is the assignee; nil renders as null.
	Assignee *User
	// Created is the creation time; defaults to Updated.
	Created time.Time
	// Updated is the last update, rendered in its own offset; defaults to
	// the server clock at Put.
	Updated time.Time
	// Labels are the labels.
	Labels []string
	// StoryPoints is rendered under the story points field; nil as null.
	StoryPoints *float64
	// Description is an ADF document (see Doc), a string, or nil (null).
	Description any
	// Fields holds further fields by id (custom fields), rendered as JSON.
	Fields map[string]any
}

// User is an assignee.
type User struct {
	// AccountID is the Atlassian account id.
	AccountID string
	// DisplayName is the user's name as shown in Jira.
	DisplayName string
	// EmailAddress is the email; "" renders as null (hidden for privacy).
	EmailAddress string
}

// Request is one request the server received.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path, such as /rest/api/3/search/jql.
	Path string
	// JQL is the jql parameter (query string or POST body).
	JQL string
	// MaxResults is the maxResults parameter as sent; "" when absent.
	MaxResults string
	// Fields is the fields parameter, comma-joined.
	Fields string
	// NextPageToken is the nextPageToken parameter; "" for a first page.
	NextPageToken string
	// Auth is the authorization scheme used: "Basic", "Bearer" or "".
	Auth string
	// Status is the HTTP status of the response.
	Status int
	// Issues is the number of issues returned.
	Issues int
}

// Server is a fake Jira site. Its methods may be called concurrently with
// requests.
type Server struct {
	// URL is the base URL of the site, such as http://127.0.0.1:41234.
	URL string

	srv    *httptest.Server
	closed chan struct{} // closed by Close: hanging responses end

	mu         sync.Mutex
	store      store
	basic      map[string]bool // base64 email:token
	bearer     map[string]bool
	failN      int
	failStatus int
	failAfter  string
	faults     Faults
	rng        *rand.Rand
	lag        time.Duration
	loc        *time.Location
	now        func() time.Time
	lastTick   int64 // the last Updated given by a mutation, epoch ms
	spField    string
	requests   []Request
	logOff     bool
	counts     Counts
	hook       func(n int, r Request)
	searches   int // search requests seen by the hook
}

// FieldsPageCap is the page size cap applied when more than
// ManyFields fields (or *all / *navigable) are requested.
const (
	FieldsPageCap = 100
	ManyFields    = 3
)

// NewServer starts a fake Jira site on a loopback port. Close it when done.
func NewServer() *Server {
	s := newServer()
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	return s
}

// Listen starts a fake Jira site on addr, such as "127.0.0.1:0" or
// ":8080". Close it when done.
func Listen(addr string) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := newServer()
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	s.URL = s.srv.URL
	return s, nil
}

func newServer() *Server {
	return &Server{
		store:   newStore(),
		closed:  make(chan struct{}),
		loc:     time.UTC,
		now:     time.Now,
		spField: "customfield_10016",
		rng:     rand.New(rand.NewPCG(1, 2)),
	}
}

// Close shuts the server down, ending hanging responses first.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Put adds issues, or replaces the issues with the same keys (keeping their
// ids). An issue without Updated gets the server clock's time.
func (s *Server) Put(issues ...Issue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, is := range issues {
		if old, ok := s.store.get(is.Key); ok {
			if is.ID == "" {
				is.ID = old.ID
			}
			s.store.remove(is.Key)
		}
		if is.Updated.IsZero() {
			is.Updated = s.now()
		}
		if is.Created.IsZero() {
			is.Created = is.Updated
		}
		is.Labels = slices.Clone(is.Labels)
		s.store.put(&is)
	}
}

// Generate adds the issues Seed(n, start) would return (PLAT-1..PLAT-n),
// without holding them in memory: each is built from its number when it is
// served, so that a fake of 1,000,000 issues costs about 50 MB. Call it on
// a server without PLAT issues. A generated issue that is changed (Put,
// Update, Move, Delete) is from then on held like any other.
func (s *Server) Generate(n int, start time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store.generate(n, start)
}

// Delete removes issues by key.
func (s *Server) Delete(keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		s.store.remove(k)
	}
}

// Len returns the number of issues held (generated or not).
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.store.recs)
}

// tick returns the Updated time for a mutation: the server clock, but
// always after every Updated in the store and every earlier tick, so that
// a change always moves an issue to the end of an updated-ordered search,
// as it does in Jira.
func (s *Server) tick() time.Time {
	ms := s.now().UnixMilli()
	if n := len(s.store.recs); n > 0 {
		ms = max(ms, s.store.recs[n-1].upd+1)
	}
	ms = max(ms, s.lastTick+1)
	s.lastTick = ms
	return time.UnixMilli(ms).UTC()
}

// Update changes the issue with this key as a user would: change (if not
// nil) edits it (but not its key: see Move), then its Updated becomes now (see tick: strictly later than
// any issue's). It returns the changed issue.
func (s *Server) Update(key string, change func(*Issue)) (Issue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.store.get(key)
	if !ok {
		return Issue{}, fmt.Errorf("jiratest: no issue %s", key)
	}
	s.store.remove(key)
	if change != nil {
		k := is.Key
		change(&is)
		is.Key = k // a key changes only by Move
	}
	is.Updated = s.tick()
	is.Labels = slices.Clone(is.Labels)
	s.store.put(&is)
	return is, nil
}

// Create adds a new issue in project (the next free number), with this
// summary, created and updated now.
func (s *Server) Create(project, summary string) Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.tick()
	is := Issue{Key: fmt.Sprintf("%s-%d", project, s.store.nextNum(project)), Summary: summary, Created: now, Updated: now}
	s.store.put(&is)
	return is
}

// Move moves the issue with this key to another project, as Jira does: it
// gets a new key there (the next free number) and keeps its id; its Updated
// becomes now. A search restricted to the old project no longer finds it.
func (s *Server) Move(key, project string) (Issue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.store.get(key)
	if !ok {
		return Issue{}, fmt.Errorf("jiratest: no issue %s", key)
	}
	s.store.remove(key)
	is.Key = fmt.Sprintf("%s-%d", project, s.store.nextNum(project))
	is.ProjectName = ""
	is.Updated = s.tick()
	is.Labels = slices.Clone(is.Labels)
	s.store.put(&is)
	return is, nil
}

// Get returns the issue with this key.
func (s *Server) Get(key string) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.get(key)
}

// Each calls fn for every issue, ordered by Updated then key, until fn
// returns false. fn must not call the server's methods.
func (s *Server) Each(fn func(Issue) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.store.recs {
		if !fn(s.store.issue(&s.store.recs[i])) {
			return
		}
	}
}

// BeforeSearch sets a hook called at the start of every request to the
// search API, before it is answered (and before faults are applied), with
// the number of search requests before it (0 for the first) and the
// request's parameters. It runs without the server's lock, so it may
// change issues (Update, Create, Move, Put, Delete): tests use it to change
// the source between the pages of a walk. nil removes the hook.
func (s *Server) BeforeSearch(fn func(n int, r Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = fn
}

// RequireBasic makes the server accept HTTP Basic authentication with this
// email and API token (and any other credentials required before); other
// requests get 401.
func (s *Server) RequireBasic(email, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.basic == nil {
		s.basic = make(map[string]bool)
	}
	s.basic[base64.StdEncoding.EncodeToString([]byte(email+":"+token))] = true
}

// RequireBearer makes the server accept this Bearer token (and any other
// credentials required before); other requests get 401.
func (s *Server) RequireBearer(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bearer == nil {
		s.bearer = make(map[string]bool)
	}
	s.bearer[token] = true
}

// FailNext makes the next n requests fail with status, with a Retry-After
// header when retryAfter is not empty (such as "2").
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus, s.failAfter = n, status, retryAfter
}

// SetIndexLag hides issues updated within the last d (by the server clock)
// from searches, as Jira's eventually consistent index may.
func (s *Server) SetIndexLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = d
}

// SetTimeZone sets the searching user's profile time zone, in which JQL date
// literals are read. The default is UTC.
func (s *Server) SetTimeZone(loc *time.Location) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loc = loc
}

// SetClock replaces the server clock (time.Now), used by SetIndexLag, for
// issues put without an Updated time and by mutations.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetStoryPointsField sets the field id under which StoryPoints is rendered;
// default "customfield_10016".
func (s *Server) SetStoryPointsField(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spField = id
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
	return s.counts.Requests
}

// ResetRequests clears the request log and the counts.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.counts = Counts{}
}

// LogRequests turns the request log (Requests) on or off; it is on by
// default. The counts are kept either way. Long benchmark runs turn it off.
func (s *Server) LogRequests(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logOff = !on
}

type errorBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msgs ...string) {
	writeJSON(w, status, errorBody{ErrorMessages: msgs, Errors: map[string]string{}})
}

// searchParams are the parameters of one search request.
type searchParams struct {
	JQL           string   `json:"jql"`
	MaxResults    *int     `json:"maxResults"`
	Fields        []string `json:"fields"`
	NextPageToken string   `json:"nextPageToken"`

	maxResultsText string
}

// ServeHTTP answers the search API, the removed search endpoint (410) and
// the control endpoint under /_fake/ (see the package doc).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimRight(r.URL.Path, "/")
	if strings.HasPrefix(path, "/_fake/") {
		s.control(w, r)
		return
	}
	rec := Request{Method: r.Method, Path: r.URL.Path}
	if scheme, _, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		rec.Auth = scheme
	}
	var p searchParams
	var badBody bool
	if path == "/rest/api/3/search/jql" {
		switch r.Method {
		case http.MethodGet:
			q := r.URL.Query()
			p.JQL = q.Get("jql")
			p.NextPageToken = q.Get("nextPageToken")
			p.maxResultsText = q.Get("maxResults")
			for _, f := range q["fields"] {
				p.Fields = append(p.Fields, strings.Split(f, ",")...)
			}
		case http.MethodPost:
			if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
				badBody = true
			}
			if p.MaxResults != nil {
				p.maxResultsText = strconv.Itoa(*p.MaxResults)
			}
		}
		rec.JQL, rec.MaxResults, rec.NextPageToken = p.JQL, p.maxResultsText, p.NextPageToken
		rec.Fields = strings.Join(p.Fields, ",")
		s.mu.Lock()
		hook, n := s.hook, s.searches
		s.searches++
		s.mu.Unlock()
		if hook != nil {
			hook(n, rec)
		}
	}

	s.mu.Lock()
	locked := true
	unlock := func() {
		if locked {
			locked = false
			s.mu.Unlock()
		}
	}
	defer unlock()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		rec.Status = sw.status
		s.counts.Requests++
		switch {
		case sw.status == http.StatusOK && rec.Path != "" && strings.HasSuffix(strings.TrimRight(rec.Path, "/"), "/search/jql"):
			s.counts.Pages++
			if rec.NextPageToken == "" {
				s.counts.FirstPages++
			}
			s.counts.Issues += rec.Issues
		case sw.status == http.StatusTooManyRequests:
			s.counts.RateLimited++
		case sw.status >= 500:
			s.counts.ServerErrors++
		case sw.status >= 400:
			s.counts.ClientErrors++
		}
		if !s.logOff {
			s.requests = append(s.requests, rec)
		}
	}()
	w = sw

	if s.failN > 0 {
		s.failN--
		if s.failAfter != "" {
			w.Header().Set("Retry-After", s.failAfter)
		}
		msg := http.StatusText(s.failStatus)
		if s.failStatus == http.StatusTooManyRequests {
			msg = "Rate limit exceeded."
		}
		writeError(w, s.failStatus, msg)
		return
	}
	if path == "/rest/api/3/search/jql" {
		switch s.pickFault() {
		case faultServer:
			if s.faults.RetryAfter != "" {
				w.Header().Set("Retry-After", s.faults.RetryAfter)
			}
			writeError(w, http.StatusServiceUnavailable, "Service Unavailable")
			return
		case faultRateLimit:
			ra := s.faults.RetryAfter
			if ra == "" {
				ra = "1"
			}
			w.Header().Set("Retry-After", ra)
			writeError(w, http.StatusTooManyRequests, "Rate limit exceeded.")
			return
		case faultHTML:
			s.counts.HTML++
			w.Header().Set("Content-Type", "text/html;charset=UTF-8")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "<!DOCTYPE html><html><head><title>Atlassian</title></head><body><p>Your site is temporarily unavailable.</p></body></html>\n")
			rec.Path = "" // not a page
			return
		case faultDrop:
			s.counts.Dropped++
			rec.Status = -1
			unlock()
			if hj, ok := sw.ResponseWriter.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			sw.status = -1
			s.mu.Lock()
			locked = true
			return
		case faultHang:
			s.counts.Hung++
			unlock()
			select {
			case <-r.Context().Done():
			case <-s.closed:
			}
			sw.status = -1
			s.mu.Lock()
			locked = true
			return
		}
	}
	switch path {
	case "/rest/api/3/search", "/rest/api/2/search":
		writeError(w, http.StatusGone, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
		return
	case "/rest/api/3/search/jql":
	default:
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "Client must be authenticated to access this resource.")
		return
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if badBody {
			writeError(w, http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	rec.Issues = s.search(w, &p)
}

func (s *Server) authorized(r *http.Request) bool {
	if s.basic == nil && s.bearer == nil {
		return true
	}
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		return s.basic[cred]
	case strings.EqualFold(scheme, "Bearer"):
		return s.bearer[cred]
	}
	return false
}

type pageToken struct {
	Query  string `json:"q"`
	Offset int    `json:"o"`
}

func queryHash(jql string) string {
	h := sha256.Sum256([]byte(jql))
	return hex.EncodeToString(h[:8])
}

func encodeToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

// search answers one search; it returns the number of issues returned.
//
// A query ordered by updated ascending (the store's order) is answered by
// binary search from its lower bound on updated, and its page token is a
// position in the store: an issue that changes (moves to the end) shifts
// the later positions by one, exactly like an offset into the results,
// which is the behaviour a client must survive. Other orders sort the
// matching issues for each page (fine for thousands of issues, slow for a
// million) and use offsets.
func (s *Server) search(w http.ResponseWriter, p *searchParams) int {
	maxResults := 50
	if p.maxResultsText != "" {
		n, err := strconv.Atoi(p.maxResultsText)
		if err != nil || n < 1 || n > 5000 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("The value '%s' is invalid for maxResults. It must be a number between 1 and 5000.", p.maxResultsText))
			return 0
		}
		maxResults = n
	}
	fields, all := requestedFields(p.Fields)
	if (all || len(fields) > ManyFields) && maxResults > FieldsPageCap {
		maxResults = FieldsPageCap
	}
	if strings.TrimSpace(p.JQL) == "" {
		writeError(w, http.StatusBadRequest, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
		return 0
	}
	q, err := parseJQL(p.JQL, s.loc)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return 0
	}
	if q.where == nil {
		writeError(w, http.StatusBadRequest, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
		return 0
	}
	offset := 0
	if p.NextPageToken != "" {
		var t pageToken
		b, err := base64.RawURLEncoding.DecodeString(p.NextPageToken)
		if err == nil {
			err = json.Unmarshal(b, &t)
		}
		if err != nil || t.Offset < 0 {
			writeError(w, http.StatusBadRequest, "The provided nextPageToken is invalid.")
			return 0
		}
		if t.Query != queryHash(p.JQL) {
			writeError(w, http.StatusBadRequest, "The provided nextPageToken was issued for a different query. Repeat the original JQL with this token, or start again without one.")
			return 0
		}
		offset = t.Offset
	}

	st := &s.store
	cutoff := int64(-1 << 63)
	if s.lag > 0 {
		cutoff = s.now().Add(-s.lag).UnixMilli()
	}
	visible := func(r *rec) bool {
		if s.lag > 0 && r.upd > cutoff {
			return false
		}
		f := st.fieldsOf(r, q.needKey)
		return q.where.match(&f)
	}
	var page []*rec
	next := -1 // the token's offset for the next page; -1 on the last page
	if q.seekOrder() {
		pos := offset
		if p.NextPageToken == "" {
			if lb, ok := q.where.lowerBound(); ok {
				pos, _ = slices.BinarySearchFunc(st.recs, lb, func(r rec, ms int64) int { return cmpInt(r.upd, ms) })
			}
		}
		for ; pos < len(st.recs); pos++ {
			r := &st.recs[pos]
			if !visible(r) {
				continue
			}
			if len(page) == maxResults {
				next = pos
				break
			}
			page = append(page, r)
		}
	} else {
		var hits []*rec
		var fs []matchFields
		for i := range st.recs {
			if r := &st.recs[i]; visible(r) {
				hits = append(hits, r)
			}
		}
		fs = make([]matchFields, len(hits))
		for i, r := range hits {
			fs[i] = st.fieldsOf(r, true)
		}
		idx := make([]int, len(hits))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return q.less(&fs[a], &fs[b]) })
		end := min(offset+maxResults, len(hits))
		for _, i := range idx[min(offset, len(hits)):end] {
			page = append(page, hits[i])
		}
		if end < len(hits) {
			next = end
		}
	}
	resp := struct {
		Issues        []map[string]any `json:"issues"`
		NextPageToken string           `json:"nextPageToken,omitempty"`
		IsLast        bool             `json:"isLast"`
	}{Issues: make([]map[string]any, 0, len(page)), IsLast: next < 0}
	for _, r := range page {
		is := st.issue(r)
		resp.Issues = append(resp.Issues, s.render(&is, fields, all))
	}
	if next >= 0 {
		resp.NextPageToken = encodeToken(pageToken{Query: queryHash(p.JQL), Offset: next})
	}
	writeJSON(w, http.StatusOK, resp)
	return len(page)
}

// requestedFields returns the set of named fields, and whether all were
// requested (*all or *navigable).
func requestedFields(list []string) (map[string]bool, bool) {
	set := make(map[string]bool)
	all := false
	for _, f := range list {
		f = strings.TrimSpace(f)
		switch {
		case f == "":
		case f == "*all" || f == "*navigable":
			all = true
		case strings.HasPrefix(f, "-"):
		default:
			set[f] = true
		}
	}
	return set, all
}

// TimeLayout is how the fake renders timestamps, as Jira does.
const TimeLayout = "2006-01-02T15:04:05.000-0700"

func statusCategory(is *Issue) (key, name string) {
	key = is.StatusCategory
	if key == "" {
		switch strings.ToLower(is.Status) {
		case "", "to do", "open", "backlog", "new":
			key = "new"
		case "done", "closed", "resolved":
			key = "done"
		default:
			key = "indeterminate"
		}
	}
	switch key {
	case "new":
		name = "To Do"
	case "done":
		name = "Done"
	default:
		name = "In Progress"
	}
	return key, name
}

// render returns the JSON object of an issue with the requested fields.
func (s *Server) render(is *Issue, fields map[string]bool, all bool) map[string]any {
	out := map[string]any{
		"id":   is.ID,
		"key":  is.Key,
		"self": s.URL + "/rest/api/3/issue/" + is.ID,
	}
	if !all && len(fields) == 0 {
		return out
	}
	want := func(name string) bool { return all || fields[name] }
	f := map[string]any{}
	if want("summary") {
		f["summary"] = is.Summary
	}
	if want("project") {
		pk := projectKey(is.Key)
		name := is.ProjectName
		if name == "" {
			name = pk
		}
		h := fnv.New32a()
		h.Write([]byte(pk))
		f["project"] = map[string]any{"id": strconv.Itoa(10000 + int(h.Sum32()%90000)), "key": pk, "name": name, "projectTypeKey": "software",
			"self": s.URL + "/rest/api/3/project/" + pk}
	}
	if want("status") {
		status := is.Status
		if status == "" {
			status = "To Do"
		}
		ck, cn := statusCategory(is)
		f["status"] = map[string]any{"name": status, "statusCategory": map[string]any{"key": ck, "name": cn}}
	}
	if want("priority") {
		if is.Priority == "" {
			f["priority"] = nil
		} else {
			f["priority"] = map[string]any{"name": is.Priority}
		}
	}
	if want("issuetype") {
		it := is.IssueType
		if it == "" {
			it = "Task"
		}
		f["issuetype"] = map[string]any{"name": it, "subtask": false}
	}
	if want("assignee") {
		if is.Assignee == nil {
			f["assignee"] = nil
		} else {
			u := map[string]any{"accountId": is.Assignee.AccountID, "displayName": is.Assignee.DisplayName, "active": true, "emailAddress": nil}
			if is.Assignee.EmailAddress != "" {
				u["emailAddress"] = is.Assignee.EmailAddress
			}
			f["assignee"] = u
		}
	}
	if want("created") {
		f["created"] = is.Created.Format(TimeLayout)
	}
	if want("updated") {
		f["updated"] = is.Updated.Format(TimeLayout)
	}
	if want("labels") {
		labels := is.Labels
		if labels == nil {
			labels = []string{}
		}
		f["labels"] = labels
	}
	if want("description") {
		f["description"] = is.Description
	}
	if want(s.spField) {
		if is.StoryPoints == nil {
			f[s.spField] = nil
		} else {
			f[s.spField] = *is.StoryPoints
		}
	}
	for k, v := range is.Fields {
		if want(k) {
			f[k] = v
		}
	}
	out["fields"] = f
	return out
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

// Doc returns an Atlassian Document Format document with one paragraph per
// argument, for Issue.Description.
func Doc(paragraphs ...string) map[string]any {
	content := make([]any, 0, len(paragraphs))
	for _, p := range paragraphs {
		para := map[string]any{"type": "paragraph"}
		if p != "" {
			para["content"] = []any{map[string]any{"type": "text", "text": p}}
		}
		content = append(content, para)
	}
	return map[string]any{"type": "doc", "version": 1, "content": content}
}
