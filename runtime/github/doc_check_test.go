package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDocumentedAPI runs the node against a handler written from GitHub's
// REST documentation ("List repository issues", "Using pagination in the
// REST API", "Rate limits for the REST API"), independently of githubtest:
// it checks the request as documented and answers the documented shapes,
// including next links that name the repository by id
// (/repositories/{id}/issues), as api.github.com does.
func TestDocumentedAPI(t *testing.T) {
	type item struct {
		id      int64
		number  int
		updated string
		pr      bool
	}
	// Three issues share 10:00:00; a page holds two.
	data := []item{
		{101, 1, "2026-03-01T09:00:00Z", false},
		{102, 2, "2026-03-01T10:00:00Z", true},
		{103, 3, "2026-03-01T10:00:00Z", false},
		{104, 4, "2026-03-01T10:00:00Z", false},
		{105, 5, "2026-03-01T11:30:00Z", false},
	}
	var problems []string
	var paths []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" || r.Header.Get("Authorization") != "Bearer "+token {
			problems = append(problems, fmt.Sprintf("headers %v", r.Header))
		}
		if r.URL.Path != "/api/v3/repos/octo/hello/issues" && r.URL.Path != "/api/v3/repositories/1296269/issues" {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/issues#list-repository-issues","status":"404"}`)
			return
		}
		q := r.URL.Query()
		if q.Get("state") != "all" || q.Get("sort") != "updated" || q.Get("direction") != "asc" {
			problems = append(problems, "query "+r.URL.RawQuery)
		}
		var since time.Time
		if s := q.Get("since"); s != "" {
			var err error
			if since, err = time.Parse("2006-01-02T15:04:05Z", s); err != nil {
				w.WriteHeader(422)
				fmt.Fprint(w, `{"message":"Validation Failed","errors":[{"resource":"Issue","field":"since","code":"invalid"}],"documentation_url":"https://docs.github.com/rest","status":"422"}`)
				return
			}
		}
		per, _ := strconv.Atoi(q.Get("per_page"))
		page, _ := strconv.Atoi(q.Get("page"))
		page = max(page, 1)
		var hits []item
		for _, it := range data {
			u, _ := time.Parse(time.RFC3339, it.updated)
			if !u.Before(since) {
				hits = append(hits, it)
			}
		}
		from, to := min((page-1)*per, len(hits)), min(page*per, len(hits))
		if to < len(hits) {
			q.Set("page", strconv.Itoa(page+1))
			w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v3/repositories/1296269/issues?%s>; rel="next", <http://%s/api/v3/repositories/1296269/issues?page=9>; rel="last"`, r.Host, q.Encode(), r.Host))
		}
		w.Header().Set("x-ratelimit-limit", "5000")
		w.Header().Set("x-ratelimit-remaining", "4999")
		w.Header().Set("x-ratelimit-reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		var out []map[string]any
		for _, it := range hits[from:to] {
			m := map[string]any{
				"id": it.id, "node_id": "MDU6SXNzdWUx", "number": it.number, "title": "Found a bug", "body": nil,
				"state": "open", "state_reason": nil, "labels": []any{map[string]any{"id": 208045946, "name": "bug"}},
				"assignees": []any{}, "milestone": nil, "user": map[string]any{"login": "octocat", "id": 1},
				"created_at": "2011-04-22T13:33:48Z", "updated_at": it.updated, "closed_at": nil,
				"html_url": "https://github.com/octo/hello/issues/" + strconv.Itoa(it.number),
				"url":      "https://api.github.com/repos/octo/hello/issues/" + strconv.Itoa(it.number),
			}
			if it.pr {
				m["pull_request"] = map[string]any{"url": "https://api.github.com/repos/octo/hello/pulls/2"}
			}
			out = append(out, m)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(out)
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	in := FetchInput{BaseURL: srv.URL + "/api/v3", Token: token, Owner: "octo", Repo: "hello", PageSize: 2}
	out, err := FetchIssues(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(out.Items); !reflect.DeepEqual(got, []int{1, 2, 3, 4, 5}) {
		t.Fatalf("numbers %v", got)
	}
	if !out.Items[1].IsPullRequest || out.Items[0].IsPullRequest || !reflect.DeepEqual(out.Items[0].Labels, []string{"bug"}) {
		t.Fatalf("items %+v", out.Items[:2])
	}
	if !strings.Contains(strings.Join(paths, " "), "/repositories/1296269/issues") {
		t.Fatalf("the tie was not paged through the next link: %v", paths)
	}
	if len(problems) > 0 {
		t.Fatalf("requests differ from the documentation: %v", problems)
	}
	// The cursor feeds since: a second run asks since=11:30:00 and reads #5.
	in.Since = strconv.FormatInt(out.MaxUpdated, 10)
	next, err := FetchIssues(context.Background(), in)
	if err != nil || !reflect.DeepEqual(numbers(next.Items), []int{5}) {
		t.Fatalf("second run %v %v", numbers(next.Items), err)
	}
	in.Repo = "nope"
	if _, err := FetchIssues(context.Background(), in); !isPermanent(err) || !strings.Contains(err.Error(), "404 Not Found: Not Found") {
		t.Fatalf("404: %v", err)
	}
}
