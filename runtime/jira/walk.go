package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/resolute/resolute-gen/runtime/internal/httpsource"
	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// splitOrder splits jql into its filter and its top-level ORDER BY clause
// (found case-insensitively, outside quotes and parentheses). order is ""
// when there is none.
func splitOrder(jql string) (filter, order string) {
	depth := 0
	var quote rune
	for i := 0; i < len(jql); i++ {
		c := rune(jql[i])
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && (c == 'o' || c == 'O') && (i == 0 || !isWordByte(jql[i-1])) &&
			len(jql) >= i+5 && strings.EqualFold(jql[i:i+5], "order") && (len(jql) == i+5 || !isWordByte(jql[i+5])):
			rest := strings.TrimLeftFunc(jql[i+5:], unicode.IsSpace)
			if len(rest) >= 2 && strings.EqualFold(rest[:2], "by") && (len(rest) == 2 || !isWordByte(rest[2])) {
				return strings.TrimSpace(jql[:i]), strings.TrimSpace(rest[2:])
			}
		}
	}
	return strings.TrimSpace(jql), ""
}

func isWordByte(b byte) bool {
	return b == '_' || b == '.' || b == '-' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

// seekable reports whether an ORDER BY clause is "updated ASC" or
// "updated ASC, key ASC" (any case, issuekey for key): the orders a page
// walk can follow by seek position.
func seekable(order string) bool {
	items := strings.Split(order, ",")
	if len(items) > 2 {
		return false
	}
	for i, it := range items {
		f := strings.Fields(strings.ToLower(it))
		if len(f) != 2 || f[1] != "asc" {
			return false
		}
		if i == 0 && f[0] != "updated" && f[0] != "updateddate" {
			return false
		}
		if i == 1 && f[0] != "key" && f[0] != "issuekey" {
			return false
		}
	}
	return true
}

// A position is where a page walk continues; FetchPage's tokens encode
// it (see encode).
type position struct {
	seek  bool     // a seek walk; else Jira's own token
	query int64    // seek: the search is "updated >= query" (-1: the original JQL)
	skip  []string // seek: keys at updated == query already returned
	jira  string   // Jira's nextPageToken within that search, or ""
}

const (
	seekPrefix = "s1:"
	jiraPrefix = "j1:"
)

// encode returns the token of p: "s1:<ms>:<keys>[:<jira token>]" for a seek
// walk (ms -1 for the original query; keys comma-separated) and
// "j1:<jira token>" otherwise.
func (p position) encode() string {
	if !p.seek {
		return jiraPrefix + p.jira
	}
	s := seekPrefix + strconv.FormatInt(p.query, 10) + ":" + strings.Join(p.skip, ",")
	if p.jira != "" {
		s += ":" + p.jira
	}
	return s
}

func decodePosition(tok string, seek bool) (position, error) {
	switch {
	case tok == "":
		return position{seek: seek, query: -1}, nil
	case strings.HasPrefix(tok, seekPrefix):
		if !seek {
			return position{}, nodeerr.Permanent(errors.New("jira: PageToken is a seek position, but the JQL is not ordered by \"updated ASC, key ASC\"; was the JQL changed during the walk?"))
		}
		parts := strings.SplitN(tok[len(seekPrefix):], ":", 3)
		if len(parts) < 2 {
			break
		}
		ms, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil || ms < -1 {
			break
		}
		p := position{seek: true, query: ms}
		if parts[1] != "" {
			p.skip = strings.Split(parts[1], ",")
		}
		if len(parts) == 3 {
			p.jira = parts[2]
		}
		return p, nil
	case strings.HasPrefix(tok, jiraPrefix):
		if seek {
			return position{seek: true, query: -1, jira: tok[len(jiraPrefix):]}, nil
		}
		return position{jira: tok[len(jiraPrefix):]}, nil
	default:
		// A bare Jira token, as FetchPage returned before its tokens were
		// versioned.
		return position{seek: seek, query: -1, jira: tok}, nil
	}
	return position{}, nodeerr.Permanent(fmt.Errorf("jira: PageToken %q is not a token FetchPage returned", truncate(tok, 80)))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// searchJQL returns the JQL of the search p continues.
func (q *query) searchJQL(p position) string {
	if !p.seek || p.query < 0 {
		return q.jql
	}
	cond := "updated >= " + strconv.FormatInt(p.query, 10)
	if q.filter != "" {
		cond = "(" + q.filter + ") AND " + cond
	}
	return cond + " ORDER BY updated ASC, key ASC"
}

// walk reads the page at p and returns it with the position of the next
// page (nil after the last).
func (q *query) walk(ctx context.Context, p position) (PageOutput, *position, error) {
	jql := q.searchJQL(p)
	raw, err := q.page(ctx, jql, p.jira)
	var se *httpsource.StatusError
	if err != nil && p.seek && p.jira != "" && errors.As(err, &se) && se.Code == http.StatusBadRequest {
		// Jira's token expired (after 7 days) or was refused: restart the
		// same seek search; the issues re-read are upserted again.
		p.jira = ""
		raw, err = q.page(ctx, jql, "")
	}
	if err != nil {
		return PageOutput{}, nil, err
	}
	out := PageOutput{Items: raw.Items[:0:0]}
	for _, it := range raw.Items {
		if p.seek && len(p.skip) > 0 && it.Updated.UnixMilli() == p.query && contains(p.skip, it.Key) {
			continue
		}
		out.Items = append(out.Items, it)
	}
	out.MaxUpdated = maxUpdated(out.Items)
	if !raw.HasMore {
		return out, nil, nil
	}
	var next position
	switch n := len(raw.Items); {
	case !p.seek:
		next = position{jira: raw.NextPageToken}
	case n == 0 || raw.Items[0].Updated.Equal(raw.Items[n-1].Updated):
		// The whole page is one millisecond: more ties than a page.
		// Seeking again would return the same page, so go on inside this
		// search with Jira's token.
		next = p
		next.jira = raw.NextPageToken
	default:
		last := raw.Items[n-1].Updated.UnixMilli()
		next = position{seek: true, query: last}
		for i := n - 1; i >= 0 && raw.Items[i].Updated.UnixMilli() == last; i-- {
			next.skip = append(next.skip, raw.Items[i].Key)
		}
	}
	return out, &next, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
