package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/github/githubtest"
)

const token = "ghp_s3cr3tTOKENvalue"

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newServer(t *testing.T, n int) *githubtest.Server {
	t.Helper()
	srv := githubtest.NewServer()
	t.Cleanup(srv.Close)
	srv.RequireToken(token)
	srv.Put(githubtest.Seed("octo/hello", n, start)...)
	return srv
}

func input(srv *githubtest.Server) FetchInput {
	return FetchInput{BaseURL: srv.URL, Token: token, Owner: "octo", Repo: "hello"}
}

func numbers(items []Issue) []int {
	var ns []int
	for _, it := range items {
		ns = append(ns, it.Number)
	}
	return ns
}

func seq(from, to int) []int {
	var ns []int
	for i := from; i <= to; i++ {
		ns = append(ns, i)
	}
	return ns
}

func isPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

func retryAfter(err error) time.Duration {
	var r interface{ RetryAfter() time.Duration }
	if errors.As(err, &r) {
		return r.RetryAfter()
	}
	return 0
}

// fakeClock replaces the node's clock and sleep with a clock shared with
// the fake server; sleeping advances it. It returns the delays slept.
func fakeClock(t *testing.T, srv *githubtest.Server, at time.Time) *[]time.Duration {
	t.Helper()
	var mu sync.Mutex
	clock := at
	var slept []time.Duration
	get := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	oldNow, oldSleep := now, sleep
	now = get
	sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		clock = clock.Add(d)
		slept = append(slept, d)
		mu.Unlock()
		return ctx.Err()
	}
	srv.SetClock(get)
	t.Cleanup(func() { now, sleep = oldNow, oldSleep })
	return &slept
}

func TestFetchIssuesAllPages(t *testing.T) {
	srv := newServer(t, 25)
	in := input(srv)
	in.PageSize = 7
	out, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(out.Items); !reflect.DeepEqual(got, seq(1, 25)) || out.Pages != 4 || out.HasMore {
		t.Fatalf("numbers %v, %d pages, HasMore %v", got, out.Pages, out.HasMore)
	}
	if want := start.Add(24 * 90 * time.Second).UnixMilli(); out.MaxUpdated != want {
		t.Fatalf("MaxUpdated %d, want %d", out.MaxUpdated, want)
	}
	for i, r := range srv.Requests() {
		q := r.Query
		if r.Path != "/repos/octo/hello/issues" || r.Auth != "Bearer" || r.Accept != "application/vnd.github+json" || r.APIVersion != "2022-11-28" ||
			q.Get("state") != "all" || q.Get("sort") != "updated" || q.Get("direction") != "asc" || q.Get("per_page") != "7" || r.Status != 200 {
			t.Errorf("request %d = %+v", i, r)
		}
		if (i == 0) != (q.Get("since") == "") {
			t.Errorf("request %d since %q", i, q.Get("since"))
		}
	}
}

func TestDecodesFields(t *testing.T) {
	srv := newServer(t, 0)
	ist := time.FixedZone("IST", 5*3600+1800)
	srv.Put(
		githubtest.Issue{Number: 7, Title: "Fix login", Body: "It breaks.", State: "closed", StateReason: "completed",
			Labels: []string{"bug", "auth"}, Assignees: []string{"alice", "bob"}, Milestone: "v2", User: "carol", Comments: 3,
			Created: start.In(ist), Updated: start.Add(time.Hour).In(ist), Closed: start.Add(time.Hour)},
		githubtest.Issue{Number: 8, Title: "Add feature", PullRequest: true, Updated: start.Add(2 * time.Hour)},
	)
	out, err := FetchIssues(context.Background(), input(srv))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 2 {
		t.Fatalf("%d items", len(out.Items))
	}
	a, b := out.Items[0], out.Items[1]
	want := Issue{ID: a.ID, NodeID: a.NodeID, Number: 7, Repo: "octo/hello", Title: "Fix login", Body: "It breaks.",
		State: "closed", StateReason: "completed", Labels: []string{"bug", "auth"}, Assignees: []string{"alice", "bob"},
		Milestone: "v2", User: "carol", Comments: 3, Created: start, Updated: start.Add(time.Hour), Closed: start.Add(time.Hour),
		HTMLURL: "https://github.com/octo/hello/issues/7", URL: srv.URL + "/repos/octo/hello/issues/7"}
	if !reflect.DeepEqual(a, want) || a.ID == 0 {
		t.Fatalf("issue =\n%#v\nwant\n%#v", a, want)
	}
	if !b.IsPullRequest || a.IsPullRequest || b.Body != "" || b.Milestone != "" || b.Labels != nil || b.State != "open" || !b.Closed.IsZero() {
		t.Fatalf("pull request = %+v", b)
	}
	if out.MaxUpdated != start.Add(2*time.Hour).UnixMilli() {
		t.Fatalf("MaxUpdated %d", out.MaxUpdated)
	}
}

