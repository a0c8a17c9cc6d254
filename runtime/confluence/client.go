package confluence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/httpsource"
)

// Package hooks; tests replace them.
var (
	httpClient = httpsource.NewClient()
	now        = time.Now
)

const userAgent = "resolute-gen-confluence/1"

const maxBody = 256 << 20

// source is the query's view of its server, for messages and requests.
func (q *query) source() *httpsource.Source {
	return &httpsource.Source{Name: "confluence", Where: "GET " + q.wiki + "/rest/api/content/search", Secrets: q.secrets, Timeout: q.timeout, MaxBody: maxBody}
}

// get makes one request.
func (q *query) get(ctx context.Context, target string) (*wirePage, error) {
	header := http.Header{"Accept": {"application/json"}, "User-Agent": {userAgent}}
	if q.auth != "" {
		header.Set("Authorization", q.auth)
	}
	_, body, err := q.source().Get(ctx, httpClient, target, header, q.statusError)
	if err != nil {
		return nil, err
	}
	var wp wirePage
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&wp); err != nil {
		return nil, fmt.Errorf("confluence: GET %s/rest/api/content/search: reading the search response: %s", q.wiki, q.source().Redact(err.Error()))
	}
	return &wp, nil
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
	} else if text := httpsource.BodyText(body); text != "" {
		parts = append(parts, text)
	}
	code := resp.StatusCode
	msg := q.source().StatusMessage(resp, parts)
	retryAfter := httpsource.ParseRetryAfter(resp.Header.Get("Retry-After"), now())
	switch {
	case code == http.StatusTooManyRequests:
		if retryAfter <= 0 {
			retryAfter = time.Minute
		}
		return q.source().Status(code, msg, true, false, retryAfter)
	case code == http.StatusRequestTimeout || code >= 500:
		return q.source().Status(code, msg, true, false, retryAfter)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		msg += " (check Email and APIToken: Confluence Cloud needs the account's email with an API token)"
	case code == http.StatusNotFound:
		msg += " (check BaseURL: it should be the site root, such as https://your-org.atlassian.net)"
	}
	return q.source().Status(code, msg, false, false, 0)
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
