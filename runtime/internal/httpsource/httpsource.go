// Package httpsource holds what the HTTP source nodes (jira, github,
// confluence) share: the HTTP client, one GET under a per-request deadline,
// the classification of transport failures and of non-2xx answers for the
// runtime's retry (through the nodeerr contract), Retry-After parsing, and
// body snippets with the credentials removed. Each provider keeps its own
// error bodies and hints; every message starts with the provider's name.
package httpsource

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/runtime/nodeerr"
	"github.com/resolute/resolute-gen/runtime/pagecache"
)

// NewClient returns the client the sources use. It has no overall timeout:
// each request gets its own deadline (Source.Timeout).
func NewClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}

// maxErrorBody bounds the body of a non-2xx answer read for its message.
const maxErrorBody = 64 << 10

// Source is one query's view of its server.
type Source struct {
	// Name starts every message, such as "jira".
	Name string
	// Where names the request in messages without its query string (which
	// may hold the user's query), such as "GET https://x/rest/api/3/search/jql".
	Where string
	// Secrets are removed from every message (replaced by [REDACTED]).
	Secrets []string
	// Timeout is the deadline of one request: connecting, waiting for the
	// answer and reading it.
	Timeout time.Duration
	// MaxBody bounds the size of a 2xx body read into memory.
	MaxBody int64
}

// Get makes one GET request of target under s.Timeout with header and
// returns the 2xx answer and its body. A failed request is classified by
// TransportError; a non-2xx answer is returned as status(resp, body), with
// at most 64 KiB of its body.
//
// Inside a stream's page fetch (ctx holds a pagecache.Cache), the answer
// the same request got before the process died is returned from the cache
// without a request, and a 2xx answer is stored there.
func (s *Source) Get(ctx context.Context, client *http.Client, target string, header http.Header,
	status func(resp *http.Response, body []byte) error) (*http.Response, []byte, error) {
	cache := pagecache.FromContext(ctx)
	var key string
	if cache != nil {
		key = pagecache.Key(http.MethodGet, target, nil)
		if meta, body, ok := cache.Get(key); ok {
			if resp, ok := cachedResponse(meta); ok {
				return resp, body, nil
			}
		}
	}
	resp, body, err := s.get(ctx, client, target, header, status)
	if err == nil && cache != nil {
		cache.Put(key, responseMeta(resp), body)
	}
	return resp, body, err
}

// responseMeta is what the page cache keeps of an answer besides its body:
// the status line and the headers (the Link header of the next page, the
// Content-Type of messages), in HTTP's text form.
func responseMeta(resp *http.Response) []byte {
	var b bytes.Buffer
	b.WriteString(StatusText(resp))
	b.WriteString("\r\n")
	resp.Header.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

// cachedResponse rebuilds the answer responseMeta described.
func cachedResponse(meta []byte) (*http.Response, bool) {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(meta)))
	line, err := r.ReadLine()
	if err != nil {
		return nil, false
	}
	code, _, _ := strings.Cut(line, " ")
	n, err := strconv.Atoi(code)
	if err != nil || n/100 != 2 {
		return nil, false
	}
	h, err := r.ReadMIMEHeader()
	if err != nil {
		return nil, false
	}
	return &http.Response{Status: line, StatusCode: n, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header(h)}, true
}

func (s *Source) get(ctx context.Context, client *http.Client, target string, header http.Header,
	status func(resp *http.Response, body []byte) error) (*http.Response, []byte, error) {
	rctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nil, nodeerr.Permanent(fmt.Errorf("%s: %v", s.Name, s.Redact(err.Error())))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, s.TransportError(ctx, rctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return resp, body, status(resp, body)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.MaxBody))
	if err != nil {
		return resp, nil, s.TransportError(ctx, rctx, fmt.Errorf("reading the response: %w", err))
	}
	return resp, body, nil
}

// TransportError classifies a failed request: ctx is the caller's context,
// rctx the request's (with its deadline). The caller's cancellation is
// returned as such; a passed deadline, a refused or reset connection and
// anything unknown are transient; a host that does not exist (DNS), an
// http:// or https:// scheme the server does not speak, and a certificate
// not valid for the server are permanent.
func (s *Source) TransportError(ctx, rctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL may hold the query; Where names the request
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s: %s: %w", s.Name, s.Where, cerr)
	}
	if errors.Is(rctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: %s: no complete answer within RequestTimeout %s (the server accepted the request but did not answer in time)", s.Name, s.Where, s.Timeout)
	}
	msg := s.Redact(err.Error())
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return nodeerr.Permanent(fmt.Errorf("%s: %s: host %q not found (DNS); check BaseURL: %s", s.Name, s.Where, dnsErr.Name, msg))
	}
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) || strings.Contains(msg, "server gave HTTP response to HTTPS client") {
		return nodeerr.Permanent(fmt.Errorf("%s: %s: the server answered plain HTTP to a TLS handshake; BaseURL should start with http://, or name the server's HTTPS port: %s", s.Name, s.Where, msg))
	}
	if strings.Contains(msg, "malformed HTTP response") || strings.Contains(msg, "malformed HTTP status code") {
		return nodeerr.Permanent(fmt.Errorf("%s: %s: the server did not answer in HTTP (a TLS port addressed as http://?); BaseURL should start with https://: %s", s.Name, s.Where, msg))
	}
	var (
		unknownCA *x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid) || errors.As(err, &verify) {
		return nodeerr.Permanent(fmt.Errorf("%s: %s: the server's TLS certificate is not valid for it: %s", s.Name, s.Where, msg))
	}
	return fmt.Errorf("%s: %s: %s", s.Name, s.Where, msg)
}

