// Package githubtest runs an in-process fake of GitHub's REST API for a
// repository's issues, for tests and examples, in the manner of
// net/http/httptest:
//
//	srv := githubtest.NewServer()
//	defer srv.Close()
//	srv.RequireToken("ghp_test")
//	srv.Put(githubtest.Seed("octo/hello", 250, start)...)
//
//	out, err := github.FetchIssues(ctx, github.FetchInput{
//		BaseURL: srv.URL, Token: "ghp_test", Owner: "octo", Repo: "hello",
//	})
//
// It serves GET /repos/{owner}/{repo}/issues at the root (as api.github.com)
// and under /api/v3 (as GitHub Enterprise Server; EnterpriseURL), following
// the documented behaviour: state (open, closed, all; default open), sort
// (created, updated, comments; default created), direction (asc, desc;
// default desc), since (ISO 8601, compared at second precision and
// inclusive: an issue updated in the since second is returned), per_page
// (default 30, at most 100) and page (default 1), paginated by a Link
// header with first, prev, next and last; pull requests are listed with a
// "pull_request" key; timestamps are rendered in UTC as
// 2026-03-01T09:00:00Z; ties are ordered by number.
//
// Every response carries x-ratelimit-limit, -remaining, -used, -reset and
// -resource headers. The budget (SetRateLimit) falls by one per request
// and refills at the reset time (by the server clock, SetClock); a request
// with none left gets 403 "API rate limit exceeded" with
// x-ratelimit-remaining: 0. Errors have GitHub's body
// {"message": ..., "documentation_url": ...}: 401 "Bad credentials"
// (RequireToken), 404 "Not Found" (unknown repository or path), 422
// "Validation Failed" (a bad state, sort, direction or since) and 400 for an
// unsupported X-GitHub-Api-Version. Faults: FailNext (any status, with
// retry-after) and FailSecondary (403 secondary rate limit with
// retry-after). Mutations: Put and Delete at any time, and OnRequest, which
// runs before each request is answered (to change issues between pages).
package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Issue is an issue or pull request stored in the fake.
type Issue struct {
	// Repo is "owner/name"; default DefaultRepo.
	Repo string
	// Number is the issue number; assigned by Put when 0.
	Number int
	// ID is the global id; assigned by Put when 0.
	ID int64
	// Title is the title.
	Title string
	// Body is the Markdown body; "" renders as null.
	Body string
	// State is "open" (default) or "closed".
	State string
	// StateReason is rendered as state_reason; "" as null.
	StateReason string
	// PullRequest makes the item a pull request.
	PullRequest bool
	// Labels are label names.
	Labels []string
	// Assignees are logins.
	Assignees []string
	// Milestone is the milestone's title; "" renders as null.
	Milestone string
	// User is the author's login; default "octocat".
	User string
	// Comments is the number of comments.
	Comments int
	// Created defaults to Updated.
	Created time.Time
	// Updated defaults to the server clock at Put; rendered in UTC at
	// second precision.
	Updated time.Time
	// Closed is rendered as closed_at; the zero time as null.
	Closed time.Time
}

// Request is one request the server received.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path.
	Path string
	// Query is the query string.
	Query url.Values
	// Auth is the Authorization scheme: "Bearer", "token" or "".
	Auth string
	// Accept is the Accept header.
	Accept string
	// APIVersion is the X-GitHub-Api-Version header.
	APIVersion string
	// Status is the HTTP status of the response.
	Status int
	// Issues is the number of issues returned.
	Issues int
}

// DefaultRepo is the repository of issues put without Repo.
const DefaultRepo = "octo/hello"

// TimeLayout is how timestamps are rendered.
const TimeLayout = "2006-01-02T15:04:05Z"

