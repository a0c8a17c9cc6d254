package confluencetest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

type result struct {
	Results []map[string]any  `json:"results"`
	Links   map[string]string `json:"_links"`
	Message string            `json:"message"`
}

func search(t *testing.T, srv *Server, rawQuery string) (int, result) {
	t.Helper()
	resp, err := http.Get(srv.URL + "/wiki/rest/api/content/search?" + rawQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r result
	json.NewDecoder(resp.Body).Decode(&r)
	return resp.StatusCode, r
}

func TestSearchMinutePrecisionAndPaging(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Put(Seed("ENG", 30, start)...)
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	srv.SetTimeZone(kolkata)
	// 14:31 in Kolkata is 09:01Z: pages from index 2 (09:01:20) on, plus
	// page 2 (09:00:40.037) is in the minute before and excluded.
	q := url.Values{"cql": {`type = page AND (space = ENG) AND lastmodified >= "2026-03-01 14:31" order by lastmodified asc`}, "limit": {"10"}, "expand": {"version"}}
	code, r := search(t, srv, q.Encode())
	if code != 200 || len(r.Results) != 10 || r.Links["next"] == "" || r.Results[0]["id"] != "100003" {
		t.Fatalf("%d %d results, first %v, links %v", code, len(r.Results), r.Results[0]["id"], r.Links)
	}
	if _, ok := r.Results[0]["body"]; ok {
		t.Fatal("body rendered without expand")
	}
	n := 10
	for next := r.Links["next"]; next != ""; next = r.Links["next"] {
		u, _ := url.Parse(next)
		code, r = search(t, srv, u.RawQuery)
		if code != 200 {
			t.Fatalf("%d %s", code, r.Message)
		}
		n += len(r.Results)
	}
	if n != 28 {
		t.Fatalf("%d results, want 28", n)
	}
	code, r = search(t, srv, url.Values{"cql": {"lastmodified >>> 3"}}.Encode())
	if code != 400 || r.Message == "" {
		t.Fatalf("bad CQL: %d %v", code, r)
	}
	srv.RequireBasic("a@b", "t")
	if code, r = search(t, srv, q.Encode()); code != 401 {
		t.Fatalf("auth: %d", code)
	}
}