// StatusMessage is the start of the message of a non-2xx answer: the
// name, the status and the parts the provider read from the body.
func (s *Source) StatusMessage(resp *http.Response, parts []string) string {
	msg := s.Name + ": " + StatusText(resp)
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	}
	return msg
}

// StatusError is a non-2xx answer, under the nodeerr marks Status adds.
type StatusError struct {
	Code int    // the HTTP status, such as 400
	Msg  string // the message, credentials removed
}

// Error returns the message.
func (e *StatusError) Error() string { return e.Msg }

// Status is the error of a non-2xx answer with status code and message msg
// (redacted here): a configuration error (nodeerr.Configuration) when
// configuration is set; else transient when transient is set, carrying
// retryAfter (nodeerr.RetryAfter) when it is positive; else permanent.
func (s *Source) Status(code int, msg string, transient, configuration bool, retryAfter time.Duration) error {
	err := error(&StatusError{Code: code, Msg: s.Redact(msg)})
	switch {
	case configuration:
		return nodeerr.Configuration(err)
	case !transient:
		return nodeerr.Permanent(err)
	case retryAfter > 0:
		return nodeerr.RetryAfter(err, retryAfter)
	}
	return err
}

// StatusText is the status line of resp, such as "404 Not Found".
func StatusText(resp *http.Response) string {
	if resp.Status != "" {
		return resp.Status
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
}

// BodyText is the start of a body for a message: whitespace collapsed, at
// most 200 bytes (then "..."); "" for an empty body.
func BodyText(body []byte) string {
	text := strings.Join(strings.Fields(string(body)), " ")
	if len(text) > 200 {
		text = strings.ToValidUTF8(text[:200], "") + "..."
	}
	return text
}

// Snippet is the start of a body quoted for a message: at most 200 bytes,
// whitespace collapsed, invalid UTF-8 replaced, credentials removed;
// "(empty body)" for an empty one.
func (s *Source) Snippet(body []byte) string {
	if len(body) > 400 {
		body = body[:400]
	}
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
	if text == "" {
		return "(empty body)"
	}
	text = s.Redact(text)
	if len(text) > 200 {
		text = strings.ToValidUTF8(text[:200], "") + "..."
	}
	return fmt.Sprintf("%q", text)
}

// ParseRetryAfter reads a Retry-After header, delay seconds or an HTTP
// date, at now; 0 when it is absent, unreadable or not in the future.
func ParseRetryAfter(v string, now time.Time) time.Duration {
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
		return max(t.Sub(now), 0)
	}
	return 0
}

// Redact removes the secrets from a message.
func (s *Source) Redact(msg string) string {
	for _, secret := range s.Secrets {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "[REDACTED]")
		}
	}
	return msg
}

// Collect reads pages in memory: page(first), then page(next) while a page
// returns a next token (non-empty) and, when maxPages > 0, fewer than
// maxPages pages were read (hasMore then reports that one remained). An item
// read twice (it changed while paging) is kept once, in its last-read
// version, at its first position (id names it). A token read twice stops
// the walk with an error (name starts its message), to avoid a loop.
func Collect[T any, K comparable, P any](name string, maxPages int, first P, id func(T) K,
	page func(P) (items []T, token string, next P, err error)) (items []T, pages int, hasMore bool, err error) {
	index := make(map[K]int)
	seen := make(map[string]bool)
	pos := first
	for {
		got, token, next, err := page(pos)
		if err != nil {
			return nil, pages, false, err
		}
		pages++
		for _, it := range got {
			if i, ok := index[id(it)]; ok {
				items[i] = it
				continue
			}
			index[id(it)] = len(items)
			items = append(items, it)
		}
		if token == "" {
			return items, pages, false, nil
		}
		if maxPages > 0 && pages >= maxPages {
			return items, pages, true, nil
		}
		if seen[token] {
			return nil, pages, false, fmt.Errorf("%s: page %d: the walk came back to a position it had read; stopping to avoid a loop", name, pages)
		}
		seen[token] = true
		pos = next
	}
}
