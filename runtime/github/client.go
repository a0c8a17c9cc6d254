package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// Package hooks; tests replace them.
var (
	httpClient = &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}

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

// get makes one request and returns the issues and the Link rel="next" URL.
func (q *query) get(ctx context.Context, target string) ([]wireIssue, string, error) {
	if err := q.waitForBudget(ctx); err != nil {
		return nil, "", err
	}
	rctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, "", nodeerr.Permanent(fmt.Errorf("github: %v", err))
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
	req.Header.Set("User-Agent", userAgent)
	if q.auth != "" {
		req.Header.Set("Authorization", q.auth)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, "", q.transportError(ctx, err)
	}
	defer resp.Body.Close()
	q.remember(resp.Header)
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, "", q.statusError(resp, body)
	}
	var items []wireIssue
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&items); err != nil {
		return nil, "", q.transportError(ctx, fmt.Errorf("reading the issues list: %w", err))
	}
	return items, nextLink(resp.Header.Values("Link")), nil
}

// transportError says whether the caller's context ended or the request's
// own deadline passed.
func (q *query) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("github: %w", ctx.Err())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("github: request to %s took longer than RequestTimeout (%s)", q.endpoint, q.timeout)
	}
	return fmt.Errorf("github: %s", q.redact(err.Error()))
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
	} else if text := strings.Join(strings.Fields(string(body)), " "); text != "" {
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		parts = append(parts, text)
	}
	msg := fmt.Sprintf("github: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	}
	code := resp.StatusCode
	h := resp.Header
	if code == http.StatusForbidden || code == http.StatusTooManyRequests {
		var wait time.Duration
		limited := code == http.StatusTooManyRequests || strings.Contains(strings.ToLower(eb.Message), "rate limit")
		if ra := parseRetryAfter(h.Get("Retry-After")); ra > 0 {
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
			return nodeerr.RetryAfter(errors.New(q.redact(msg)), wait)
		}
	}
	switch {
	case code == http.StatusRequestTimeout || code >= 500:
		return errors.New(q.redact(msg))
	case code == http.StatusUnauthorized:
		msg += " (check Token: a personal access token or app token that can read " + q.repo + ")"
	case code == http.StatusNotFound:
		msg += " (check Owner, Repo and BaseURL, and that Token can read " + q.repo + ": GitHub answers 404 for private repositories it hides)"
	}
	return nodeerr.Permanent(errors.New(q.redact(msg)))
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now())
	}
	return 0
}

// redact removes the token from a message.
func (q *query) redact(s string) string {
	if q.token != "" {
		s = strings.ReplaceAll(s, q.token, "[REDACTED]")
	}
	return s
}
