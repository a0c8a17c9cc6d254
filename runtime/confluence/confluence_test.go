package confluence

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/confluence/confluencetest"
)

const (
	email = "bot@example.com"
	token = "atl-s3cr3t-TOKEN"
)

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newServer(t *testing.T, n int) *confluencetest.Server {
	t.Helper()
	srv := confluencetest.NewServer()
	t.Cleanup(srv.Close)
	srv.RequireBasic(email, token)
	srv.Put(confluencetest.Seed("ENG", n, start)...)
	return srv
}

func input(srv *confluencetest.Server) FetchInput {
	return FetchInput{BaseURL: srv.URL, Email: email, APIToken: token, CQL: "space = ENG"}
}

func ids(items []Page) []string {
	var s []string
	for _, p := range items {
		s = append(s, p.ID)
	}
	return s
}

func seqIDs(from, to int) []string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, strconv.Itoa(100000+i))
	}
	return s
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

func TestFetchPagesAll(t *testing.T) {
	srv := newServer(t, 30)
	srv.Put(confluencetest.Page{SpaceKey: "OPS", Title: "other space", LastModified: start})
	in := input(srv)
	in.PageSize = 7
	out, err := FetchPages(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(out.Items); !reflect.DeepEqual(got, seqIDs(1, 30)) || out.HasMore {
		t.Fatalf("ids %v HasMore %v", got, out.HasMore)
	}
	if want := out.Items[29].LastModified.UnixMilli(); out.MaxUpdated != want {
		t.Fatalf("MaxUpdated %d, want %d", out.MaxUpdated, want)
	}
	for i, r := range srv.Requests() {
		if r.Path != "/wiki/rest/api/content/search" || r.Auth != "Basic" || r.Limit != "7" || r.Expand != "body.storage,version,space,history" || r.Status != 200 ||
			!strings.HasPrefix(r.CQL, "type = page AND (space = ENG)") || !strings.HasSuffix(r.CQL, "order by lastmodified asc") {
			t.Errorf("request %d = %+v", i, r)
		}
	}
}

func TestDecodesFields(t *testing.T) {
	srv := newServer(t, 0)
	ist := time.FixedZone("", 5*3600+1800)
	mod := time.Date(2026, 3, 1, 14, 30, 5, 123e6, ist)
	srv.Put(confluencetest.Page{ID: "42", SpaceKey: "ENG", SpaceName: "Engineering", Title: "Runbook", Version: 7,
		LastModified: mod, Author: "Alice", Created: start.Add(-time.Hour), CreatedBy: "Bob",
		Body: `<h1>Runbook</h1><p>Restart &amp; check&nbsp;the <strong>queue</strong>.</p>` +
			`<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter><ac:plain-text-body><![CDATA[systemctl restart q
journalctl -u q]]></ac:plain-text-body></ac:structured-macro>` +
			`<ul><li><p>one</p></li><li>two<br/>more</li></ul><table><tbody><tr><th>k</th><th>v</th></tr><tr><td><p>a</p></td><td>b</td></tr></tbody></table>`})
	out, err := FetchPages(context.Background(), input(srv))
	if err != nil {
		t.Fatal(err)
	}
	want := Page{ID: "42", SpaceKey: "ENG", SpaceName: "Engineering", Title: "Runbook", Status: "current", Version: 7,
		LastModified: mod.UTC(), Author: "Alice", Created: start.Add(-time.Hour), CreatedBy: "Bob",
		Body: "Runbook\nRestart & check the queue.\nsystemctl restart q\njournalctl -u q\n- one\n- two\nmore\nk | v\na | b",
		URL:  srv.URL + "/wiki/spaces/ENG/pages/42/Runbook"}
	if len(out.Items) != 1 || !reflect.DeepEqual(out.Items[0], want) {
		t.Fatalf("page =\n%#v\nwant\n%#v", out.Items, want)
	}
	if out.MaxUpdated != mod.UnixMilli() {
		t.Fatalf("MaxUpdated %d", out.MaxUpdated)
	}
}

// CQL dates have minute precision in the API user's time zone. The node
// asks for the cursor's minute in that zone and drops what is older than
// the cursor, so the boundary is exact in any zone, including the
// half-hour ones.
func TestTimeZoneBoundary(t *testing.T) {
	for _, tc := range []struct {
		zone, literal string
	}{
		{"Asia/Kolkata", "2026-03-01 14:30"},     // +05:30
		{"America/St_Johns", "2026-03-01 05:30"}, // -03:30
		{"UTC", "2026-03-01 09:00"},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			srv := newServer(t, 0)
			srv.SetTimeZone(loc)
			cursor := start.Add(30*time.Second + 500*time.Millisecond) // 09:00:30.500Z
			srv.Put(
				confluencetest.Page{ID: "1", SpaceKey: "ENG", LastModified: start.Add(-time.Millisecond)}, // previous minute
				confluencetest.Page{ID: "2", SpaceKey: "ENG", LastModified: start.Add(10 * time.Second)},  // same minute, before
				confluencetest.Page{ID: "3", SpaceKey: "ENG", LastModified: cursor.Add(-time.Millisecond)},
				confluencetest.Page{ID: "4", SpaceKey: "ENG", LastModified: cursor.In(loc)}, // the cursor itself: read again
				confluencetest.Page{ID: "5", SpaceKey: "ENG", LastModified: cursor.Add(time.Millisecond)},
				confluencetest.Page{ID: "6", SpaceKey: "ENG", LastModified: start.Add(61 * time.Second)},
			)
			in := input(srv)
			in.TimeZone = tc.zone
			in.Since = strconv.FormatInt(cursor.UnixMilli(), 10)
			out, err := FetchPages(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(out.Items); !reflect.DeepEqual(got, []string{"4", "5", "6"}) {
				t.Fatalf("ids %v", got)
			}
			if r := srv.Requests()[0]; !strings.Contains(r.CQL, `lastmodified >= "`+tc.literal+`"`) || r.Results != 5 {
				t.Fatalf("CQL %q returned %d", r.CQL, r.Results)
			}
			// RFC 3339 in any offset is the same cursor.
			in.Since = cursor.In(time.FixedZone("", -7*3600)).Format(time.RFC3339Nano)
			if again, err := FetchPages(context.Background(), in); err != nil || !reflect.DeepEqual(again.Items, out.Items) {
				t.Fatalf("RFC 3339: %v %v", ids(again.Items), err)
			}
		})
	}
	// A TimeZone ahead of the user's real zone misses pages: the reason the
	// input exists.
	srv := newServer(t, 0)
	srv.SetTimeZone(time.FixedZone("NST", -3*3600-1800))
	srv.Put(confluencetest.Page{ID: "9", SpaceKey: "ENG", LastModified: start.Add(time.Hour)})
	in := input(srv)
	in.TimeZone, in.Since = "Asia/Kolkata", strconv.FormatInt(start.UnixMilli(), 10)
	if out, err := FetchPages(context.Background(), in); err != nil || len(out.Items) != 0 {
		t.Fatalf("wrong zone: %v %v", ids(out.Items), err)
	}
	in.TimeZone = "America/St_Johns"
	if out, err := FetchPages(context.Background(), in); err != nil || len(out.Items) != 1 {
		t.Fatalf("right zone: %v %v", ids(out.Items), err)
	}
}