// Server is a fake GitHub API. Its methods may be called concurrently with
// requests.
type Server struct {
	// URL is the API root as on api.github.com, such as http://127.0.0.1:41234.
	URL string
	// EnterpriseURL is the API root as on GitHub Enterprise Server: URL + "/api/v3".
	EnterpriseURL string

	srv *httptest.Server

	mu         sync.Mutex
	issues     map[string]map[int]*Issue // repo (lower case) -> number -> issue
	nextID     int64
	tokens     map[string]bool
	limit      int
	remaining  int
	reset      time.Time
	now        func() time.Time
	failN      int
	failStatus int
	failAfter  string
	secondaryN int
	secondaryA string
	onRequest  func(Request)
	requests   []Request
}

// NewServer starts a fake with a budget of 5000 requests an hour. Close it
// when done.
func NewServer() *Server {
	s := &Server{issues: make(map[string]map[int]*Issue), nextID: 1000000, now: time.Now, limit: 5000, remaining: 5000}
	s.reset = s.now().Add(time.Hour).Truncate(time.Second)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	s.EnterpriseURL = s.srv.URL + "/api/v3"
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Put adds issues, or replaces those with the same repository and number
// (keeping their ids).
func (s *Server) Put(issues ...Issue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, is := range issues {
		if is.Repo == "" {
			is.Repo = DefaultRepo
		}
		repo := strings.ToLower(is.Repo)
		m := s.issues[repo]
		if m == nil {
			m = make(map[int]*Issue)
			s.issues[repo] = m
		}
		if is.Number == 0 {
			is.Number = len(m) + 1
			for m[is.Number] != nil {
				is.Number++
			}
		}
		if old, ok := m[is.Number]; ok && is.ID == 0 {
			is.ID = old.ID
		}
		if is.ID == 0 {
			s.nextID++
			is.ID = s.nextID
		}
		if is.Updated.IsZero() {
			is.Updated = s.now()
		}
		if is.Created.IsZero() {
			is.Created = is.Updated
		}
		is.Labels, is.Assignees = slices.Clone(is.Labels), slices.Clone(is.Assignees)
		m[is.Number] = &is
	}
}

// Get returns the issue repo#number, if any.
func (s *Server) Get(repo string, number int) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[strings.ToLower(repo)][number]
	if !ok {
		return Issue{}, false
	}
	return *is, true
}

// Delete removes issues of repo by number.
func (s *Server) Delete(repo string, numbers ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range numbers {
		delete(s.issues[strings.ToLower(repo)], n)
	}
}

// RequireToken makes the server accept this token (and any required
// before) as "Bearer" or "token"; other requests get 401 Bad credentials.
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = make(map[string]bool)
	}
	s.tokens[token] = true
}

// SetRateLimit sets the budget: limit requests per window, remaining of
// them left until reset (then the budget refills to limit and the next
// window ends an hour later).
func (s *Server) SetRateLimit(limit, remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.remaining, s.reset = limit, remaining, reset.Truncate(time.Second)
}

// FailNext makes the next n requests fail with status (and a retry-after
// header when retryAfter is not empty).
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus, s.failAfter = n, status, retryAfter
}

// FailSecondary makes the next n requests hit a secondary rate limit: 403
// with retry-after (when not empty) and GitHub's message.
func (s *Server) FailSecondary(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secondaryN, s.secondaryA = n, retryAfter
}

// SetClock replaces the server clock (time.Now), used for the rate-limit
// window and for issues put without Updated.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
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

