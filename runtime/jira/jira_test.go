package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/httpsource"
	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

const (
	email = "bot@example.com"
	token = "s3cr3t-api-token-XYZ"
	jql   = "project = PLAT AND updated >= 0 ORDER BY updated ASC, key ASC"
)

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newServer(t *testing.T, n int) *jiratest.Server {
	t.Helper()
	srv := jiratest.NewServer()
	t.Cleanup(srv.Close)
	srv.RequireBasic(email, token)
	srv.Put(jiratest.Seed(n, start)...)
	return srv
}

func input(srv *jiratest.Server) FetchInput {
	return FetchInput{BaseURL: srv.URL, Email: email, APIToken: token, JQL: jql}
}

func keys(items []Issue) []string {
	var ks []string
	for _, it := range items {
		ks = append(ks, it.Key)
	}
	return ks
}

func seqKeys(from, to int) []string {
	var ks []string
	for i := from; i <= to; i++ {
		ks = append(ks, fmt.Sprintf("PLAT-%d", i))
	}
	return ks
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

func TestFetchIssuesMultiPage(t *testing.T) {
	srv := newServer(t, 25)
	in := input(srv)
	in.PageSize = 7
	out, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Pages != 4 || len(out.Items) != 25 || out.HasMore {
		t.Fatalf("Pages=%d Items=%d HasMore=%v, want 4, 25, false", out.Pages, len(out.Items), out.HasMore)
	}
	if got := keys(out.Items); !reflect.DeepEqual(got, seqKeys(1, 25)) {
		t.Fatalf("keys = %v", got)
	}
	if want := out.Items[24].Updated.UnixMilli(); out.MaxUpdated != want {
		t.Fatalf("MaxUpdated = %d, want %d", out.MaxUpdated, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		// Page 1 runs the JQL as given; the next pages seek from the last
		// page's newest updated (see FetchPage), without Jira's tokens.
		wantJQL := jql
		if i > 0 {
			wantJQL = fmt.Sprintf("(project = PLAT AND updated >= 0) AND updated >= %d ORDER BY updated ASC, key ASC", out.Items[6*i].Updated.UnixMilli())
		}
		if r.Method != "GET" || r.Path != "/rest/api/3/search/jql" || r.MaxResults != "7" || r.JQL != wantJQL || r.Auth != "Basic" {
			t.Errorf("request %d = %+v, want JQL %s", i, r, wantJQL)
		}
		for _, f := range []string{"summary", "updated", "assignee", "labels", "customfield_10016"} {
			if !strings.Contains(","+r.Fields+",", ","+f+",") {
				t.Errorf("request %d: fields %q lack %s", i, r.Fields, f)
			}
		}
		if r.NextPageToken != "" {
			t.Errorf("request %d: nextPageToken %q", i, r.NextPageToken)
		}
	}
}

func TestFetchIssuesDecodesFields(t *testing.T) {
	srv := newServer(t, 0)
	sp := 3.5
	created := time.Date(2026, 3, 1, 9, 46, 8, 304e6, time.FixedZone("", 5*3600+1800))
	updated := time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("", 3600))
	srv.Put(jiratest.Issue{
		Key: "PLAT-7", ProjectName: "Platform", Summary: "Fix login", Status: "In Progress",
		Priority: "High", IssueType: "Bug",
		Assignee: &jiratest.User{AccountID: "a1", DisplayName: "Alice", EmailAddress: "alice@example.com"},
		Created:  created, Updated: updated, Labels: []string{"auth", "web"}, StoryPoints: &sp,
		Description: map[string]any{"type": "doc", "version": 1, "content": []any{
			map[string]any{"type": "heading", "attrs": map[string]any{"level": 2}, "content": []any{map[string]any{"type": "text", "text": "Steps"}}},
			map[string]any{"type": "paragraph", "content": []any{
				map[string]any{"type": "text", "text": "Log in as "},
				map[string]any{"type": "mention", "attrs": map[string]any{"id": "x", "text": "@Bob"}},
				map[string]any{"type": "hardBreak"},
				map[string]any{"type": "text", "text": "then wait", "marks": []any{map[string]any{"type": "strong"}}},
			}},
			map[string]any{"type": "bulletList", "content": []any{
				map[string]any{"type": "listItem", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "one"}}}}},
				map[string]any{"type": "listItem", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "two"}}}}},
			}},
		}},
		Fields: map[string]any{"customfield_10020": map[string]any{"name": "Sprint 4"}},
	})
	in := input(srv)
	in.Fields = []string{"customfield_10020", "summary"}
	out, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("%d items", len(out.Items))
	}
	it := out.Items[0]
	want := Issue{
		ID: it.ID, Key: "PLAT-7", Self: srv.URL + "/rest/api/3/issue/" + it.ID,
		Project: "PLAT", ProjectName: "Platform", Summary: "Fix login",
		Status: "In Progress", StatusCategory: "indeterminate", Priority: "High", IssueType: "Bug",
		Assignee: "Alice", AssigneeEmail: "alice@example.com",
		Created: created.UTC(), Updated: updated.UTC(),
		Labels: []string{"auth", "web"}, StoryPoints: &sp,
		Description: "Steps\nLog in as @Bob\nthen wait\n- one\n- two",
		Extra: map[string]json.RawMessage{
			"customfield_10020": json.RawMessage(`{"name":"Sprint 4"}`),
			"summary":           json.RawMessage(`"Fix login"`),
		},
	}
	if !reflect.DeepEqual(it, want) {
		t.Fatalf("issue =\n%#v\nwant\n%#v", it, want)
	}
	if it.ID == "" {
		t.Fatal("empty ID")
	}
	if out.MaxUpdated != updated.UnixMilli() {
		t.Fatalf("MaxUpdated = %d, want %d", out.MaxUpdated, updated.UnixMilli())
	}
}

