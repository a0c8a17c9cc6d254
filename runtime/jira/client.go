package jira

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/httpsource"
	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// httpClient is used for every request (tests replace it). It has no
// overall timeout: each request gets its own deadline (RequestTimeout).
var httpClient = httpsource.NewClient()

// DefaultRequestTimeout bounds one HTTP request (connecting, waiting for the
// answer and reading it) when RequestTimeout is 0.
const DefaultRequestTimeout = 60 * time.Second

// maxBody bounds the size of a response body read into memory.
const maxBody = 256 << 20

const userAgent = "resolute-gen-jira/1"

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

// source is the query's view of its server, for messages and requests.
func (q *query) source() *httpsource.Source {
	return &httpsource.Source{Name: "jira", Where: "GET " + q.endpoint, Secrets: q.secrets, Timeout: q.timeout, MaxBody: maxBody}
}

// get makes one request under q.timeout.
func (q *query) get(ctx context.Context, target string) (*wirePage, error) {
	header := http.Header{"Accept": {"application/json"}, "User-Agent": {userAgent}}
	if q.auth != "" {
		header.Set("Authorization", q.auth)
	}
	resp, body, err := q.source().Get(ctx, httpClient, target, header, q.statusError)
	if err != nil {
		return nil, err
	}
	var wp wirePage
	if err := json.Unmarshal(body, &wp); err != nil || wp.Issues == nil {
		return nil, nodeerr.Permanent(fmt.Errorf("jira: GET %s answered %s with Content-Type %q, which is not a search result (want JSON with \"issues\"; is BaseURL the Jira site?): %s",
			q.endpoint, httpsource.StatusText(resp), resp.Header.Get("Content-Type"), q.source().Snippet(body)))
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
	} else if text := httpsource.BodyText(body); text != "" {
		parts = append(parts, text)
	}
	msg := q.source().StatusMessage(resp, parts)
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
	configuration := code == http.StatusUnauthorized || code == http.StatusForbidden
	return q.source().Status(code, msg, transient, configuration, httpsource.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
}