// Seed gives #9 and #10 the same second. A run stopped after #9 advances
// the cursor to that second; since is inclusive, so the next run reads #9
// again and #10, which an exclusive comparison would lose.
func TestSinceBoundaryTies(t *testing.T) {
	srv := newServer(t, 12)
	in := input(srv)
	in.PageSize, in.MaxPages = 9, 1
	first, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !first.HasMore || first.Items[8].Number != 9 || first.MaxUpdated != first.Items[8].Updated.UnixMilli() {
		t.Fatalf("first: HasMore %v numbers %v MaxUpdated %d", first.HasMore, numbers(first.Items), first.MaxUpdated)
	}
	in = input(srv)
	in.Since = strconv.FormatInt(first.MaxUpdated, 10)
	next, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(next.Items); !reflect.DeepEqual(got, seq(9, 12)) {
		t.Fatalf("next run %v, want 9..12", got)
	}
	if got := srv.Requests()[1].Query.Get("since"); got != first.Items[8].Updated.Format("2006-01-02T15:04:05Z") {
		t.Fatalf("since = %q", got)
	}
	// An RFC 3339 cursor in another offset means the same instant; a
	// millisecond cursor inside a second drops that second's issues.
	in.Since = first.Items[8].Updated.In(time.FixedZone("", -3*3600-1800)).Format(time.RFC3339)
	if rfc, err := FetchIssues(context.Background(), in); err != nil || !reflect.DeepEqual(numbers(rfc.Items), seq(9, 12)) {
		t.Fatalf("RFC 3339 cursor: %v %v", numbers(rfc.Items), err)
	}
	in.Since = strconv.FormatInt(first.MaxUpdated+1, 10)
	if later, err := FetchIssues(context.Background(), in); err != nil || !reflect.DeepEqual(numbers(later.Items), seq(11, 12)) {
		t.Fatalf("cursor + 1ms: %v %v", numbers(later.Items), err)
	}
}

// walk reads every page with FetchPage, calling between(i) before page i+1.
func walk(t *testing.T, in PageInput, between func(i int)) ([]Issue, []string) {
	t.Helper()
	var items []Issue
	var tokens []string
	for i := 0; ; i++ {
		p, err := FetchPage(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, p.Items...)
		if p.NextPageToken == "" {
			if p.HasMore {
				t.Fatal("HasMore without a token")
			}
			return items, tokens
		}
		if slices.Contains(tokens, p.NextPageToken) {
			t.Fatalf("token %d repeats", i)
		}
		tokens = append(tokens, p.NextPageToken)
		in.PageToken = p.NextPageToken
		if between != nil {
			between(i)
		}
	}
}

