package jiratest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

type page struct {
	Issues []struct {
		ID     string         `json:"id"`
		Key    string         `json:"key"`
		Self   string         `json:"self"`
		Fields map[string]any `json:"fields"`
	} `json:"issues"`
	NextPageToken *string  `json:"nextPageToken"`
	IsLast        bool     `json:"isLast"`
	Total         *int     `json:"total"`
	ErrorMessages []string `json:"errorMessages"`
}

func get(t *testing.T, srv *Server, path string, q url.Values) (int, page, http.Header) {
	t.Helper()
	resp, err := http.Get(srv.URL + path + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p page
	json.NewDecoder(resp.Body).Decode(&p)
	return resp.StatusCode, p, resp.Header
}

func TestSearchBasics(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Put(Seed(120, start)...)

	// Defaults: maxResults 50, ids only, no total.
	code, p, _ := get(t, srv, "/rest/api/3/search/jql", url.Values{"jql": {"project = PLAT"}})
	if code != 200 || len(p.Issues) != 50 || p.IsLast || p.NextPageToken == nil || p.Total != nil {
		t.Fatalf("code %d, %d issues, isLast %v", code, len(p.Issues), p.IsLast)
	}
	if p.Issues[0].Fields != nil || p.Issues[0].Key != "PLAT-1" || p.Issues[0].Self == "" {
		t.Fatalf("default fields: %+v", p.Issues[0])
	}

	// Requested fields only; timestamps in Jira's layout and own offsets.
	code, p, _ = get(t, srv, "/rest/api/3/search/jql", url.Values{"jql": {"key = PLAT-2"}, "fields": {"updated,assignee"}})
	if code != 200 || len(p.Issues) != 1 {
		t.Fatalf("code %d, %d issues", code, len(p.Issues))
	}
	f := p.Issues[0].Fields
	if len(f) != 2 || f["updated"] != "2026-03-01T14:31:30.037+0530" {
		t.Fatalf("fields = %v", f)
	}

	// Many fields: pages capped at 100.
	code, p, _ = get(t, srv, "/rest/api/3/search/jql", url.Values{"jql": {"project = PLAT"}, "maxResults": {"1000"}, "fields": {"*all"}})
	if code != 200 || len(p.Issues) != 100 {
		t.Fatalf("code %d, %d issues", code, len(p.Issues))
	}
	// Few fields: not capped.
	_, p, _ = get(t, srv, "/rest/api/3/search/jql", url.Values{"jql": {"project = PLAT"}, "maxResults": {"1000"}, "fields": {"key"}})
	if len(p.Issues) != 120 || !p.IsLast || p.NextPageToken != nil {
		t.Fatalf("%d issues, isLast %v", len(p.Issues), p.IsLast)
	}
}

func TestPagination(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Put(Seed(10, start)...)
	jql := "project = PLAT ORDER BY key DESC"
	var keys []string
	token := ""
	for i := 0; ; i++ {
		q := url.Values{"jql": {jql}, "maxResults": {"4"}}
		if token != "" {
			q.Set("nextPageToken", token)
		}
		code, p, _ := get(t, srv, "/rest/api/3/search/jql", q)
		if code != 200 {
			t.Fatalf("page %d: %d %v", i, code, p.ErrorMessages)
		}
		for _, is := range p.Issues {
			keys = append(keys, is.Key)
		}
		if p.IsLast {
			break
		}
		token = *p.NextPageToken
	}
	if got := strings.Join(keys, ","); got != "PLAT-10,PLAT-9,PLAT-8,PLAT-7,PLAT-6,PLAT-5,PLAT-4,PLAT-3,PLAT-2,PLAT-1" {
		t.Fatalf("keys %s", got)
	}
	// A token belongs to its query.
	code, p, _ := get(t, srv, "/rest/api/3/search/jql", url.Values{"jql": {"project = PLAT"}, "nextPageToken": {token}})
	if code != 400 || len(p.ErrorMessages) != 1 {
		t.Fatalf("foreign token: %d %v", code, p.ErrorMessages)
	}
	code, _, _ = get(t, srv, "/rest/api/3/search/jql", url.Values{"jql": {jql}, "nextPageToken": {"garbage!"}})
	if code != 400 {
		t.Fatalf("garbage token: %d", code)
	}
}

func TestPOST(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Put(Seed(5, start)...)
	body, _ := json.Marshal(map[string]any{"jql": "project = PLAT AND updated >= 0", "maxResults": 2, "fields": []string{"summary"}})
	resp, err := http.Post(srv.URL+"/rest/api/3/search/jql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p page
	json.NewDecoder(resp.Body).Decode(&p)
	if resp.StatusCode != 200 || len(p.Issues) != 2 || p.Issues[0].Fields["summary"] != "Seeded issue 1" || p.NextPageToken == nil {
		t.Fatalf("%d %+v", resp.StatusCode, p)
	}
	body, _ = json.Marshal(map[string]any{"jql": "project = PLAT", "maxResults": 0})
	resp2, err := http.Post(srv.URL+"/rest/api/3/search/jql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 400 {
		t.Fatalf("maxResults 0 by POST: %d", resp2.StatusCode)
	}
	if r := srv.Requests(); len(r) != 2 || r[0].Method != "POST" || r[0].MaxResults != "2" || r[0].Fields != "summary" || r[0].Issues != 2 {
		t.Fatalf("log %+v", r)
	}
}

func TestErrors(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Put(Seed(3, start)...)
	for _, tc := range []struct {
		jql, maxResults string
		code            int
		msg             string
	}{
		{"project = PLAT", "0", 400, "The value '0' is invalid for maxResults"},
		{"project = PLAT", "5001", 400, "must be a number between 1 and 5000"},
		{"project = PLAT", "abc", 400, "invalid for maxResults"},
		{"project = PLAT", "5000", 200, ""},
		{"", "", 400, "Unbounded JQL queries are not allowed here"},
		{"order by key", "", 400, "Unbounded JQL queries are not allowed here"},
		{"project = PLAT order key", "", 400, "Error in the JQL Query: Expecting 'by' but got 'key'. (line 1, character 22)"},
		{"project PLAT", "", 400, "Error in the JQL Query: Expecting operator but got 'PLAT'. (line 1, character 9)"},
		{"project = PLAT status in (Done)", "", 400, "Error in the JQL Query: Expecting either 'AND', 'OR' or 'ORDER BY' but got 'status'."},
		{"project = X OR (key = PLAT-1 AND NOT updated < 0) ORDER BY key", "", 200, ""},
		{"(project = PLAT", "", 400, "Expecting ')' but reached the end of the query."},
		{"summary ~ login", "", 400, "Field 'summary' does not exist"},
		{"project = PLAT AND", "", 400, "Error in the JQL Query: Expecting a field name but reached the end of the query."},
		{"updated >= \"tomorrow\"", "", 400, "Date value 'tomorrow' for field 'updated' is invalid."},
		{"updated > \"2026-03-01 09:00", "", 400, "Error in the JQL Query: The quoted string starting at character 11 is not terminated."},
		{"project = PLAT AND updated >= 1772355600000 ORDER BY updated ASC, key ASC", "", 200, ""},
		{"project = plat and key != PLAT-1 order by created desc", "", 200, ""},
		{"project = PLAT ORDER BY summary", "", 400, "Field 'summary' does not exist"},
		{"project = PLAT %", "", 400, "The character '%' is a reserved JQL character"},
	} {
		q := url.Values{"jql": {tc.jql}}
		if tc.maxResults != "" {
			q.Set("maxResults", tc.maxResults)
		}
		code, p, _ := get(t, srv, "/rest/api/3/search/jql", q)
		if code != tc.code || (tc.msg != "" && (len(p.ErrorMessages) != 1 || !strings.Contains(p.ErrorMessages[0], tc.msg))) {
			t.Errorf("jql %q maxResults %q: %d %q, want %d %q", tc.jql, tc.maxResults, code, p.ErrorMessages, tc.code, tc.msg)
		}
	}
	code, p, _ := get(t, srv, "/rest/api/3/search", url.Values{"jql": {"project = PLAT"}})
	if code != 410 || !strings.Contains(p.ErrorMessages[0], "/rest/api/3/search/jql") {
		t.Fatalf("old endpoint: %d %v", code, p.ErrorMessages)
	}
}

func TestAuthAndFaults(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Put(Seed(3, start)...)
	srv.RequireBasic("a@example.com", "tok")
	q := url.Values{"jql": {"project = PLAT"}}
	if code, _, _ := get(t, srv, "/rest/api/3/search/jql", q); code != 401 {
		t.Fatalf("anonymous: %d", code)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/rest/api/3/search/jql?"+q.Encode(), nil)
	req.SetBasicAuth("a@example.com", "tok")
	srv.FailNext(1, 429, "5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "5" {
		t.Fatalf("fault: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after fault: %d", resp.StatusCode)
	}
	log := srv.Requests()
	if len(log) != 3 || log[0].Status != 401 || log[1].Status != 429 || log[2].Status != 200 || log[2].Auth != "Basic" || log[2].Issues != 3 {
		t.Fatalf("log %+v", log)
	}
}

func TestDateLiteralsAndLag(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	srv.SetClock(func() time.Time { return now })
	srv.Put(
		Issue{Key: "PLAT-1", Updated: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)},
		Issue{Key: "PLAT-2", Updated: time.Date(2026, 3, 1, 9, 30, 59, 999e6, time.UTC)},
		Issue{Key: "PLAT-3", Updated: now.Add(-time.Second)},
	)
	count := func(jql string) int {
		code, p, _ := get(t, srv, "/rest/api/3/search/jql", url.Values{"jql": {jql}})
		if code != 200 {
			t.Fatalf("%s: %d %v", jql, code, p.ErrorMessages)
		}
		return len(p.Issues)
	}
	if n := count(`updated > "2026-03-01 09:30"`); n != 1 { // minute precision: only PLAT-3
		t.Fatalf("> minute: %d", n)
	}
	if n := count(`updated = "2026/03/01 09:30"`); n != 2 {
		t.Fatalf("= minute: %d", n)
	}
	if n := count(`updated >= 2026-03-01`); n != 3 {
		t.Fatalf("date only: %d", n)
	}
	srv.SetTimeZone(time.FixedZone("X", -3600)) // 09:30 UTC is 08:30 here
	if n := count(`updated >= "2026-03-01 08:30" AND updated < "2026-03-01 08:31"`); n != 2 {
		t.Fatalf("profile zone: %d", n)
	}
	srv.SetIndexLag(5 * time.Second)
	if n := count(`project = PLAT`); n != 2 {
		t.Fatalf("lag: %d", n)
	}
	srv.Delete("PLAT-1")
	if n := count(`project = PLAT`); n != 1 {
		t.Fatalf("delete: %d", n)
	}
}

func TestSeed(t *testing.T) {
	is := Seed(20, start)
	if len(is) != 20 || is[0].Key != "PLAT-1" || !is[9].Updated.Equal(is[8].Updated) {
		t.Fatalf("seed: %d, tie %v %v", len(is), is[8].Updated, is[9].Updated)
	}
	offsets := map[int]bool{}
	var nilAssignee, nilPoints, noPriority bool
	for _, x := range is {
		_, off := x.Updated.Zone()
		offsets[off] = true
		nilAssignee = nilAssignee || x.Assignee == nil
		nilPoints = nilPoints || x.StoryPoints == nil
		noPriority = noPriority || x.Priority == ""
	}
	if len(offsets) != 4 || !nilAssignee || !nilPoints || !noPriority {
		t.Fatalf("seed lacks variety: offsets %v", offsets)
	}
}
