package jira

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// httpClient is used for every request (tests replace it). It has no
// overall timeout: each request gets its own deadline (RequestTimeout).
var httpClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	},
}

// DefaultRequestTimeout bounds one HTTP request (connecting, waiting for the
// answer and reading it) when RequestTimeout is 0.
const DefaultRequestTimeout = 60 * time.Second

// maxBody bounds the size of a response body read into memory.
const maxBody = 256 << 20

const userAgent = "resolute-gen-jira/1"

// statusError is a non-2xx response.
type statusError struct {
	status    int
	msg       string
	permanent bool
}

func (e *statusError) Error() string { return e.msg }

// Permanent reports whether retrying cannot help: every 4xx but 408 and 429.
func (e *statusError) Permanent() bool { return e.permanent }

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

// page reads one page of jql with one request. Its errors are classified
// for the runtime's retry (see the package doc); it never retries itself.
func (q *query) page(ctx context.Context, jql, token string) (PageOutput, error) {
	params := url.Values{}
	params.Set("jql", jql)
	params.Set("maxResults", strconv.Itoa(q.pageSize))
	params.Set("fields", strings.Join(q.fields, ","))
	if token != "" {
		params.Set("nextPageToken", token)
	}
	wp, err := q.get(ctx, q.endpoint+"?"+params.Encode())
	if err != nil {
		return PageOutput{}, err
	}
	return q.decodePage(wp)
}

// get makes one request under q.timeout.
func (q *query) get(ctx context.Context, target string) (*wirePage, error) {
	rctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nodeerr.Permanent(fmt.Errorf("jira: %v", q.redact(err.Error())))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if q.auth != "" {
		req.Header.Set("Authorization", q.auth)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, q.transportError(ctx, rctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, q.transportError(ctx, rctx, fmt.Errorf("reading the response: %w", err))
	}
	if resp.StatusCode/100 != 2 {
		return nil, q.statusError(resp, body)
	}
	var wp wirePage
	if err := json.Unmarshal(body, &wp); err != nil || wp.Issues == nil {
		return nil, nodeerr.Permanent(fmt.Errorf("jira: GET %s answered %s with Content-Type %q, which is not a search result (want JSON with \"issues\"; is BaseURL the Jira site?): %s",
			q.endpoint, statusText(resp), resp.Header.Get("Content-Type"), q.snippet(body)))
	}
	if q.spField != DefaultStoryPointsField || len(q.extra) > 0 {
		// A second pass for the fields wireFields does not name.
		var rp rawPage
		if err := json.Unmarshal(body, &rp); err != nil || len(rp.Issues) != len(wp.Issues) {
			return nil, nodeerr.Permanent(fmt.Errorf("jira: GET %s: the search result's fields do not decode: %v", q.endpoint, err))
		}
		for i := range wp.Issues {
			wp.Issues[i].raw = rp.Issues[i].Fields
		}
	}
	return &wp, nil
}

func statusText(resp *http.Response) string {
	if resp.Status != "" {
		return resp.Status
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
}

// snippet returns the start of a body for a message: at most 200 bytes,
// whitespace collapsed, credentials removed.
func (q *query) snippet(body []byte) string {
	if len(body) > 400 {
		body = body[:400]
	}
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
	if text == "" {
		return "(empty body)"
	}
	text = q.redact(text)
	if len(text) > 200 {
		text = strings.ToValidUTF8(text[:200], "") + "..."
	}
	return fmt.Sprintf("%q", text)
}

// transportError classifies a failed request: ctx is the caller's context,
// rctx the request's (with its deadline).
func (q *query) transportError(ctx, rctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL holds the JQL; the endpoint is named below
	}
	where := "GET " + q.endpoint
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("jira: %s: %w", where, cerr)
	}
	if errors.Is(rctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("jira: %s: no complete answer within RequestTimeout %s (the server accepted the request but did not answer in time)", where, q.timeout)
	}
	msg := q.redact(err.Error())
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return nodeerr.Permanent(fmt.Errorf("jira: %s: host %q not found (DNS); check BaseURL: %s", where, dnsErr.Name, msg))
	}
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) || strings.Contains(msg, "server gave HTTP response to HTTPS client") {
		return nodeerr.Permanent(fmt.Errorf("jira: %s: the server answered plain HTTP to a TLS handshake; BaseURL should start with http://, or name the server's HTTPS port: %s", where, msg))
	}
	if strings.Contains(msg, "malformed HTTP response") || strings.Contains(msg, "malformed HTTP status code") {
		return nodeerr.Permanent(fmt.Errorf("jira: %s: the server did not answer in HTTP (a TLS port addressed as http://?); BaseURL should start with https://: %s", where, msg))
	}
	var (
		unknownCA *x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid) || errors.As(err, &verify) {
		return nodeerr.Permanent(fmt.Errorf("jira: %s: the server's TLS certificate is not valid for it: %s", where, msg))
	}
	return fmt.Errorf("jira: %s: %s", where, msg)
}

// statusError builds the error for a non-2xx response: the status, Jira's
// errorMessages and errors, and a hint for the usual causes. 408, 429 and
// 5xx are transient (with RetryAfter when the server sent Retry-After);
// every other status is permanent.
func (q *query) statusError(resp *http.Response, body []byte) error {
	var eb struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
		Message       string            `json:"message"`
	}
	var parts []string
	if json.Unmarshal(body, &eb) == nil {
		parts = append(parts, eb.ErrorMessages...)
		keys := make([]string, 0, len(eb.Errors))
		for k := range eb.Errors {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			parts = append(parts, k+": "+eb.Errors[k])
		}
		if eb.Message != "" {
			parts = append(parts, eb.Message)
		}
	} else if text := strings.Join(strings.Fields(string(body)), " "); text != "" {
		if len(text) > 200 {
			text = strings.ToValidUTF8(text[:200], "") + "..."
		}
		parts = append(parts, text)
	}
	msg := "jira: " + statusText(resp)
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	}
	code := resp.StatusCode
	transient := code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
	switch {
	case code == http.StatusUnauthorized:
		msg += " (a credentials problem, not retried: check Email and APIToken: Jira Cloud needs the account's email with an API token; without Email, APIToken is sent as a Data Center personal access token)"
	case code == http.StatusForbidden:
		msg += " (check Email and APIToken, and that the account may browse these projects)"
	case code == http.StatusNotFound:
		msg += " (check BaseURL: it should be the site root, such as https://your-org.atlassian.net)"
	case code == http.StatusGone:
		msg += " (the endpoint was removed from Jira)"
	case code == http.StatusBadRequest && strings.Contains(string(body), "HTTP request to an HTTPS server"):
		msg += " (BaseURL should start with https://)"
	}
	err := error(&statusError{status: code, msg: q.redact(msg), permanent: !transient})
	if transient {
		if d := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); d > 0 {
			err = nodeerr.RetryAfter(err, d)
		}
	}
	return err
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