// An issue updated between pages moves to the end of an updated-ordered
// list, which shifts page numbers: following the Link header would skip
// the issue that slid onto the page already read. The seek token does not.
func TestFetchPageSurvivesUpdatesBetweenPages(t *testing.T) {
	srv := newServer(t, 20)
	in := PageInput{BaseURL: srv.URL, Token: token, Owner: "octo", Repo: "hello", PageSize: 5}
	items, _ := walk(t, in, func(i int) {
		if i == 0 {
			is, _ := srv.Get("octo/hello", 2)
			is.Title, is.Updated = "changed", start.Add(24*time.Hour)
			srv.Put(is)
		}
	})
	got := numbers(items)
	want := append(seq(1, 20), 2)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("numbers %v, want %v", got, want)
	}
	if items[len(items)-1].Title != "changed" {
		t.Fatalf("last = %+v", items[len(items)-1])
	}
	// The same change against page numbers (what the Link header gives)
	// loses #7: the proof that the fake shifts pages as GitHub does.
	srv2 := newServer(t, 20)
	var byPage []int
	for page := 1; page <= 4; page++ {
		resp, err := http.Get(fmt.Sprintf("%s/repos/octo/hello/issues?state=all&sort=updated&direction=asc&per_page=5&page=%d", srv2.URL, page))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 401 {
			resp.Body.Close()
			req, _ := http.NewRequest("GET", resp.Request.URL.String(), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			if resp, err = http.DefaultClient.Do(req); err != nil {
				t.Fatal(err)
			}
		}
		var list []struct{ Number int }
		json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		for _, it := range list {
			byPage = append(byPage, it.Number)
		}
		if page == 1 {
			is, _ := srv2.Get("octo/hello", 2)
			is.Updated = start.Add(24 * time.Hour)
			srv2.Put(is)
		}
	}
	if slices.Contains(byPage, 6) {
		t.Fatalf("page numbers did not shift: %v", byPage)
	}
}

// A token is a restartable position: used again after the data changed it
// still reads from where it stood.
func TestTokenRestartable(t *testing.T) {
	srv := newServer(t, 12)
	in := PageInput{BaseURL: srv.URL, Token: token, Owner: "octo", Repo: "hello", PageSize: 4}
	p1, err := FetchPage(context.Background(), in)
	if err != nil || !p1.HasMore {
		t.Fatal(p1, err)
	}
	srv.Put(githubtest.Issue{Number: 1, Title: "touched", Updated: start.Add(48 * time.Hour)})
	srv.Put(githubtest.Issue{Number: 50, Title: "new", Updated: start.Add(49 * time.Hour)})
	in.PageToken = p1.NextPageToken
	rest, _ := walk(t, in, nil)
	if got := numbers(rest); !reflect.DeepEqual(got, append(seq(5, 12), 1, 50)) {
		t.Fatalf("after restart %v", got)
	}
	// Tokens belong to their repository.
	in.Repo = "other"
	if _, err := FetchPage(context.Background(), in); !isPermanent(err) {
		t.Fatalf("foreign token: %v", err)
	}
	in.Repo, in.PageToken = "hello", "garbage!"
	if _, err := FetchPage(context.Background(), in); !isPermanent(err) {
		t.Fatalf("garbage token: %v", err)
	}
}

// More issues in one second than fit on a page: the seek cannot pass them,
// so the token follows the Link header through them.
func TestTieLargerThanPage(t *testing.T) {
	srv := newServer(t, 0)
	for i := 1; i <= 12; i++ {
		srv.Put(githubtest.Issue{Number: i, Updated: start.Add(time.Duration(min(i, 11)/4) * time.Second)})
	}
	srv.Put(githubtest.Issue{Number: 13, Updated: start}) // ties with 1..3
	in := PageInput{BaseURL: srv.URL, Token: token, Owner: "octo", Repo: "hello", PageSize: 3}
	items, tokens := walk(t, in, nil)
	got := numbers(items)
	slices.Sort(got)
	if !reflect.DeepEqual(got, seq(1, 13)) {
		t.Fatalf("numbers %v (tokens %d)", numbers(items), len(tokens))
	}
	out, err := FetchIssues(context.Background(), FetchInput{BaseURL: srv.URL, Token: token, Owner: "octo", Repo: "hello", PageSize: 3})
	if err != nil || !reflect.DeepEqual(out.Items, items) {
		t.Fatalf("FetchIssues %v %v", numbers(out.Items), err)
	}
}

