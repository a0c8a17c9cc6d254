package runtime

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/runtime/internal/cli"
)

func hmacHex(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func hookProgram() Program {
	noop := func(context.Context, *Run) error { return nil }
	return Program{
		Flows: []Flow{
			{Name: "gh", Run: noop, Trigger: &Trigger{Webhook: "github", Secret: "GH_SECRET"}},
			{Name: "jira", Run: noop, Trigger: &Trigger{Webhook: "jira", Secret: "JIRA_SECRET"}},
			{Name: "wiki", Run: noop, Trigger: &Trigger{Webhook: "confluence", Secret: "JIRA_SECRET"}},
			{Name: "other", Run: noop, Trigger: &Trigger{Webhook: "generic", Secret: "OTHER_SECRET"}},
			{Name: "plain", Run: noop},
		},
		Env: []EnvVar{{Name: "GH_SECRET", Secret: true}, {Name: "JIRA_SECRET", Secret: true}, {Name: "OTHER_SECRET", Secret: true}},
	}
}

// Each scheme reads its own header; /webhook starts every flow whose
// secret and scheme verify the delivery; a second delivery before the
// scheduler took the first is coalesced.
func TestWebhookSchemesAndPaths(t *testing.T) {
	h := newHarness(t, hookProgram(), map[string]string{"GH_SECRET": "gh-secret-1234567", "JIRA_SECRET": "jira-secret-12345", "OTHER_SECRET": "other-secret-1234"})
	w, err := newWebhooks(h.e)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	defer srv.Close()
	body := `{"webhookEvent":"jira:issue_updated"}`
	post := func(method, path, header, sig string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if header != "" {
			req.Header.Set(header, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	names := func(fs []Flow) (out []string) {
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	cases := []struct {
		path, header, secret string
		code                 int
		started              string
	}{
		{"/webhook/gh", "X-Hub-Signature-256", "gh-secret-1234567", 202, "gh"},
		{"/webhook/gh", "X-Hub-Signature", "gh-secret-1234567", 401, ""}, // GitHub's SHA-256 header only
		{"/webhook/jira", "X-Hub-Signature", "jira-secret-12345", 202, "jira"},
		{"/webhook/wiki", "X-Hub-Signature", "jira-secret-12345", 202, "wiki"},
		{"/webhook/other", "X-Signature", "other-secret-1234", 202, "other"},
		{"/webhook/other", "X-Signature", "gh-secret-1234567", 401, ""},
		{"/webhook", "X-Hub-Signature", "jira-secret-12345", 202, "jira wiki"}, // both flows sharing the secret and header
		{"/webhook", "X-Signature", "nope", 401, ""},
	}
	for _, c := range cases {
		code, _ := post(http.MethodPost, c.path, c.header, hmacHex(c.secret, body))
		got := strings.Join(names(w.take()), " ")
		if code != c.code || got != c.started {
			t.Errorf("%s with %s: status %d, started %q; want %d, %q", c.path, c.header, code, got, c.code, c.started)
		}
	}
	if code, _ := post(http.MethodGet, "/webhook/gh", "", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", code)
	}
	if code, _ := post(http.MethodPost, "/webhook/plain", "X-Signature", hmacHex("x", body)); code != http.StatusNotFound {
		t.Errorf("flow without trigger: %d", code)
	}
	post(http.MethodPost, "/webhook/gh", "X-Hub-Signature-256", hmacHex("gh-secret-1234567", body))
	_, msg := post(http.MethodPost, "/webhook/gh", "X-Hub-Signature-256", hmacHex("gh-secret-1234567", body))
	if !strings.Contains(msg, "flow gh: a run is already pending") || len(w.take()) != 1 || len(w.take()) != 0 {
		t.Errorf("a second delivery was not coalesced: %q", msg)
	}
	mustContain(t, "metrics", string(h.e.metrics.Exposition()), `resolute_webhook_deliveries_total{flow="gh",result="accepted"} 3`,
		`resolute_webhook_deliveries_total{flow="",result="unauthorized"} 1`)
}

func TestWebhookConfigErrors(t *testing.T) {
	h := newHarness(t, hookProgram(), map[string]string{"GH_SECRET": "gh-secret-1234567"})
	if _, err := newWebhooks(h.e); err == nil || !strings.Contains(err.Error(), "the webhook secret is not set: JIRA_SECRET, OTHER_SECRET") {
		t.Errorf("err = %v", err)
	}
	h = newHarness(t, Program{Flows: []Flow{{Name: "f", Run: func(context.Context, *Run) error { return nil }}}}, nil)
	if _, err := newWebhooks(h.e); err == nil || !strings.Contains(err.Error(), "no flow declares a trigger") {
		t.Errorf("err = %v", err)
	}
	if _, err := cli.Parse("prog", []string{"run", "--once", "--webhook-addr", ":0"}); err == nil || !strings.Contains(err.Error(), "--webhook-addr applies to run without --once") {
		t.Errorf("err = %v", err)
	}
	if _, err := cli.Parse("prog", []string{"status", "--webhook-addr", ":0"}); err == nil || !strings.Contains(err.Error(), "--webhook-addr only applies to the run command") {
		t.Errorf("err = %v", err)
	}
}
