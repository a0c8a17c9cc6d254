package jira

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime"
	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

// classify asserts how the runtime's retry sees err: permanent or not, and
// the Retry-After delay it would honour.
func classify(t *testing.T, what string, err error, wantPermanent bool, wantRetryAfter time.Duration, wantText ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if runtime.IsPermanent(err) != wantPermanent {
		t.Errorf("%s: runtime.IsPermanent = %v, want %v (err: %v)", what, !wantPermanent, wantPermanent, err)
	}
	d, ok := runtime.RetryAfter(err)
	if ok != (wantRetryAfter > 0) || d != wantRetryAfter {
		t.Errorf("%s: runtime.RetryAfter = %v, %v; want %v (err: %v)", what, d, ok, wantRetryAfter, err)
	}
	for _, w := range wantText {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q lacks %q", what, err, w)
		}
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("%s: token in error %q", what, err)
	}
}

func TestStatusErrorsClassified(t *testing.T) {
	srv := newServer(t, 5)
	for _, tc := range []struct {
		status     int
		retryAfter string
		permanent  bool
		delay      time.Duration
		text       string
	}{
		{429, "7", false, 7 * time.Second, "429 Too Many Requests: Rate limit exceeded."},
		{503, "3", false, 3 * time.Second, "503 Service Unavailable"},
		{502, "", false, 0, "502 Bad Gateway"},
		{500, "", false, 0, "500"},
		{429, "", false, 0, "429"},
		{404, "", true, 0, "check BaseURL"},
		{410, "", true, 0, "410 Gone"},
		{403, "", true, 0, "403"},
	} {
		srv.ResetRequests()
		srv.FailNext(1, tc.status, tc.retryAfter)
		_, err := FetchIssues(context.Background(), input(srv))
		classify(t, http.StatusText(tc.status), err, tc.permanent, tc.delay, tc.text)
		if n := srv.RequestCount(); n != 1 {
			t.Errorf("%d: %d requests, want 1 (the node does not retry)", tc.status, n)
		}
	}
	// 401 says it is about credentials.
	in := input(srv)
	in.APIToken = "wrong"
	_, err := FetchIssues(context.Background(), in)
	classify(t, "401", err, true, 0, "401 Unauthorized", "credentials")
}

func TestDNSNotFoundPermanent(t *testing.T) {
	_, err := FetchIssues(context.Background(), FetchInput{BaseURL: "https://no-such-site.invalid", JQL: jql, RequestTimeout: 10 * time.Second})
	if err != nil && strings.Contains(err.Error(), "no complete answer") {
		t.Skip("the resolver did not answer in time here")
	}
	classify(t, "DNS", err, true, 0, "not found (DNS)", "no-such-site.invalid")
}

func TestTLSAgainstPlainHTTPPermanent(t *testing.T) {
	srv := newServer(t, 1)
	base := strings.Replace(srv.URL, "http://", "https://", 1)
	_, err := FetchIssues(context.Background(), FetchInput{BaseURL: base, Email: email, APIToken: token, JQL: jql})
	classify(t, "https to a plain port", err, true, 0, "plain HTTP", "http://")

	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	plain := strings.Replace(tlsSrv.URL, "https://", "http://", 1)
	_, err = FetchIssues(context.Background(), FetchInput{BaseURL: plain, JQL: jql})
	classify(t, "http to a TLS port", err, true, 0, "https://")
}

func TestHTMLBodyPermanent(t *testing.T) {
	srv := newServer(t, 3)
	srv.SetFaults(jiratest.Faults{HTML: 1})
	_, err := FetchIssues(context.Background(), input(srv))
	classify(t, "HTML 200", err, true, 0, "200 OK", `Content-Type "text/html;charset=UTF-8"`, "<!DOCTYPE html><html><head><title>Atlassian")
	if c := srv.Counts(); c.HTML != 1 || c.Requests != 1 {
		t.Fatalf("counts %+v", c)
	}
	// A JSON body of the wrong shape is no better.
	odd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer odd.Close()
	_, err = FetchIssues(context.Background(), FetchInput{BaseURL: odd.URL, JQL: jql})
	classify(t, "JSON without issues", err, true, 0, `{\"status\":\"ok\"}`)
}

func TestHangingServerTimesOut(t *testing.T) {
	srv := newServer(t, 3)
	srv.SetFaults(jiratest.Faults{Hang: 1})
	in := input(srv)
	in.RequestTimeout = 200 * time.Millisecond
	_, err := FetchIssues(context.Background(), in)
	classify(t, "hang", err, false, 0, "within RequestTimeout 200ms")
	if c := srv.Counts(); c.Hung != 1 {
		t.Fatalf("counts %+v", c)
	}
	// Once the server answers again the retry succeeds.
	srv.SetFaults(jiratest.Faults{})
	if out, err := FetchIssues(context.Background(), in); err != nil || len(out.Items) != 3 {
		t.Fatalf("after the hang: %v", err)
	}
}

func TestDroppedConnectionTransient(t *testing.T) {
	srv := newServer(t, 3)
	srv.SetFaults(jiratest.Faults{Drop: 1})
	_, err := FetchIssues(context.Background(), input(srv))
	classify(t, "dropped", err, false, 0, "GET "+srv.URL)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err = FetchIssues(context.Background(), FetchInput{BaseURL: closed.URL, JQL: jql})
	classify(t, "refused", err, false, 0, "refused")
}

func TestCallerCancelNotPermanent(t *testing.T) {
	srv := newServer(t, 3)
	srv.SetFaults(jiratest.Faults{Hang: 1})
	ctx, cancel := context.WithCancel(context.Background())
	srv.BeforeSearch(func(int, jiratest.Request) { cancel() })
	_, err := FetchIssues(ctx, input(srv))
	if !errors.Is(err, context.Canceled) || runtime.IsPermanent(err) {
		t.Fatalf("err = %v", err)
	}
}

// TestFaultStormPageRetries walks pages as a stream step does, retrying a
// page while its error is not permanent (the runtime's policy, here without
// delays): every transient fault is retried by the caller, one request per
// attempt, and the walk completes.
func TestFaultStormPageRetries(t *testing.T) {
	srv := newServer(t, 40)
	srv.SetFaults(jiratest.Faults{ServerError: 0.2, RateLimit: 0.1, RetryAfter: "0", Drop: 0.1, Seed: 3})
	in := PageInput{BaseURL: srv.URL, Email: email, APIToken: token, JQL: jql, PageSize: 5}
	read := map[string]bool{}
	for {
		var p PageOutput
		var err error
		for attempt := 1; ; attempt++ {
			if p, err = FetchPage(context.Background(), in); err == nil || runtime.IsPermanent(err) || attempt == 20 {
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			read[it.Key] = true
		}
		if !p.HasMore {
			break
		}
		in.PageToken = p.NextPageToken
	}
	if len(read) != 40 {
		t.Fatalf("read %d issues, want 40", len(read))
	}
	c := srv.Counts()
	if c.ServerErrors+c.RateLimited+c.Dropped == 0 || c.Requests != c.Pages+c.ServerErrors+c.RateLimited+c.Dropped {
		t.Fatalf("counts %+v", c)
	}
}