func TestRateLimitWaitsForReset(t *testing.T) {
	srv := newServer(t, 30)
	at := start.Add(1000 * time.Hour)
	slept := fakeClock(t, srv, at)
	srv.SetRateLimit(8, 8, at.Add(40*time.Second))
	in := input(srv)
	in.PageSize, in.MaxRateLimitWait = 2, 2*time.Hour
	out, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 30 {
		t.Fatalf("%d items", len(out.Items))
	}
	// 8 per window, MinRemaining 5: 4 requests, then wait for the reset
	// (40s), 3 more (5 left after the reset), wait an hour, ...
	if len(*slept) == 0 || (*slept)[0] != 40*time.Second {
		t.Fatalf("slept %v", *slept)
	}
	for _, r := range srv.Requests() {
		if r.Status != 200 {
			t.Fatalf("a request hit the limit: %+v", r)
		}
	}
}

func TestRateLimitWaitTooLong(t *testing.T) {
	srv := newServer(t, 30)
	at := start.Add(2000 * time.Hour)
	slept := fakeClock(t, srv, at)
	srv.SetRateLimit(100, 6, at.Add(30*time.Minute))
	in := input(srv)
	in.PageSize = 2
	_, err := FetchIssues(context.Background(), in)
	if d := retryAfter(err); d != 30*time.Minute-0 || isPermanent(err) || len(*slept) != 0 {
		t.Fatalf("err %v RetryAfter %v slept %v", err, d, *slept)
	}
	if srv.RequestCount() != 2 {
		t.Fatalf("%d requests, want 2 (6 then 5 remaining)", srv.RequestCount())
	}
	// A deadline before the reset is not slept through either.
	in.MaxRateLimitWait = time.Hour
	ctx, cancel := context.WithDeadline(context.Background(), at.Add(10*time.Minute))
	defer cancel()
	if _, err := FetchIssues(ctx, in); retryAfter(err) == 0 {
		t.Fatalf("deadline: %v", err)
	}
}

func TestPrimaryLimitExhausted(t *testing.T) {
	srv := newServer(t, 5)
	at := start.Add(3000 * time.Hour)
	fakeClock(t, srv, at)
	srv.SetRateLimit(60, 0, at.Add(17*time.Minute))
	_, err := FetchIssues(context.Background(), input(srv))
	if d := retryAfter(err); d != 17*time.Minute || isPermanent(err) || !strings.Contains(err.Error(), "403 Forbidden: API rate limit exceeded") {
		t.Fatalf("err %v RetryAfter %v", err, d)
	}
}