func TestFetchIssuesNulls(t *testing.T) {
	srv := newServer(t, 0)
	srv.Put(
		jiratest.Issue{Key: "PLAT-1", Updated: start},
		jiratest.Issue{Key: "PLAT-2", Updated: start, Assignee: &jiratest.User{DisplayName: "Bob Private"}},
	)
	out, err := FetchIssues(context.Background(), input(srv))
	if err != nil {
		t.Fatal(err)
	}
	a, b := out.Items[0], out.Items[1]
	if a.Assignee != "" || a.AssigneeEmail != "" || a.Priority != "" || a.StoryPoints != nil || a.Description != "" {
		t.Fatalf("nulls not handled: %+v", a)
	}
	if len(a.Labels) != 0 {
		t.Fatalf("labels = %v", a.Labels)
	}
	if b.Assignee != "Bob Private" || b.AssigneeEmail != "" {
		t.Fatalf("hidden email: %+v", b)
	}
}

func TestCursorEpochMillis(t *testing.T) {
	srv := newServer(t, 30)
	all, err := FetchIssues(context.Background(), input(srv))
	if err != nil {
		t.Fatal(err)
	}
	// The cursor is the 12th issue's updated time, in epoch milliseconds.
	cursor := all.Items[11].Updated.UnixMilli()
	in := input(srv)
	in.JQL = fmt.Sprintf("project = PLAT AND updated >= %d ORDER BY updated ASC, key ASC", cursor)
	out, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(out.Items); !reflect.DeepEqual(got, seqKeys(12, 30)) {
		t.Fatalf("keys = %v", got)
	}
	for _, it := range out.Items {
		if it.Updated.UnixMilli() < cursor {
			t.Fatalf("%s updated %v before the cursor", it.Key, it.Updated)
		}
	}
}

