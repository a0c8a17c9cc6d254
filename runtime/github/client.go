package github

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/httpsource"
	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// Package hooks; tests replace them.
var (
	httpClient = httpsource.NewClient()

	now = time.Now

	// sleep waits for d or until ctx is done.
	sleep = func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
)

// APIVersion is the REST API version the node asks for.
const APIVersion = "2022-11-28"

const userAgent = "resolute-gen-github/1"

// maxBody bounds the size of a response body read into memory.
const maxBody = 64 << 20

// limits remembers the last rate-limit headers per API host and token.
var limits = struct {
	sync.Mutex
	m map[string]limitState
}{m: make(map[string]limitState)}

type limitState struct {
	remaining int
	reset     time.Time
}

// waitForBudget waits for the rate-limit reset when the last response said
// fewer than minRemaining requests remain.
func (q *query) waitForBudget(ctx context.Context) error {
	limits.Lock()
	st, ok := limits.m[q.limitKey]
	limits.Unlock()
	if !ok || st.remaining >= q.minRemaining {
		return nil
	}
	wait := st.reset.Sub(now())
	if wait <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); wait > q.maxWait || (ok && now().Add(wait).After(dl)) {
		return nodeerr.RetryAfter(
			fmt.Errorf("github: rate limit: %d requests remain until %s; waiting %s is longer than MaxRateLimitWait or the deadline allows", st.remaining, st.reset.UTC().Format(time.RFC3339), wait.Round(time.Second)),
			wait,
		)
	}
	if err := sleep(ctx, wait); err != nil {
		return fmt.Errorf("github: waiting for the rate-limit reset: %w", err)
	}
	return nil
}

// remember records the rate-limit headers of a response.
func (q *query) remember(h http.Header) {
	rem, err1 := strconv.Atoi(h.Get("X-Ratelimit-Remaining"))
	reset, err2 := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	limits.Lock()
	limits.m[q.limitKey] = limitState{remaining: rem, reset: time.Unix(reset, 0)}
	limits.Unlock()
}

// source is the query's view of its server, for messages and requests.
func (q *query) source() *httpsource.Source {
	return &httpsource.Source{Name: "github", Where: "GET " + q.endpoint, Secrets: []string{q.token}, Timeout: q.timeout, MaxBody: maxBody}
}

// get makes one request and returns the issues and the Link rel="next" URL.
func (q *query) get(ctx context.Context, target string) ([]wireIssue, string, error) {
	if err := q.waitForBudget(ctx); err != nil {
		return nil, "", err
	}
	header := http.Header{
		"Accept":               {"application/vnd.github+json"},
		"X-Github-Api-Version": {APIVersion},
		"User-Agent":           {userAgent},
	}
	if q.auth != "" {
		header.Set("Authorization", q.auth)
	}
	resp, body, err := q.source().Get(ctx, httpClient, target, header, func(resp *http.Response, body []byte) error {
		q.remember(resp.Header)
		return q.statusError(resp, body)
	})
	if err != nil {
		return nil, "", err
	}
	q.remember(resp.Header)
	var items []wireIssue
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&items); err != nil {
		return nil, "", fmt.Errorf("github: GET %s: reading the issues list: %s", q.endpoint, q.source().Redact(err.Error()))
	}
	return items, nextLink(resp.Header.Values("Link")), nil
}

var linkRE = regexp.MustCompile(`<([^>]*)>\s*;\s*rel="?([^";]*)"?`)

// nextLink returns the rel="next" URL of Link headers, or "".
func nextLink(values []string) string {
	for _, v := range values {
		for _, m := range linkRE.FindAllStringSubmatch(v, -1) {
			for _, rel := range strings.Fields(m[2]) {
				if rel == "next" {
					return m[1]
				}
			}
		}
	}
	return ""
}

// statusError classifies a non-2xx response: rate limits carry RetryAfter,
// 408 and 5xx are transient, other 4xx permanent.
func (q *query) statusError(resp *http.Response, body []byte) error {
	var eb struct {
		Message string `json:"message"`
		Errors  []struct {
			Resource string `json:"resource"`
			Field    string `json:"field"`
			Code     string `json:"code"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	var parts []string
	if json.Unmarshal(body, &eb) == nil && eb.Message != "" {
		parts = append(parts, eb.Message)
		for _, e := range eb.Errors {
			switch {
			case e.Message != "":
				parts = append(parts, e.Message)
			case e.Field != "":
				parts = append(parts, fmt.Sprintf("%s %s: %s", e.Resource, e.Field, e.Code))
			}
		}
	} else if text := httpsource.BodyText(body); text != "" {
		parts = append(parts, text)
	}
	msg := q.source().StatusMessage(resp, parts)
	code := resp.StatusCode
	h := resp.Header
	if code == http.StatusForbidden || code == http.StatusTooManyRequests {
		var wait time.Duration
		limited := code == http.StatusTooManyRequests || strings.Contains(strings.ToLower(eb.Message), "rate limit")
		if ra := httpsource.ParseRetryAfter(h.Get("Retry-After"), now()); ra > 0 {
			wait, limited = ra, true
		} else if h.Get("X-Ratelimit-Remaining") == "0" {
			limited = true
			if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
				wait = time.Unix(reset, 0).Sub(now())
			}
		}
		if limited {
			if wait <= 0 {
				wait = time.Minute
			}
			return q.source().Status(code, msg, true, false, wait)
		}
	}
	switch {
	case code == http.StatusRequestTimeout || code >= 500:
		return q.source().Status(code, msg, true, false, 0)
	case code == http.StatusUnauthorized:
		msg += " (check Token: a personal access token or app token that can read " + q.repo + ")"
	case code == http.StatusNotFound:
		msg += " (check Owner, Repo and BaseURL, and that Token can read " + q.repo + ": GitHub answers 404 for private repositories it hides)"
	}
	return q.source().Status(code, msg, false, false, 0)
}
