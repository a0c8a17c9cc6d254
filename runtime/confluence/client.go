package confluence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
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
)

const userAgent = "resolute-gen-confluence/1"

const maxBody = 256 << 20

// get makes one request.
func (q *query) get(ctx context.Context, target string) (*wirePage, error) {
	rctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nodeerr.Permanent(fmt.Errorf("confluence: %v", q.redact(err.Error())))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if q.auth != "" {
		req.Header.Set("Authorization", q.auth)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, q.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, q.statusError(resp, body)
	}
	var wp wirePage
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&wp); err != nil {
		return nil, q.transportError(ctx, fmt.Errorf("reading the search response: %w", err))
	}
	return &wp, nil
}

func (q *query) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("confluence: %w", ctx.Err())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("confluence: request to %s took longer than RequestTimeout (%s)", q.wiki, q.timeout)
	}
	return fmt.Errorf("confluence: %s", q.redact(err.Error()))
}

// statusError classifies a non-2xx response.
func (q *query) statusError(resp *http.Response, body []byte) error {
	var eb struct {
		Message string `json:"message"`
		Errors  []struct {
			Message struct {
				Translation string `json:"translation"`
			} `json:"message"`
		} `json:"errors"`
	}
	var parts []string
	if json.Unmarshal(body, &eb) == nil && eb.Message != "" {
		parts = append(parts, eb.Message)
		for _, e := range eb.Errors {
			if e.Message.Translation != "" {
				parts = append(parts, e.Message.Translation)
			}
		}
	} else if text := strings.Join(strings.Fields(string(body)), " "); text != "" {
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		parts = append(parts, text)
	}
	code := resp.StatusCode
	msg := fmt.Sprintf("confluence: %d %s", code, http.StatusText(code))
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	}
	switch {
	case code == http.StatusTooManyRequests:
		d := parseRetryAfter(resp.Header.Get("Retry-After"))
		if d <= 0 {
			d = time.Minute
		}
		return nodeerr.RetryAfter(errors.New(q.redact(msg)), d)
	case code == http.StatusRequestTimeout || code >= 500:
		if d := parseRetryAfter(resp.Header.Get("Retry-After")); d > 0 {
			return nodeerr.RetryAfter(errors.New(q.redact(msg)), d)
		}
		return errors.New(q.redact(msg))
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		msg += " (check Email and APIToken: Confluence Cloud needs the account's email with an API token)"
	case code == http.StatusNotFound:
		msg += " (check BaseURL: it should be the site root, such as https://your-org.atlassian.net)"
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
		return time.Duration(max(s, 0) * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now())
	}
	return 0
}

func (q *query) redact(s string) string {
	for _, secret := range q.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}

// blockTags end a line of text.
var blockTags = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"li": true, "br": true, "tr": true, "div": true, "pre": true, "blockquote": true,
	"ul": true, "ol": true, "table": true, "hr": true, "ac:task": true,
}

// skipTags hide their content (macro parameters, not text).
var skipTags = map[string]bool{"ac:parameter": true, "style": true, "script": true}

// StorageToText converts Confluence storage format (XHTML with ac: and ri:
// elements) to plain text: tags are stripped, entities decoded, CDATA kept
// (code macros), macro parameters dropped, and each paragraph, heading,
// list item (prefixed "- "), table row (cells joined with " | ") or line
// break starts a line. Blank lines are dropped.
func StorageToText(s string) string {
	var lines []string
	var cur strings.Builder
	cells := 0
	flush := func() {
		line := strings.Join(strings.Fields(html.UnescapeString(cur.String())), " ")
		if line == "-" {
			return // a list item's paragraph follows its marker
		}
		if line != "" {
			lines = append(lines, line)
		}
		cur.Reset()
		cells = 0
	}
	skip, inCell := 0, 0
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "<![CDATA[") {
			end := strings.Index(s[i:], "]]>")
			if end < 0 {
				end = len(s) - i
			}
			text := s[i+len("<![CDATA[") : i+end]
			if skip == 0 {
				for j, l := range strings.Split(text, "\n") {
					if j > 0 {
						flush()
					}
					cur.WriteString(html.EscapeString(l))
				}
			}
			i += min(end+3, len(s)-i)
			continue
		}
		if s[i] != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			if skip == 0 {
				cur.WriteString(s[i : i+j])
			}
			i += j
			continue
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break
		}
		tag := s[i+1 : i+end]
		i += end + 1
		if strings.HasPrefix(tag, "!--") || strings.HasPrefix(tag, "?") || strings.HasPrefix(tag, "!") {
			continue
		}
		closing := strings.HasPrefix(tag, "/")
		selfClosing := strings.HasSuffix(tag, "/")
		name := strings.ToLower(strings.Fields(strings.Trim(tag, "/") + " ")[0])
		if skipTags[name] {
			switch {
			case selfClosing:
			case closing:
				skip = max(skip-1, 0)
			default:
				skip++
			}
			continue
		}
		if skip > 0 {
			continue
		}
		switch {
		case name == "td" || name == "th":
			if closing {
				inCell = max(inCell-1, 0)
			} else {
				if cells > 0 {
					cur.WriteString(" | ")
				}
				cells++
				inCell++
			}
		case inCell > 0 && name != "tr" && name != "table":
			cur.WriteString(" ") // a paragraph inside a cell
		case blockTags[name]:
			flush()
			if name == "li" && !closing {
				cur.WriteString("- ")
			}
		default:
			// An inline element: keep words apart where the markup did.
		}
	}
	flush()
	return strings.Join(lines, "\n")
}