// Seed gives PLAT-9 and PLAT-10 the same updated time. A run that stops
// after PLAT-9 advances the cursor to that instant; with >= the next run
// fetches PLAT-9 again and PLAT-10, which > would have lost.
func TestCursorTiesRefetched(t *testing.T) {
	srv := newServer(t, 12)
	first, err := FetchIssues(context.Background(), FetchInput{
		BaseURL: srv.URL, Email: email, APIToken: token,
		JQL: jql, PageSize: 9, MaxPages: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !first.HasMore || first.Pages != 1 || first.Items[8].Key != "PLAT-9" {
		t.Fatalf("first run: HasMore=%v Pages=%d keys=%v", first.HasMore, first.Pages, keys(first.Items))
	}
	if first.MaxUpdated != first.Items[8].Updated.UnixMilli() {
		t.Fatalf("MaxUpdated = %d, want PLAT-9's %d", first.MaxUpdated, first.Items[8].Updated.UnixMilli())
	}

	in := input(srv)
	in.JQL = fmt.Sprintf("project = PLAT AND updated >= %d ORDER BY updated ASC, key ASC", first.MaxUpdated)
	next, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(next.Items); !reflect.DeepEqual(got, seqKeys(9, 12)) {
		t.Fatalf(">= keys = %v, want PLAT-9..PLAT-12", got)
	}
	in.JQL = fmt.Sprintf("project = PLAT AND updated > %d ORDER BY updated ASC, key ASC", first.MaxUpdated)
	lossy, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(lossy.Items); !reflect.DeepEqual(got, seqKeys(11, 12)) {
		t.Fatalf("> keys = %v: the tie PLAT-10 should be lost with >", got)
	}
}

func TestTimeZones(t *testing.T) {
	srv := newServer(t, 0)
	ist := time.FixedZone("IST", 5*3600+1800)
	pst := time.FixedZone("PST", -8*3600)
	// The same instant in two offsets, and one a millisecond later.
	a := time.Date(2026, 3, 1, 15, 30, 0, 500e6, ist)
	b := a.In(pst)
	c := a.Add(time.Millisecond).In(time.UTC)
	srv.Put(jiratest.Issue{Key: "PLAT-1", Updated: a}, jiratest.Issue{Key: "PLAT-2", Updated: b}, jiratest.Issue{Key: "PLAT-3", Updated: c})
	out, err := FetchIssues(context.Background(), input(srv))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items[:2] {
		if !it.Updated.Equal(a) || it.Updated.Location() != time.UTC {
			t.Fatalf("%s Updated = %v, want %v in UTC", it.Key, it.Updated, a.UTC())
		}
	}
	if out.MaxUpdated != c.UnixMilli() {
		t.Fatalf("MaxUpdated = %d, want %d", out.MaxUpdated, c.UnixMilli())
	}

	// A date literal is read in the profile time zone at minute precision:
	// the trap the epoch-millisecond cursor avoids.
	srv.SetTimeZone(ist)
	in := input(srv)
	in.JQL = `project = PLAT AND updated >= "2026-03-01 15:30" ORDER BY key`
	got, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 3 {
		t.Fatalf("IST literal: %v", keys(got.Items))
	}
	in.JQL = `project = PLAT AND updated > "2026-03-01 15:30" ORDER BY key`
	got, err = FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 0 {
		t.Fatalf("> at minute precision should miss issues within the minute, got %v", keys(got.Items))
	}
	srv.SetTimeZone(time.UTC) // the same literal now means 5h30 later
	in.JQL = `project = PLAT AND updated >= "2026-03-01 15:30" ORDER BY key`
	got, err = FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 0 {
		t.Fatalf("UTC literal: %v", keys(got.Items))
	}
}

func TestBadRequestPermanent(t *testing.T) {
	srv := newServer(t, 5)
	in := input(srv)
	in.JQL = "project = PLAT AND updated >> 5"
	_, err := FetchIssues(context.Background(), in)
	if !isPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
	const want = "jira: 400 Bad Request: Error in the JQL Query: Expecting either a value, 'EMPTY' or a function but got '>'. (line 1, character 29)"
	if err.Error() != want {
		t.Fatalf("err =\n%s\nwant\n%s", err, want)
	}
	if srv.RequestCount() != 1 {
		t.Fatalf("%d requests, want 1 (no retry)", srv.RequestCount())
	}

	in.JQL = "ORDER BY key"
	_, err = FetchIssues(context.Background(), in)
	if !isPermanent(err) || !strings.Contains(err.Error(), "Unbounded JQL queries are not allowed") {
		t.Fatalf("unbounded: %v", err)
	}
}

func TestUnauthorizedPermanent(t *testing.T) {
	srv := newServer(t, 5)
	in := input(srv)
	in.APIToken = "wrong-token-value"
	_, err := FetchIssues(context.Background(), in)
	if !isPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
	// A rejected credential is a configuration error: the program exits 2.
	var c interface{ Configuration() bool }
	if !errors.As(err, &c) || !c.Configuration() {
		t.Fatalf("err = %v, want a configuration error", err)
	}
	if !strings.HasPrefix(err.Error(), "jira: 401 Unauthorized") || !strings.Contains(err.Error(), "Email and APIToken") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "wrong-token-value") {
		t.Fatalf("token in error: %v", err)
	}
	if srv.RequestCount() != 1 {
		t.Fatalf("%d requests, want 1", srv.RequestCount())
	}
}

func TestBearer(t *testing.T) {
	srv := jiratest.NewServer()
	defer srv.Close()
	srv.RequireBearer("pat-123")
	srv.Put(jiratest.Seed(3, start)...)
	out, err := FetchIssues(context.Background(), FetchInput{BaseURL: srv.URL, APIToken: "pat-123", JQL: jql})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 3 || srv.Requests()[0].Auth != "Bearer" {
		t.Fatalf("items=%d auth=%q", len(out.Items), srv.Requests()[0].Auth)
	}
	_, err = FetchIssues(context.Background(), FetchInput{BaseURL: srv.URL, JQL: jql})
	if !isPermanent(err) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("anonymous: %v", err)
	}
}

