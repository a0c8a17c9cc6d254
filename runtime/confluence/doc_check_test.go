package confluence

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDocumentedAPI runs the node against a handler written from
// Confluence Cloud's REST documentation ("Search content by CQL",
// "Advanced searching using CQL": dates "yyyy-MM-dd HH:mm" in the user's
// time zone; "Pagination in the REST API": relative _links.next with a
// cursor), independently of confluencetest.
func TestDocumentedAPI(t *testing.T) {
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	type doc struct {
		id, when string
	}
	data := []doc{
		{"11", "2026-03-01T14:29:59.999+05:30"},
		{"12", "2026-03-01T09:00:10.000Z"},
		{"13", "2026-03-01T14:30:20.250+05:30"},
		{"14", "2026-03-01T09:00:20.250Z"},
		{"15", "2026-03-01T05:31:00.000-03:30"},
	}
	cqlRE := regexp.MustCompile(`^type = page AND \(space = DOC\) AND lastmodified >= "(\d{4}-\d\d-\d\d \d\d:\d\d)" order by lastmodified asc$`)
	var problems []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+token))
		if r.Header.Get("Authorization") != want {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"statusCode":401,"message":"Unauthorized; scope does not match"}`)
			return
		}
		if r.URL.Path != "/wiki/rest/api/content/search" {
			w.WriteHeader(404)
			return
		}
		q := r.URL.Query()
		m := cqlRE.FindStringSubmatch(q.Get("cql"))
		if m == nil {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"statusCode":400,"message":"Could not parse cql : %s"}`, q.Get("cql"))
			return
		}
		if q.Get("expand") != "body.storage,version,space,history" {
			problems = append(problems, "expand "+q.Get("expand"))
		}
		from, _ := time.ParseInLocation("2006-01-02 15:04", m[1], kolkata)
		var hits []doc
		for _, d := range data {
			at, _ := time.Parse(time.RFC3339, d.when)
			if !at.Truncate(time.Minute).Before(from) {
				hits = append(hits, d)
			}
		}
		limit, _ := strconv.Atoi(q.Get("limit"))
		off, _ := strconv.Atoi(strings.TrimPrefix(q.Get("cursor"), "_f_"))
		end := min(off+limit, len(hits))
		links := map[string]string{"base": "http://" + r.Host + "/wiki", "context": "/wiki"}
		if end < len(hits) {
			links["next"] = fmt.Sprintf("/rest/api/content/search?next=true&cursor=_f_%d&limit=%d&cql=%s&expand=%s", end, limit, esc(q.Get("cql")), esc(q.Get("expand")))
		}
		var results []map[string]any
		for _, d := range hits[off:end] {
			results = append(results, map[string]any{
				"id": d.id, "type": "page", "status": "current", "title": "Doc " + d.id,
				"space":   map[string]any{"key": "DOC", "name": "Docs"},
				"history": map[string]any{"createdDate": "2026-02-01T10:00:00.000Z", "createdBy": map[string]any{"displayName": "Ann"}},
				"version": map[string]any{"when": d.when, "number": 2, "by": map[string]any{"displayName": "Ben"}},
				"body":    map[string]any{"storage": map[string]any{"value": "<p>Hello&nbsp;world</p>", "representation": "storage"}},
				"_links":  map[string]any{"webui": "/spaces/DOC/pages/" + d.id},
			})
		}
		json.NewEncoder(w).Encode(map[string]any{"results": results, "start": off, "limit": limit, "size": len(results), "_links": links})
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	since := time.Date(2026, 3, 1, 9, 0, 10, 0, time.UTC) // 14:30:10 in Kolkata
	in := FetchInput{BaseURL: srv.URL, Email: email, APIToken: token, CQL: "space = DOC", TimeZone: "Asia/Kolkata", PageSize: 2,
		Since: since.Format(time.RFC3339)}
	out, err := FetchPages(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(out.Items); !reflect.DeepEqual(got, []string{"12", "13", "14", "15"}) {
		t.Fatalf("ids %v", got)
	}
	p := out.Items[1]
	if p.Body != "Hello world" || p.Author != "Ben" || p.SpaceKey != "DOC" || p.Version != 2 || p.URL != srv.URL+"/wiki/spaces/DOC/pages/13" ||
		!p.LastModified.Equal(time.Date(2026, 3, 1, 9, 0, 20, 250e6, time.UTC)) {
		t.Fatalf("page %+v", p)
	}
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	in.Email = "someone@else"
	if _, err := FetchPages(context.Background(), in); !isPermanent(err) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("401: %v", err)
	}
}

func esc(s string) string { return neturl.QueryEscape(s) }