// walk reads every result page with FetchPage, calling between(i) before
// page i+1.
func walk(t *testing.T, in PageInput, between func(i int)) ([]Page, []string) {
	t.Helper()
	var items []Page
	var tokens []string
	for i := 0; ; i++ {
		p, err := FetchPage(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, p.Items...)
		if p.NextPageToken == "" {
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

// A page modified between result pages moves to the end; the fake's
// offset cursors would then skip the page that slid back. The seek token
// does not.
func TestFetchPageSurvivesUpdatesBetweenPages(t *testing.T) {
	srv := newServer(t, 20)
	in := PageInput{BaseURL: srv.URL, Email: email, APIToken: token, PageSize: 5}
	items, _ := walk(t, in, func(i int) {
		if i == 0 {
			p, _ := srv.Get("100002")
			p.Title, p.Version, p.LastModified = "changed", 0, start.Add(24*time.Hour)
			srv.Put(p)
		}
	})
	if got := ids(items); !reflect.DeepEqual(got, append(seqIDs(1, 20), "100002")) {
		t.Fatalf("ids %v", got)
	}
	out, err := FetchPages(context.Background(), FetchInput{BaseURL: srv.URL, Email: email, APIToken: token})
	if err != nil || len(out.Items) != 20 || out.Items[19].Title != "changed" || out.Items[19].Version != 3 {
		t.Fatalf("%v %v", ids(out.Items), err)
	}
}

// More pages in one minute than fit in a result page: the seek cannot pass
// them, so the token follows _links.next; nothing is lost or repeated.
func TestManyPagesInOneMinute(t *testing.T) {
	srv := newServer(t, 0)
	for i := 1; i <= 23; i++ {
		srv.Put(confluencetest.Page{ID: strconv.Itoa(100000 + i), SpaceKey: "ENG", LastModified: start.Add(time.Duration(i%4) * time.Second)})
	}
	srv.Put(confluencetest.Page{ID: "100024", SpaceKey: "ENG", LastModified: start.Add(2 * time.Minute)})
	in := PageInput{BaseURL: srv.URL, Email: email, APIToken: token, PageSize: 5, Since: strconv.FormatInt(start.Add(time.Second).UnixMilli(), 10)}
	items, _ := walk(t, in, nil)
	got := ids(items)
	slices.Sort(got)
	var want []string
	for i := 1; i <= 24; i++ {
		if i%4 != 0 {
			want = append(want, strconv.Itoa(100000+i))
		}
	}
	want = append(want, "100024")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ids %v\nwant %v", got, want)
	}
	cursors := 0
	for _, r := range srv.Requests() {
		if r.Cursor != "" {
			cursors++
		}
	}
	if cursors == 0 {
		t.Fatal("the walk never followed _links.next")
	}
}

func TestTokenRestartable(t *testing.T) {
	srv := newServer(t, 12)
	in := PageInput{BaseURL: srv.URL, Email: email, APIToken: token, CQL: "space = ENG", PageSize: 4}
	p1, err := FetchPage(context.Background(), in)
	if err != nil || !p1.HasMore {
		t.Fatal(p1, err)
	}
	p, _ := srv.Get("100001")
	p.LastModified = start.Add(48 * time.Hour)
	srv.Put(p)
	in.PageToken = p1.NextPageToken
	rest, _ := walk(t, in, nil)
	if got := ids(rest); !reflect.DeepEqual(got, append(seqIDs(5, 12), "100001")) {
		t.Fatalf("after restart %v", got)
	}
	in.CQL = "space = OPS"
	if _, err := FetchPage(context.Background(), in); !isPermanent(err) {
		t.Fatalf("foreign token: %v", err)
	}
}

func TestErrorsClassified(t *testing.T) {
	srv := newServer(t, 3)
	in := input(srv)
	in.APIToken = "wrong-token-value"
	_, err := FetchPages(context.Background(), in)
	if !isPermanent(err) || !strings.HasPrefix(err.Error(), "confluence: 401 Unauthorized: Current user not permitted") || strings.Contains(err.Error(), "wrong-token-value") {
		t.Fatalf("401: %v", err)
	}
	in = input(srv)
	in.CQL = "space ~~ ENG"
	_, err = FetchPages(context.Background(), in)
	if !isPermanent(err) || !strings.Contains(err.Error(), "400 Bad Request: Could not parse cql") {
		t.Fatalf("400: %v", err)
	}
	srv.FailNext(1, http.StatusTooManyRequests, "12")
	_, err = FetchPages(context.Background(), input(srv))
	if retryAfter(err) != 12*time.Second || isPermanent(err) {
		t.Fatalf("429: %v", err)
	}
	srv.FailNext(1, http.StatusServiceUnavailable, "")
	_, err = FetchPages(context.Background(), input(srv))
	if err == nil || isPermanent(err) || retryAfter(err) != 0 {
		t.Fatalf("503: %v", err)
	}
	if n := srv.RequestCount(); n != 4 {
		t.Fatalf("%d requests: the node must not retry", n)
	}
	in = input(srv)
	in.BaseURL = srv.URL + "/nope"
	if _, err = FetchPages(context.Background(), in); !isPermanent(err) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("404: %v", err)
	}
	for _, bad := range []FetchInput{
		{Email: email, APIToken: token},
		{BaseURL: "http://u:" + token + "@x", Email: email, APIToken: token},
		{BaseURL: srv.URL, Email: email},
		{BaseURL: srv.URL, TimeZone: "Mars/Olympus"},
		{BaseURL: srv.URL, Since: "soon"},
		{BaseURL: srv.URL, PageSize: 251},
		{BaseURL: srv.URL, CQL: "space = ENG order by title"},
		{BaseURL: srv.URL, MaxPages: -1},
	} {
		_, err := FetchPages(context.Background(), bad)
		if !isPermanent(err) || strings.Contains(err.Error(), token) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
}

func TestWikiSuffixAndBearer(t *testing.T) {
	srv := confluencetest.NewServer()
	defer srv.Close()
	srv.RequireBearer("pat-1")
	srv.Put(confluencetest.Seed("ENG", 3, start)...)
	out, err := FetchPages(context.Background(), FetchInput{BaseURL: srv.URL + "/wiki/", APIToken: "pat-1"})
	if err != nil || len(out.Items) != 3 || srv.Requests()[0].Auth != "Bearer" {
		t.Fatalf("%v %v", ids(out.Items), err)
	}
}

func TestOutputsRoundTripJSON(t *testing.T) {
	srv := newServer(t, 12)
	out, err := FetchPages(context.Background(), input(srv))
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
	_, err := FetchPages(context.Background(), FetchInput{BaseURL: strings.Replace(plain.URL, "http://", "https://", 1)})
	if err == nil || !isPermanent(err) || !strings.Contains(err.Error(), "BaseURL should start with http://") {
		t.Fatalf("err %v, want a permanent error with a BaseURL hint", err)
	}
}