func TestSecondaryLimit(t *testing.T) {
	srv := newServer(t, 5)
	srv.FailSecondary(1, "30")
	_, err := FetchIssues(context.Background(), input(srv))
	if d := retryAfter(err); d != 30*time.Second || isPermanent(err) || !strings.Contains(err.Error(), "secondary rate limit") {
		t.Fatalf("err %v RetryAfter %v", err, d)
	}
	srv.FailSecondary(1, "")
	_, err = FetchIssues(context.Background(), input(srv))
	if d := retryAfter(err); d != time.Minute {
		t.Fatalf("without retry-after: %v %v", err, d)
	}
	srv.FailNext(1, http.StatusTooManyRequests, "7")
	_, err = FetchIssues(context.Background(), input(srv))
	if d := retryAfter(err); d != 7*time.Second || isPermanent(err) {
		t.Fatalf("429: %v %v", err, d)
	}
	if srv.RequestCount() != 3 {
		t.Fatalf("%d requests: the node must not retry", srv.RequestCount())
	}
	if _, err := FetchIssues(context.Background(), input(srv)); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsClassified(t *testing.T) {
	srv := newServer(t, 5)
	in := input(srv)
	in.Token = "wrong-token-value"
	_, err := FetchIssues(context.Background(), in)
	if !isPermanent(err) || !strings.HasPrefix(err.Error(), "github: 401 Unauthorized: Bad credentials") || strings.Contains(err.Error(), "wrong-token-value") {
		t.Fatalf("401: %v", err)
	}
	in = input(srv)
	in.Repo = "missing"
	_, err = FetchIssues(context.Background(), in)
	if !isPermanent(err) || !strings.HasPrefix(err.Error(), "github: 404 Not Found: Not Found (check Owner") {
		t.Fatalf("404: %v", err)
	}
	srv.FailNext(1, http.StatusUnprocessableEntity, "")
	_, err = FetchIssues(context.Background(), input(srv))
	if !isPermanent(err) || !strings.Contains(err.Error(), "422") {
		t.Fatalf("422: %v", err)
	}
	srv.FailNext(1, http.StatusBadGateway, "")
	_, err = FetchIssues(context.Background(), input(srv))
	if err == nil || isPermanent(err) || retryAfter(err) != 0 {
		t.Fatalf("502: %v", err)
	}
	srv.FailNext(1, http.StatusForbidden, "")
	_, err = FetchIssues(context.Background(), input(srv))
	if !isPermanent(err) || retryAfter(err) != 0 {
		t.Fatalf("403 without a rate limit: %v", err)
	}
	for _, bad := range []FetchInput{
		{Token: token, Owner: "octo"},
		{BaseURL: "ftp://x", Owner: "octo", Repo: "hello"},
		{Owner: "octo", Repo: "hello", PageSize: 101},
		{Owner: "octo", Repo: "hello", Since: "yesterday"},
		{Owner: "octo", Repo: "hello", Since: "-5"},
		{Owner: "octo", Repo: "hello", MaxPages: -1},
	} {
		if _, err := FetchIssues(context.Background(), bad); !isPermanent(err) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
}

func TestEnterpriseBaseURL(t *testing.T) {
	srv := newServer(t, 7)
	in := input(srv)
	in.BaseURL, in.PageSize = srv.EnterpriseURL+"/", 3
	out, err := FetchIssues(context.Background(), in)
	if err != nil || !reflect.DeepEqual(numbers(out.Items), seq(1, 7)) {
		t.Fatalf("%v %v", numbers(out.Items), err)
	}
	for _, r := range srv.Requests() {
		if r.Path != "/api/v3/repos/octo/hello/issues" {
			t.Fatalf("path %s", r.Path)
		}
	}
}

func TestRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer hang.Close()
	defer close(release)
	_, err := FetchIssues(context.Background(), FetchInput{BaseURL: hang.URL, Owner: "o", Repo: "r", RequestTimeout: 50 * time.Millisecond})
	if err == nil || isPermanent(err) || !strings.Contains(err.Error(), "RequestTimeout") {
		t.Fatalf("err %v", err)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	// A hostile server that echoes the credentials; the owner names the
	// status it answers.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.Split(r.URL.Path, "/")[2])
		w.WriteHeader(code)
		if code == 502 {
			fmt.Fprintf(w, "<html>%s</html>", r.Header.Get("Authorization"))
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"message": "bad " + r.Header.Get("Authorization")})
	}))
	defer echo.Close()
	for _, code := range []string{"400", "401", "403", "404", "422", "500", "502"} {
		_, err := FetchIssues(context.Background(), FetchInput{BaseURL: echo.URL, Token: token, Owner: code, Repo: "r"})
		if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), code) {
			t.Fatalf("%s: %v", code, err)
		}
	}
	_, err := FetchIssues(context.Background(), FetchInput{BaseURL: "http://x:" + token + "@127.0.0.1:1", Token: token, Owner: "o", Repo: "r"})
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("credentials in BaseURL: %v", err)
	}
}

func TestOutputsRoundTripJSON(t *testing.T) {
	srv := newServer(t, 12)
	out, err := FetchIssues(context.Background(), input(srv))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	var back FetchOutput
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, out) {
		t.Fatalf("round trip: %v", err)
	}
}

// TestSchemeMismatchIsPermanent: a BaseURL with https:// naming a plain
// HTTP server fails without retries, with a hint, as jira's does (before
// the shared httpsource package it was a transient error).
func TestSchemeMismatchIsPermanent(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	_, err := FetchIssues(context.Background(), FetchInput{BaseURL: strings.Replace(plain.URL, "http://", "https://", 1), Owner: "o", Repo: "r"})
	if err == nil || !isPermanent(err) || !strings.Contains(err.Error(), "BaseURL should start with http://") {
		t.Fatalf("err %v, want a permanent error with a BaseURL hint", err)
	}
}