const docs = "https://docs.github.com/rest"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string, errs ...map[string]string) {
	body := map[string]any{"message": msg, "documentation_url": docs}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	writeJSON(w, status, body)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Accept: r.Header.Get("Accept"), APIVersion: r.Header.Get("X-GitHub-Api-Version")}
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
	rec.Issues = s.serve(sw, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) int {
	now := s.now()
	if !now.Before(s.reset) {
		s.remaining = s.limit
		s.reset = now.Add(time.Hour).Truncate(time.Second)
	}
	rateHeaders := func() {
		h := w.Header()
		h.Set("X-Ratelimit-Limit", strconv.Itoa(s.limit))
		h.Set("X-Ratelimit-Remaining", strconv.Itoa(s.remaining))
		h.Set("X-Ratelimit-Used", strconv.Itoa(s.limit-s.remaining))
		h.Set("X-Ratelimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
		h.Set("X-Ratelimit-Resource", "core")
	}
	if s.tokens != nil {
		_, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "token")) || !s.tokens[cred] {
			writeError(w, http.StatusUnauthorized, "Bad credentials")
			return 0
		}
	}
	if s.remaining <= 0 {
		rateHeaders()
		writeError(w, http.StatusForbidden, "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.")
		return 0
	}
	s.remaining--
	rateHeaders()
	if s.secondaryN > 0 {
		s.secondaryN--
		if s.secondaryA != "" {
			w.Header().Set("Retry-After", s.secondaryA)
		}
		writeError(w, http.StatusForbidden, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.")
		return 0
	}
	if s.failN > 0 {
		s.failN--
		if s.failAfter != "" {
			w.Header().Set("Retry-After", s.failAfter)
		}
		writeError(w, s.failStatus, http.StatusText(s.failStatus))
		return 0
	}
	if v := r.Header.Get("X-GitHub-Api-Version"); v != "" && v != "2022-11-28" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("API version %s is not supported.", v))
		return 0
	}
	prefix := ""
	path := r.URL.Path
	if strings.HasPrefix(path, "/api/v3/") {
		prefix, path = "/api/v3", strings.TrimPrefix(path, "/api/v3")
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) != 4 || parts[0] != "repos" || parts[3] != "issues" {
		writeError(w, http.StatusNotFound, "Not Found")
		return 0
	}
	repo, ok := s.issues[strings.ToLower(parts[1]+"/"+parts[2])]
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return 0
	}
	q := r.URL.Query()
	invalid := func(field string) int {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "Issue", "field": field, "code": "invalid"})
		return 0
	}
	state := q.Get("state")
	switch state {
	case "":
		state = "open"
	case "open", "closed", "all":
	default:
		return invalid("state")
	}
	sortBy := q.Get("sort")
	switch sortBy {
	case "":
		sortBy = "created"
	case "created", "updated", "comments":
	default:
		return invalid("sort")
	}
	dir := q.Get("direction")
	switch dir {
	case "":
		dir = "desc"
	case "asc", "desc":
	default:
		return invalid("direction")
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return invalid("since")
		}
		since = t.Truncate(time.Second)
	}
	perPage := 30
	if v := q.Get("per_page"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			perPage = min(n, 100)
		}
	}
	page := 1
	if v := q.Get("page"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			page = n
		}
	}

	var hits []*Issue
	for _, is := range repo {
		if state != "all" && is.state() != state {
			continue
		}
		if !since.IsZero() && is.Updated.Truncate(time.Second).Before(since) {
			continue
		}
		hits = append(hits, is)
	}
	key := func(is *Issue) int64 {
		switch sortBy {
		case "updated":
			return is.Updated.Truncate(time.Second).Unix()
		case "comments":
			return int64(is.Comments)
		}
		return is.Created.Truncate(time.Second).Unix()
	}
	slices.SortFunc(hits, func(a, b *Issue) int {
		c := 0
		switch ka, kb := key(a), key(b); {
		case ka < kb:
			c = -1
		case ka > kb:
			c = 1
		default:
			return a.Number - b.Number
		}
		if dir == "desc" {
			c = -c
		}
		return c
	})
	last := max(1, (len(hits)+perPage-1)/perPage)
	start := min((page-1)*perPage, len(hits))
	end := min(start+perPage, len(hits))
	link := func(p int, rel string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<%s%s%s?%s>; rel="%s"`, s.URL, prefix, path, v.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	out := make([]map[string]any, 0, end-start)
	for _, is := range hits[start:end] {
		out = append(out, s.render(is, prefix))
	}
	writeJSON(w, http.StatusOK, out)
	return len(out)
}

func (is *Issue) state() string {
	if is.State == "" {
		return "open"
	}
	return is.State
}

func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func user(login string) map[string]any {
	return map[string]any{"login": login, "id": len(login) * 1000, "type": "User", "site_admin": false}
}

func (s *Server) render(is *Issue, prefix string) map[string]any {
	api := s.URL + prefix + "/repos/" + is.Repo + "/issues/" + strconv.Itoa(is.Number)
	labels := make([]any, 0, len(is.Labels))
	for i, l := range is.Labels {
		labels = append(labels, map[string]any{"id": i + 1, "name": l, "color": "ededed", "default": false, "description": nil})
	}
	assignees := make([]any, 0, len(is.Assignees))
	for _, a := range is.Assignees {
		assignees = append(assignees, user(a))
	}
	author := is.User
	if author == "" {
		author = "octocat"
	}
	m := map[string]any{
		"id": is.ID, "node_id": fmt.Sprintf("I_kw%d", is.ID), "number": is.Number,
		"url": api, "html_url": "https://github.com/" + is.Repo + "/issues/" + strconv.Itoa(is.Number),
		"title": is.Title, "body": orNull(is.Body), "state": is.state(), "state_reason": orNull(is.StateReason),
		"locked": false, "comments": is.Comments, "labels": labels, "assignees": assignees,
		"assignee": nil, "milestone": nil, "user": user(author), "author_association": "OWNER",
		"created_at": is.Created.UTC().Format(TimeLayout), "updated_at": is.Updated.UTC().Format(TimeLayout),
		"closed_at": nil,
	}
	if len(is.Assignees) > 0 {
		m["assignee"] = user(is.Assignees[0])
	}
	if is.Milestone != "" {
		m["milestone"] = map[string]any{"title": is.Milestone, "number": 1, "state": "open"}
	}
	if !is.Closed.IsZero() {
		m["closed_at"] = is.Closed.UTC().Format(TimeLayout)
	}
	if is.PullRequest {
		n := strconv.Itoa(is.Number)
		m["pull_request"] = map[string]any{
			"url":      s.URL + prefix + "/repos/" + is.Repo + "/pulls/" + n,
			"html_url": "https://github.com/" + is.Repo + "/pull/" + n,
			"diff_url": "https://github.com/" + is.Repo + "/pull/" + n + ".diff", "merged_at": nil,
		}
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

// Seed returns n deterministic issues #1..#n of repo for tests and
// examples. Issue i is updated at start + i*90s, except that every tenth
// shares its predecessor's second (a tie at a cursor boundary); every fifth
// is a pull request, every third is closed, and labels, assignees and
// milestones vary (some empty).
func Seed(repo string, n int, start time.Time) []Issue {
	labelSets := [][]string{nil, {"bug"}, {"enhancement", "good first issue"}}
	people := [][]string{nil, {"alice"}, {"alice", "bob"}}
	out := make([]Issue, 0, n)
	var prev time.Time
	for i := range n {
		updated := start.Add(time.Duration(i) * 90 * time.Second)
		if i%10 == 9 {
			updated = prev
		}
		prev = updated
		is := Issue{
			Repo: repo, Number: i + 1, Title: fmt.Sprintf("Seeded issue %d", i+1),
			PullRequest: i%5 == 4, Labels: labelSets[i%len(labelSets)], Assignees: people[i%len(people)],
			User: "octocat", Comments: i % 4, Created: updated.Add(-time.Duration(i%48+1) * time.Hour), Updated: updated,
		}
		if i%2 == 0 {
			is.Body = fmt.Sprintf("Steps to reproduce issue %d.", i+1)
		}
		if i%4 == 1 {
			is.Milestone = "v1.0"
		}
		if i%3 == 2 {
			is.State, is.StateReason, is.Closed = "closed", "completed", updated
		}
		out = append(out, is)
	}
	return out
}