func TestGoneEndpoint(t *testing.T) {
	srv := newServer(t, 3)
	// The fake answers the removed endpoint with 410, and the client never
	// calls it.
	resp, err := http.Get(srv.URL + "/rest/api/3/search?jql=project%3DPLAT")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Fatalf("old endpoint: %d, want 410", resp.StatusCode)
	}
	srv.ResetRequests()
	if _, err := FetchIssues(context.Background(), input(srv)); err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.Requests() {
		if r.Path != "/rest/api/3/search/jql" {
			t.Fatalf("client called %s", r.Path)
		}
	}
	// A 410 is permanent.
	srv.FailNext(1, http.StatusGone, "")
	_, err = FetchIssues(context.Background(), input(srv))
	if !isPermanent(err) || !strings.Contains(err.Error(), "410 Gone") {
		t.Fatalf("410: %v", err)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	basic := basicCredential(email, token)
	// A hostile server that echoes the credentials in every error.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusBadRequest
		switch r.URL.Query().Get("jql") {
		case "401":
			status = 401
		case "500":
			status = 500
		case "html":
			w.WriteHeader(403)
			fmt.Fprintf(w, "<html>denied for %s</html>", r.Header.Get("Authorization"))
			return
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{
			"errorMessages": []string{"bad auth " + r.Header.Get("Authorization")},
			"errors":        map[string]string{"token": token},
		})
	}))
	defer echo.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct{ base, jql, emailAddr string }{
		{echo.URL, "400", email}, {echo.URL, "401", email}, {echo.URL, "500", email}, {echo.URL, "html", email},
		{echo.URL, "400", ""}, // Bearer
		{closed.URL, jql, email},
		{"ftp://" + token + "@x", jql, email},
		{"http://user:" + token + "@127.0.0.1:1/", jql, email},
	} {
		_, err := FetchIssues(context.Background(), FetchInput{BaseURL: tc.base, Email: tc.emailAddr, APIToken: token, JQL: tc.jql})
		if err == nil {
			t.Fatalf("%s %s: no error", tc.base, tc.jql)
		}
		if msg := err.Error(); strings.Contains(msg, token) || strings.Contains(msg, basic) {
			t.Fatalf("credential in error: %s", msg)
		}
	}
}

