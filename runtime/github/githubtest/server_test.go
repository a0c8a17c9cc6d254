package githubtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func get(t *testing.T, url string) (*http.Response, []map[string]any, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	json.NewDecoder(resp.Body).Decode(&raw)
	var list []map[string]any
	var obj map[string]any
	if json.Unmarshal(raw, &list) != nil {
		json.Unmarshal(raw, &obj)
	}
	return resp, list, obj
}

func TestListDefaultsLinkAndSince(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Put(Seed(DefaultRepo, 70, start)...)
	// Defaults: open only, created desc, 30 per page.
	resp, list, _ := get(t, srv.URL+"/repos/octo/hello/issues")
	if resp.StatusCode != 200 || len(list) != 30 || list[0]["state"] != "open" {
		t.Fatalf("%d, %d items", resp.StatusCode, len(list))
	}
	link := resp.Header.Get("Link")
	if !strings.Contains(link, `page=2>; rel="next"`) || !strings.Contains(link, `rel="last"`) {
		t.Fatalf("Link %q", link)
	}
	if resp.Header.Get("X-Ratelimit-Remaining") != "4999" || resp.Header.Get("X-Ratelimit-Resource") != "core" {
		t.Fatalf("rate headers %v", resp.Header)
	}
	// since is inclusive at second precision: #9 and #10 share a second.
	resp, list, _ = get(t, srv.URL+"/api/v3/repos/octo/hello/issues?state=all&sort=updated&direction=asc&since=2026-03-01T09:12:00Z&per_page=100")
	if len(list) != 62 || list[0]["number"] != 9.0 || list[1]["number"] != 10.0 || resp.Header.Get("Link") != "" {
		t.Fatalf("%d items, first %v", len(list), list[0]["number"])
	}
	if list[0]["updated_at"] != "2026-03-01T09:12:00Z" {
		t.Fatalf("updated_at %v", list[0]["updated_at"])
	}
	if _, ok := list[len(list)-1]["pull_request"]; !ok && list[len(list)-1]["number"].(float64) == 70 {
		t.Fatal("#70 should be a pull request")
	}
	// Errors.
	resp, _, obj := get(t, srv.URL+"/repos/octo/hello/issues?since=yesterday")
	if resp.StatusCode != 422 || obj["message"] != "Validation Failed" {
		t.Fatalf("422: %d %v", resp.StatusCode, obj)
	}
	resp, _, obj = get(t, srv.URL+"/repos/octo/nope/issues")
	if resp.StatusCode != 404 || obj["message"] != "Not Found" {
		t.Fatalf("404: %d %v", resp.StatusCode, obj)
	}
	srv.RequireToken("t")
	resp, _, obj = get(t, srv.URL+"/repos/octo/hello/issues")
	if resp.StatusCode != 401 || obj["message"] != "Bad credentials" {
		t.Fatalf("401: %d %v", resp.StatusCode, obj)
	}
}

func TestRateLimitBudget(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	now := start
	srv.SetClock(func() time.Time { return now })
	srv.SetRateLimit(2, 2, start.Add(time.Minute))
	for i, want := range []int{200, 200, 403} {
		resp, _, obj := get(t, srv.URL+"/repos/x/y/issues")
		if want == 200 {
			want = 404 // no such repository, but the request counts
		}
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d %v", i, resp.StatusCode, obj)
		}
		if want == 403 && (resp.Header.Get("X-Ratelimit-Remaining") != "0" || !strings.Contains(obj["message"].(string), "rate limit exceeded")) {
			t.Fatalf("403: %v %v", resp.Header, obj)
		}
	}
	now = start.Add(time.Minute)
	if resp, _, _ := get(t, srv.URL+"/repos/x/y/issues"); resp.StatusCode != 404 || resp.Header.Get("X-Ratelimit-Remaining") != "1" {
		t.Fatalf("after reset: %d %v", resp.StatusCode, resp.Header)
	}
	srv.FailSecondary(1, "60")
	if resp, _, obj := get(t, srv.URL+"/repos/x/y/issues"); resp.StatusCode != 403 || resp.Header.Get("Retry-After") != "60" || !strings.Contains(obj["message"].(string), "secondary") {
		t.Fatalf("secondary: %d %v", resp.StatusCode, obj)
	}
}
