package jira

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// retryPolicy says how page requests are retried inside the node.
type retryPolicy struct {
	retries       int           // retries after the first attempt
	base, max     time.Duration // exponential backoff bounds (before jitter)
	maxRetryAfter time.Duration // longer Retry-After values are returned, not slept
}

// Package hooks; tests replace them.
var (
	retry = retryPolicy{retries: 4, base: 5 * time.Second, max: 30 * time.Second, maxRetryAfter: time.Minute}

	// httpClient is used for every request. Its timeout bounds one request,
	// including reading the body.
	httpClient = &http.Client{
		Timeout: 90 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          10,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
	}

	// jitter returns a factor in [0.7, 1.3).
	jitter = func() float64 { return 0.7 + 0.6*rand.Float64() }

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

// maxBody bounds the size of a response body read into memory.
const maxBody = 256 << 20

const userAgent = "resolute-gen-jira/1"

// backoff returns the delay before retry number n (0-based), with jitter.
func (p retryPolicy) backoff(n int) time.Duration {
	d := p.base
	for i := 0; i < n && d < p.max; i++ {
		d *= 2
	}
	d = min(d, p.max)
	return time.Duration(float64(d) * jitter())
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Permanent() bool { return true }

func permanent(err error) error { return &permanentError{err} }

// retryAfterError carries the delay a server asked for.
type retryAfterError struct {
	err   error
	delay time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter reports the delay the server asked for before the next attempt.
func (e *retryAfterError) RetryAfter() time.Duration { return e.delay }

// statusError is a non-2xx response.
type statusError struct {
	status     int
	msg        string
	retryAfter time.Duration // from the Retry-After header; 0 when absent
}

func (e *statusError) Error() string { return e.msg }

// Configuration reports a response that only a change of configuration can
// fix: rejected credentials (401) or a missing permission (403). The
// runtime does not retry it and exits with status 2.
func (e *statusError) Configuration() bool {
	return e.status == http.StatusUnauthorized || e.status == http.StatusForbidden
}

func basicCredential(email, token string) string {
	return base64.StdEncoding.EncodeToString([]byte(email + ":" + token))
}

// wirePage is a response of /rest/api/3/search/jql.
type wirePage struct {
	Issues        []wireIssue `json:"issues"`
	NextPageToken *string     `json:"nextPageToken"`
	IsLast        *bool       `json:"isLast"`
}

// page reads one page, retrying transient failures.
func (q *query) page(ctx context.Context, token string) (PageOutput, error) {
	params := url.Values{}
	params.Set("jql", q.jql)
	params.Set("maxResults", strconv.Itoa(q.pageSize))
	params.Set("fields", strings.Join(q.fields, ","))
	if token != "" {
		params.Set("nextPageToken", token)
	}
	target := q.endpoint + "?" + params.Encode()

	var lastErr error
	for attempt := 0; ; attempt++ {
		wp, err := q.get(ctx, target)
		if err == nil {
			return q.decodePage(wp)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return PageOutput{}, fmt.Errorf("jira: %w (last error: %v)", ctxErr, q.redact(err.Error()))
		}
		var pe *permanentError
		if errors.As(err, &pe) {
			return PageOutput{}, err
		}
		lastErr = err
		var se *statusError
		isStatus := errors.As(err, &se)
		if isStatus && !retryableStatus(se.status) {
			return PageOutput{}, permanent(err)
		}
		var ra time.Duration
		if isStatus {
			ra = se.retryAfter
		}
		if attempt >= retry.retries || ra > retry.maxRetryAfter {
			break
		}
		d := retry.backoff(attempt)
		if ra > 0 {
			d = ra
		}
		if err := sleep(ctx, d); err != nil {
			return PageOutput{}, fmt.Errorf("jira: %w (last error: %v)", err, q.redact(lastErr.Error()))
		}
	}
	var se *statusError
	if errors.As(lastErr, &se) && se.retryAfter > 0 {
		return PageOutput{}, &retryAfterError{err: lastErr, delay: se.retryAfter}
	}
	return PageOutput{}, lastErr
}

func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

// get makes one request. It returns a *statusError for a non-2xx response
// and a plain (transient) error for network and decoding failures.
func (q *query) get(ctx context.Context, target string) (*wirePage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, permanent(fmt.Errorf("jira: %v", err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if q.auth != "" {
		req.Header.Set("Authorization", q.auth)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		// *url.Error names the URL, which holds the JQL but no credentials.
		return nil, fmt.Errorf("jira: %s", q.redact(err.Error()))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, q.statusError(resp, body)
	}
	var wp wirePage
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxBody))
	if err := dec.Decode(&wp); err != nil {
		return nil, fmt.Errorf("jira: reading search response: %v", err)
	}
	return &wp, nil
}

// statusError builds the error for a non-2xx response: the status, Jira's
// errorMessages and errors, and a hint for the usual causes.
func (q *query) statusError(resp *http.Response, body []byte) error {
	var eb struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
		Message       string            `json:"message"`
	}
	var parts []string
	if json.Unmarshal(body, &eb) == nil {
		parts = append(parts, eb.ErrorMessages...)
		for k, v := range eb.Errors {
			parts = append(parts, k+": "+v)
		}
		if eb.Message != "" {
			parts = append(parts, eb.Message)
		}
	} else if text := strings.Join(strings.Fields(string(body)), " "); text != "" {
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		parts = append(parts, text)
	}
	msg := "jira: " + resp.Status
	if resp.Status == "" {
		msg = fmt.Sprintf("jira: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		msg += " (check Email and APIToken: Jira Cloud needs the account's email with an API token; without Email, APIToken is sent as a Data Center personal access token)"
	case http.StatusNotFound:
		msg += " (check BaseURL: it should be the site root, such as https://your-org.atlassian.net)"
	case http.StatusGone:
		msg += " (the endpoint was removed from Jira)"
	}
	return &statusError{
		status:     resp.StatusCode,
		msg:        q.redact(msg),
		retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
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
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// redact removes credentials from a message.
func (q *query) redact(s string) string {
	for _, secret := range q.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}