func TestPageSizeValidation(t *testing.T) {
	srv := newServer(t, 3)
	for _, ps := range []int{-1, 5001} {
		in := input(srv)
		in.PageSize = ps
		_, err := FetchIssues(context.Background(), in)
		if !isPermanent(err) || !strings.Contains(err.Error(), "PageSize") {
			t.Fatalf("PageSize %d: %v", ps, err)
		}
		_, err = FetchPage(context.Background(), PageInput{BaseURL: srv.URL, Email: email, APIToken: token, JQL: jql, PageSize: ps})
		if !isPermanent(err) {
			t.Fatalf("FetchPage PageSize %d: %v", ps, err)
		}
	}
	if n := srv.RequestCount(); n != 0 {
		t.Fatalf("%d requests made before validation", n)
	}
	if _, err := FetchIssues(context.Background(), input(srv)); err != nil {
		t.Fatal(err)
	}
	if got := srv.Requests()[0].MaxResults; got != "100" {
		t.Fatalf("default maxResults %s, want 100", got)
	}
	for _, in := range []FetchInput{
		{Email: email, APIToken: token, JQL: jql},
		{BaseURL: "not a url", JQL: jql},
		{BaseURL: srv.URL},
		{BaseURL: srv.URL, JQL: jql, Email: email},
		{BaseURL: srv.URL, JQL: jql, MaxPages: -1},
	} {
		if _, err := FetchIssues(context.Background(), in); !isPermanent(err) {
			t.Fatalf("%+v: err = %v, want permanent", in, err)
		}
	}
}

func TestManyFieldsCapPages(t *testing.T) {
	srv := newServer(t, 250)
	in := input(srv)
	in.PageSize = 500
	out, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Pages != 3 || len(out.Items) != 250 {
		t.Fatalf("Pages=%d Items=%d, want 3 pages of <=100", out.Pages, len(out.Items))
	}
}

