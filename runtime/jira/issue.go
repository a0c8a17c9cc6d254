package jira

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// wireIssue is an issue as the search API returns it. The fields every
// sync reads decode in the same pass as the page (wireFields); a site's own
// story points field and the fields asked for through Fields come from a
// second pass into raw JSON, made only when such fields were requested.
type wireIssue struct {
	ID     string     `json:"id"`
	Key    string     `json:"key"`
	Self   string     `json:"self"`
	Fields wireFields `json:"fields"`

	raw map[string]json.RawMessage // set by rawFields when needed
}

// wireFields are the fields decoded into Issue.
type wireFields struct {
	Summary     *string         `json:"summary"`
	Project     *wireProject    `json:"project"`
	Status      *wireStatus     `json:"status"`
	Priority    *wireNamed      `json:"priority"`
	IssueType   *wireNamed      `json:"issuetype"`
	Assignee    *wireUser       `json:"assignee"`
	Created     *string         `json:"created"`
	Updated     *string         `json:"updated"`
	Labels      []string        `json:"labels"`
	Description json.RawMessage `json:"description"`
	StoryPoints json.RawMessage `json:"customfield_10016"` // DefaultStoryPointsField
}

// rawPage is a search result with each issue's fields as raw JSON.
type rawPage struct {
	Issues []struct {
		Fields map[string]json.RawMessage `json:"fields"`
	} `json:"issues"`
}

type wireNamed struct {
	Name string `json:"name"`
}

type wireProject struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

type wireStatus struct {
	Name           string `json:"name"`
	StatusCategory struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
}

type wireUser struct {
	DisplayName  string  `json:"displayName"`
	EmailAddress *string `json:"emailAddress"`
}

// TimeLayout is the layout of Jira's timestamps:
// 2026-03-01T09:46:08.304+0530 (the offset has no colon and is often not
// +0000).
const TimeLayout = "2006-01-02T15:04:05.000-0700"

// ParseTime parses a Jira timestamp (TimeLayout, or RFC 3339 as a fallback)
// and returns it in UTC.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse(time.RFC3339Nano, s); err2 != nil {
			return time.Time{}, err
		}
	}
	return t.UTC(), nil
}

func (q *query) decodePage(wp *wirePage) (PageOutput, error) {
	out := PageOutput{Items: make([]Issue, 0, len(wp.Issues))}
	for i := range wp.Issues {
		it, err := q.decodeIssue(&wp.Issues[i])
		if err != nil {
			return PageOutput{}, nodeerr.Permanent(err)
		}
		out.Items = append(out.Items, it)
	}
	isLast := wp.IsLast != nil && *wp.IsLast
	if !isLast && wp.NextPageToken != nil && *wp.NextPageToken != "" {
		out.NextPageToken = *wp.NextPageToken
		out.HasMore = true
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func (q *query) decodeIssue(w *wireIssue) (Issue, error) {
	f := &w.Fields
	it := Issue{ID: w.ID, Key: w.Key, Self: w.Self, Labels: f.Labels}
	if f.Summary != nil {
		it.Summary = *f.Summary
	}
	if f.Project != nil {
		it.Project, it.ProjectName = f.Project.Key, f.Project.Name
	}
	if it.Project == "" {
		if i := strings.LastIndexByte(w.Key, '-'); i > 0 {
			it.Project = w.Key[:i]
		}
	}
	if f.Status != nil {
		it.Status, it.StatusCategory = f.Status.Name, f.Status.StatusCategory.Key
	}
	if f.Priority != nil {
		it.Priority = f.Priority.Name
	}
	if f.IssueType != nil {
		it.IssueType = f.IssueType.Name
	}
	if f.Assignee != nil {
		it.Assignee = f.Assignee.DisplayName
		if f.Assignee.EmailAddress != nil {
			it.AssigneeEmail = *f.Assignee.EmailAddress
		}
	}
	var err error
	if f.Created != nil && *f.Created != "" {
		if it.Created, err = ParseTime(*f.Created); err != nil {
			return Issue{}, fmt.Errorf("jira: issue %s: field created: %v", w.Key, err)
		}
	}
	if f.Updated != nil && *f.Updated != "" {
		if it.Updated, err = ParseTime(*f.Updated); err != nil {
			return Issue{}, fmt.Errorf("jira: issue %s: field updated: %v", w.Key, err)
		}
	}
	sp := f.StoryPoints
	if q.spField != DefaultStoryPointsField {
		sp = w.raw[q.spField]
	}
	if len(sp) > 0 && !isNull(sp) {
		v, err := parseNumber(sp)
		if err != nil {
			return Issue{}, fmt.Errorf("jira: issue %s: field %s (story points): %v", w.Key, q.spField, err)
		}
		it.StoryPoints = &v
	}
	if len(f.Description) > 0 && !isNull(f.Description) {
		it.Description = FlattenADF(f.Description)
	}
	for _, name := range q.extra {
		if raw, ok := w.raw[name]; ok {
			if it.Extra == nil {
				it.Extra = make(map[string]json.RawMessage, len(q.extra))
			}
			it.Extra[name] = raw
		}
	}
	return it, nil
}

// parseNumber reads a JSON number, or a string holding one (some sites store
// story points in a text field).
func parseNumber(raw json.RawMessage) (float64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		return f, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("want a number, got %s", raw)
	}
	return strconv.ParseFloat(strings.TrimSpace(s), 64)
}
