package jira

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

// churn changes the source as users do between page requests: updates of
// issues already read and not yet read, a creation and a move out of the
// query.
func churn(srv *jiratest.Server, rng *rand.Rand, n int) {
	var keys []string
	srv.Each(func(is jiratest.Issue) bool {
		if strings.HasPrefix(is.Key, "PLAT-") {
			keys = append(keys, is.Key)
		}
		return true
	})
	for range n {
		k := keys[rng.IntN(len(keys))]
		switch rng.IntN(6) {
		case 0:
			srv.Create("PLAT", "new")
		case 1:
			srv.Move(k, "OTHER")
		default:
			srv.Update(k, func(is *jiratest.Issue) { is.Summary += "!" })
		}
	}
}

// syncWalk walks FetchPage over jql from cursor, storing every issue in
// warehouse (key -> updated ms) and returning the cursor advanced to each
// page's MaxUpdated. It stops after stopAfter pages (0: never), returning
// the token to resume from, as a crash after a journaled page would.
func syncWalk(t *testing.T, srv *jiratest.Server, order string, cursor int64, token string, stopAfter int, warehouse map[string]int64) (int64, string) {
	t.Helper()
	in := PageInput{BaseURL: srv.URL, Email: email, APIToken: token0, PageSize: 20, PageToken: token,
		JQL: fmt.Sprintf("project = PLAT AND updated >= %d ORDER BY %s", cursor, order)}
	seen := map[string]bool{}
	for pages := 1; ; pages++ {
		p, err := FetchPage(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			warehouse[it.Key] = it.Updated.UnixMilli()
		}
		cursor = max(cursor, p.MaxUpdated)
		if !p.HasMore {
			return cursor, ""
		}
		if seen[p.NextPageToken] {
			t.Fatalf("token %q repeated", p.NextPageToken)
		}
		seen[p.NextPageToken] = true
		in.PageToken = p.NextPageToken
		if stopAfter > 0 && pages == stopAfter {
			return cursor, p.NextPageToken
		}
	}
}

const token0 = token

// missing returns the source's PLAT issues the warehouse lacks or holds in
// an older version.
func missing(srv *jiratest.Server, warehouse map[string]int64) []string {
	var out []string
	srv.Each(func(is jiratest.Issue) bool {
		if strings.HasPrefix(is.Key, "PLAT-") && warehouse[is.Key] != is.Updated.UnixMilli() {
			out = append(out, is.Key)
		}
		return true
	})
	return out
}

// moving runs a first sync of 600 issues in pages of 20 while the source
// changes before every other page request, crashes after 12 pages, changes
// the source again, resumes from the stored token, and then runs one more
// incremental sync from the cursor. It returns the issues missing from the
// warehouse.
func moving(t *testing.T, order string) []string {
	srv := newServer(t, 0)
	srv.Generate(600, start)
	rng := rand.New(rand.NewPCG(7, 7))
	srv.BeforeSearch(func(n int, _ jiratest.Request) {
		if n%2 == 1 {
			churn(srv, rng, 3)
		}
	})
	warehouse := map[string]int64{}
	cursor, tok := syncWalk(t, srv, order, 0, "", 12, warehouse)
	if tok == "" {
		t.Fatal("walk ended before the crash")
	}
	churn(srv, rng, 10) // between the crash and the resume
	// The resumed run uses the committed cursor (0), as the runtime does.
	cursor, _ = syncWalk(t, srv, order, 0, tok, 0, warehouse)
	srv.BeforeSearch(nil)
	syncWalk(t, srv, order, cursor, "", 0, warehouse)
	return missing(srv, warehouse)
}

func TestSeekWalkLosesNothingWhileSourceMoves(t *testing.T) {
	if lost := moving(t, "updated ASC, key ASC"); len(lost) > 0 {
		t.Fatalf("%d issues missing after the walk and one more run: %v", len(lost), lost)
	}
	if lost := moving(t, "UPDATED asc"); len(lost) > 0 {
		t.Fatalf("updated ASC alone: %d issues missing: %v", len(lost), lost)
	}
}

// TestJiraTokenWalkLosesRows shows what the seek walk prevents: the same
// run following Jira's (offset) tokens skips issues for good.
func TestJiraTokenWalkLosesRows(t *testing.T) {
	if lost := moving(t, "updated"); len(lost) == 0 {
		t.Fatal("the offset walk lost nothing; the moving-source test would not catch a regression")
	}
}

func TestSeekWalkTiesBeyondAPage(t *testing.T) {
	// 45 issues in one millisecond, pages of 20: the walk continues inside
	// the search with Jira's token, then seeks again.
	srv := newServer(t, 0)
	var all []jiratest.Issue
	for i := 1; i <= 60; i++ {
		u := start
		if i > 45 {
			u = start.Add(time.Duration(i) * time.Millisecond)
		}
		all = append(all, jiratest.Issue{Key: fmt.Sprintf("PLAT-%d", i), Updated: u})
	}
	srv.Put(all...)
	wh := map[string]int64{}
	syncWalk(t, srv, "updated ASC, key ASC", 0, "", 0, wh)
	if len(wh) != 60 {
		t.Fatalf("%d issues read, want 60", len(wh))
	}
	var jiraTokens int
	for _, r := range srv.Requests() {
		if r.NextPageToken != "" {
			jiraTokens++
		}
	}
	if jiraTokens == 0 {
		t.Fatal("no request continued with Jira's token inside the tie")
	}
}

func TestTokenRoundTrip(t *testing.T) {
	for _, p := range []position{
		{seek: true, query: -1},
		{seek: true, query: 1772355600000, skip: []string{"PLAT-9", "PLAT-10"}},
		{seek: true, query: 5, skip: []string{"A-1"}, jira: "eyJ:x:y"},
		{jira: "abc"},
	} {
		got, err := decodePosition(p.encode(), p.seek)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(p) {
			t.Errorf("%+v -> %q -> %+v, %v", p, p.encode(), got, err)
		}
	}
	if _, err := decodePosition("s1:x", true); err == nil || !isPermanent(err) {
		t.Fatalf("bad token: %v", err)
	}
	for jql, want := range map[string]string{
		"project = PLAT ORDER BY updated ASC, key ASC":    "updated ASC, key ASC",
		"summary ~ \"order by x\" order\nby updated asc":  "updated asc",
		"(project = A ORDER BY key) ORDER BY updated ASC": "updated ASC",
		"project = PLAT": "",
		"borders = 1 AND recorder = 2 ORDER BY updated ASC": "updated ASC",
	} {
		if _, got := splitOrder(jql); got != want {
			t.Errorf("splitOrder(%q) order = %q, want %q", jql, got, want)
		}
	}
}