func TestFetchPageLoopEqualsFetchIssues(t *testing.T) {
	srv := newServer(t, 23)
	all, err := FetchIssues(context.Background(), FetchInput{BaseURL: srv.URL, Email: email, APIToken: token, JQL: jql, PageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	var items []Issue
	var maxUpdated int64
	pages := 0
	in := PageInput{BaseURL: srv.URL, Email: email, APIToken: token, JQL: jql, PageSize: 5}
	for {
		p, err := FetchPage(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		items = append(items, p.Items...)
		maxUpdated = max(maxUpdated, p.MaxUpdated)
		if !p.HasMore {
			if p.NextPageToken != "" {
				t.Fatal("token on the last page")
			}
			break
		}
		in.PageToken = p.NextPageToken
	}
	// Done: the spec-level loop's "next page" after the last is empty and
	// costs no request.
	before := srv.RequestCount()
	in.Done = true
	if p, err := FetchPage(context.Background(), in); err != nil || len(p.Items) != 0 || p.HasMore || srv.RequestCount() != before {
		t.Fatalf("Done: %+v %v, %d requests", p, err, srv.RequestCount()-before)
	}
	in.Done = false
	if !reflect.DeepEqual(items, all.Items) || pages != all.Pages || maxUpdated != all.MaxUpdated {
		t.Fatalf("page loop: %d items, %d pages, max %d; FetchIssues: %d, %d, %d",
			len(items), pages, maxUpdated, len(all.Items), all.Pages, all.MaxUpdated)
	}

	// A token used with another query is a permanent 400.
	in.JQL = "project = PLAT AND updated >= 1 ORDER BY key"
	in.PageToken = "eyJxIjoiMDAwMDAwMDAwMDAwMDAwMCIsIm8iOjV9"
	if _, err := FetchPage(context.Background(), in); !isPermanent(err) || !strings.Contains(err.Error(), "400") {
		t.Fatalf("foreign token: %v", err)
	}
}

func TestOutputsRoundTripJSON(t *testing.T) {
	srv := newServer(t, 12)
	in := input(srv)
	in.Fields = []string{"customfield_10020"}
	out, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var back FetchOutput
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, out) {
		t.Fatalf("round trip differs:\n%+v\n%+v", back.Items[0], out.Items[0])
	}
}

func TestIndexLag(t *testing.T) {
	srv := newServer(t, 0)
	now := start.Add(time.Hour)
	srv.SetClock(func() time.Time { return now })
	srv.SetIndexLag(30 * time.Second)
	srv.Put(jiratest.Issue{Key: "PLAT-1", Updated: now.Add(-time.Minute)}, jiratest.Issue{Key: "PLAT-2", Updated: now.Add(-10 * time.Second)})
	out, err := FetchIssues(context.Background(), input(srv))
	if err != nil {
		t.Fatal(err)
	}
	// PLAT-2 is not indexed yet; the cursor taken from the data (not from
	// the clock) still lets the next run find it.
	if len(out.Items) != 1 || out.MaxUpdated != now.Add(-time.Minute).UnixMilli() {
		t.Fatalf("items %v, MaxUpdated %d", keys(out.Items), out.MaxUpdated)
	}
	now = now.Add(time.Minute)
	in := input(srv)
	in.JQL = fmt.Sprintf("project = PLAT AND updated >= %d ORDER BY updated ASC, key ASC", out.MaxUpdated)
	next, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(next.Items); !reflect.DeepEqual(got, []string{"PLAT-1", "PLAT-2"}) {
		t.Fatalf("next run: %v", got)
	}
}

func TestCustomStoryPointsField(t *testing.T) {
	srv := newServer(t, 0)
	srv.SetStoryPointsField("customfield_10028")
	sp := 13.0
	srv.Put(jiratest.Issue{Key: "PLAT-1", Updated: start, StoryPoints: &sp})
	in := input(srv)
	out, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Items[0].StoryPoints != nil {
		t.Fatal("story points read from the default field")
	}
	in.StoryPointsField = "customfield_10028"
	out, err = FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if p := out.Items[0].StoryPoints; p == nil || *p != 13 {
		t.Fatalf("StoryPoints = %v", p)
	}
}

func TestDuplicateAcrossPagesSeek(t *testing.T) {
	// An issue updated while paging comes back at the end of an
	// updated-ordered seek walk; nothing is skipped and FetchIssues returns
	// its newest version once, at its first position.
	srv := newServer(t, 6)
	srv.BeforeSearch(func(n int, _ jiratest.Request) {
		if n == 1 {
			srv.Update("PLAT-1", func(is *jiratest.Issue) { is.Summary = "changed" })
		}
	})
	out, err := FetchIssues(context.Background(), FetchInput{BaseURL: srv.URL, Email: email, APIToken: token, JQL: jql, PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(out.Items); !reflect.DeepEqual(got, seqKeys(1, 6)) {
		t.Fatalf("keys %v", got)
	}
	if out.Items[0].Summary != "changed" {
		t.Fatalf("first = %+v, want the newest PLAT-1", out.Items[0])
	}
	if want := out.Items[0].Updated.UnixMilli(); out.MaxUpdated != want {
		t.Fatalf("MaxUpdated %d, want the new PLAT-1's %d", out.MaxUpdated, want)
	}
}

func TestDuplicateAcrossPagesJiraTokens(t *testing.T) {
	// Without an explicit "updated ASC" order the walk follows Jira's tokens
	// (offsets in the fake). An issue updated while paging moves to the end
	// and shows up twice; FetchIssues returns its newest version once.
	srv := newServer(t, 6)
	var once sync.Once
	mux := http.NewServeMux()
	real := httptest.NewServer(mux)
	defer real.Close()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("nextPageToken") != "" {
			once.Do(func() {
				srv.Put(jiratest.Issue{Key: "PLAT-1", Summary: "changed", Updated: start.Add(time.Hour)})
			})
		}
		proxy(w, r, srv.URL)
	})
	out, err := FetchIssues(context.Background(), FetchInput{BaseURL: real.URL, Email: email, APIToken: token, JQL: "project = PLAT AND updated >= 0 ORDER BY updated", PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Offsets shift by one: page 2 starts at PLAT-5 (PLAT-4 is skipped) and
	// ends with the new PLAT-1, which FetchIssues keeps once, newest version
	// first-seen position.
	if got := keys(out.Items); !reflect.DeepEqual(got, []string{"PLAT-1", "PLAT-2", "PLAT-3", "PLAT-5", "PLAT-6"}) {
		t.Fatalf("keys %v", got)
	}
	if out.Items[0].Summary != "changed" {
		t.Fatalf("first = %+v, want the newest PLAT-1", out.Items[0])
	}
	// The cursor is held back to the end of page 1 (PLAT-3), so the next
	// run re-reads PLAT-4 instead of losing it.
	plat3 := out.Items[2].Updated.UnixMilli()
	if out.MaxUpdated != plat3 {
		t.Fatalf("MaxUpdated %d, want PLAT-3's %d", out.MaxUpdated, plat3)
	}
	in := input(srv)
	in.JQL = fmt.Sprintf("project = PLAT AND updated >= %d ORDER BY updated ASC, key ASC", out.MaxUpdated)
	next, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(next.Items); !reflect.DeepEqual(got, []string{"PLAT-3", "PLAT-4", "PLAT-5", "PLAT-6", "PLAT-1"}) {
		t.Fatalf("next run %v", got)
	}
}

func proxy(w http.ResponseWriter, r *http.Request, base string) {
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, base+r.URL.RequestURI(), r.Body)
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), 502)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	var buf [32 << 10]byte
	for {
		n, err := resp.Body.Read(buf[:])
		w.Write(buf[:n])
		if err != nil {
			return
		}
	}
}

func TestFlattenADF(t *testing.T) {
	doc := `{"type":"doc","version":1,"content":[
	  {"type":"paragraph","content":[{"type":"text","text":"Hello "},{"type":"emoji","attrs":{"shortName":":wave:","text":"👋"}},{"type":"text","text":" see "},{"type":"inlineCard","attrs":{"url":"https://x.test/a"}}]},
	  {"type":"orderedList","content":[
	    {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"first"}]},
	      {"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"nested"}]}]}]}]},
	    {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"second"}]}]}]},
	  {"type":"codeBlock","attrs":{"language":"go"},"content":[{"type":"text","text":"x := 1"}]},
	  {"type":"table","content":[{"type":"tableRow","content":[
	    {"type":"tableHeader","content":[{"type":"paragraph","content":[{"type":"text","text":"a"}]}]},
	    {"type":"tableCell","content":[{"type":"paragraph","content":[{"type":"text","text":"b"}]}]}]}]},
	  {"type":"paragraph","content":[{"type":"date","attrs":{"timestamp":"1772323200000"}},{"type":"text","text":" "},{"type":"status","attrs":{"text":"DONE"}}]},
	  {"type":"mediaSingle","content":[{"type":"media","attrs":{"id":"x"}}]},
	  {"type":"paragraph"}
	]}`
	want := "Hello 👋 see https://x.test/a\n1. first\n  - nested\n2. second\nx := 1\na | b\n2026-03-01 DONE"
	if got := FlattenADF(json.RawMessage(doc)); got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	if got := FlattenADF(json.RawMessage(`"plain text"`)); got != "plain text" {
		t.Fatalf("string: %q", got)
	}
	if got := FlattenADF(json.RawMessage(`{"broken`)); got != "" {
		t.Fatalf("malformed: %q", got)
	}
}

func TestParseTime(t *testing.T) {
	got, err := ParseTime("2026-03-01T09:46:08.304+0530")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 3, 1, 4, 16, 8, 304e6, time.UTC)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := ParseTime("2026-03-01T09:46:08.304Z"); err != nil {
		t.Fatalf("RFC 3339 fallback: %v", err)
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Fatal("want error")
	}
	if d := httpsource.ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", time.Date(2015, 10, 21, 7, 27, 0, 0, time.UTC)); d != time.Minute {
		t.Fatalf("HTTP-date Retry-After = %v", d)
	}
}
