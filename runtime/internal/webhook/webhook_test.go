package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// A delivery starts the flows whose scheme and secret verify it; a second
// one before Take is coalesced; every delivery is counted.
func TestServer(t *testing.T) {
	counted := map[string]int{}
	s := New([]Hook{
		{Flow: "gh", Scheme: "github", Secret: []byte("s1")},
		{Flow: "gen", Scheme: "generic", Secret: []byte("s2")},
	}, slog.New(slog.NewTextHandler(io.Discard, nil)), func(flow, result string) { counted[flow+"/"+result]++ })
	post := func(path, header, sig string) int {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader("{}"))
		req.Header.Set(header, sig)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post("/webhook/gh", "X-Hub-Signature-256", sign("s1", "{}")); code != http.StatusAccepted {
		t.Fatalf("signed delivery: %d", code)
	}
	if code := post("/webhook", "X-Signature", sign("s2", "{}")); code != http.StatusAccepted {
		t.Fatalf("signed delivery to /webhook: %d", code)
	}
	if code := post("/webhook/gh", "X-Hub-Signature-256", sign("s1", "{}")); code != http.StatusAccepted {
		t.Fatalf("coalesced delivery: %d", code)
	}
	if code := post("/webhook/gen", "X-Signature", sign("s1", "{}")); code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", code)
	}
	if code := post("/webhook/nope", "X-Signature", sign("s2", "{}")); code != http.StatusNotFound {
		t.Fatalf("unknown flow: %d", code)
	}
	select {
	case <-s.Kick():
	default:
		t.Fatal("no kick")
	}
	if got := s.Take(); !slices.Equal(got, []string{"gh", "gen"}) {
		t.Errorf("Take = %v", got)
	}
	if got := s.Take(); len(got) != 0 {
		t.Errorf("second Take = %v", got)
	}
	if counted["gh/accepted"] != 2 || counted["/accepted"] != 1 || counted["gen/unauthorized"] != 1 || counted["/unknown_flow"] != 1 {
		t.Errorf("counted %v", counted)
	}
	if !KnownScheme("jira") || KnownScheme("gitlab") {
		t.Error("KnownScheme")
	}
}
