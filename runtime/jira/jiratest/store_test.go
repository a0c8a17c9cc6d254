package jiratest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestGenerateServesSeed(t *testing.T) {
	held, gen := NewServer(), NewServer()
	defer held.Close()
	defer gen.Close()
	held.Put(Seed(57, start)...)
	gen.Generate(57, start)
	for _, jql := range []string{
		"project = PLAT AND updated >= 0 ORDER BY updated ASC, key ASC",
		"project = PLAT ORDER BY key DESC",
		"updated >= " + fmt.Sprint(start.Add(20*90e9).UnixMilli()) + " AND NOT key = PLAT-30 ORDER BY updated ASC",
	} {
		q := url.Values{"jql": {jql}, "fields": {"*all"}, "maxResults": {"13"}}
		for page := 0; ; page++ {
			c1, p1, _ := get(t, held, "/rest/api/3/search/jql", q)
			c2, p2, _ := get(t, gen, "/rest/api/3/search/jql", q)
			b1, _ := json.Marshal(p1)
			b2, _ := json.Marshal(p2)
			j1 := strings.ReplaceAll(string(b1), held.URL, "URL")
			j2 := strings.ReplaceAll(string(b2), gen.URL, "URL")
			if c1 != 200 || c2 != 200 || j1 != j2 {
				t.Fatalf("%s page %d: held %d %s\ngenerated %d %s", jql, page, c1, j1, c2, j2)
			}
			if p1.IsLast {
				break
			}
			q.Set("nextPageToken", *p1.NextPageToken)
		}
	}
}

func TestMutationsAndControl(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Generate(100, start)
	post := func(path string, body string) []byte {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	var is Issue
	json.Unmarshal(post("/_fake/update?key=PLAT-3&summary=edited", ""), &is)
	if is.Summary != "edited" || is.Key != "PLAT-3" || !is.Updated.After(seedUpdated(99, start)) {
		t.Fatalf("update: %+v", is)
	}
	json.Unmarshal(post("/_fake/create?project=PLAT", ""), &is)
	if is.Key != "PLAT-101" || is.ID != "10101" {
		t.Fatalf("create: %+v", is)
	}
	json.Unmarshal(post("/_fake/move?key=PLAT-5&project=OTHER", ""), &is)
	if is.Key != "OTHER-1" || is.ID != "10005" {
		t.Fatalf("move: %+v", is)
	}
	var muts []Mutation
	json.Unmarshal(post("/_fake/mutate?n=20&seed=4&to=OTHER", ""), &muts)
	if len(muts) == 0 {
		t.Fatal("mutate made no change")
	}
	// The dump is the whole source, ordered by updated.
	resp, err := http.Get(srv.URL + "/_fake/dump")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var last int64
	n, sawOther := 0, false
	for sc.Scan() {
		var d DumpedIssue
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		if d.Updated < last {
			t.Fatalf("dump out of order at %+v", d)
		}
		last = d.Updated
		sawOther = sawOther || d.Key == "OTHER-1"
		n++
	}
	if n != srv.Len() || n < 101 || !sawOther {
		t.Fatalf("dump: %d lines, Len %d, OTHER-1 %v", n, srv.Len(), sawOther)
	}
	// Faults and counts.
	post("/_fake/faults", `{"server_error":1,"retry_after":"2"}`)
	code, _, h := get(t, srv, "/rest/api/3/search/jql", url.Values{"jql": {"project = PLAT"}})
	if code != 503 || h.Get("Retry-After") != "2" {
		t.Fatalf("fault: %d %v", code, h)
	}
	post("/_fake/faults", `{}`)
	get(t, srv, "/rest/api/3/search/jql", url.Values{"jql": {"project = PLAT"}})
	var c Counts
	json.Unmarshal(post("/_fake/counts", ""), &c)
	if c.Requests != 2 || c.ServerErrors != 1 || c.Pages != 1 || c.FirstPages != 1 || c.Issues != 50 {
		t.Fatalf("counts %+v", c)
	}
	if c := srv.Counts(); c.Requests != 0 {
		t.Fatalf("counts not reset: %+v", c)
	}
}

// BenchmarkSeekPage measures one page of a seek query over a million
// generated issues.
func BenchmarkSeekPage(b *testing.B) {
	srv := NewServer()
	defer srv.Close()
	srv.Generate(1_000_000, start)
	srv.LogRequests(false)
	q := url.Values{"jql": {fmt.Sprintf("project = PLAT AND updated >= %d ORDER BY updated ASC, key ASC", seedUpdated(500_000, start).UnixMilli())},
		"fields": {"summary,status,updated,assignee,labels"}, "maxResults": {"100"}}
	for b.Loop() {
		resp, err := http.Get(srv.URL + "/rest/api/3/search/jql?" + q.Encode())
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
