package jira

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// wireIssue is an issue as the search API returns it.
type wireIssue struct {
	ID     string                     `json:"id"`
	Key    string                     `json:"key"`
	Self   string                     `json:"self"`
	Fields map[string]json.RawMessage `json:"fields"`
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
			return PageOutput{}, permanent(err)
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

// field decodes the named field into v; a missing or null field leaves v
// unchanged.
func field(w *wireIssue, name string, v any) error {
	raw, ok := w.Fields[name]
	if !ok || isNull(raw) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("jira: issue %s: field %s: %v", w.Key, name, err)
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func (q *query) decodeIssue(w *wireIssue) (Issue, error) {
	it := Issue{ID: w.ID, Key: w.Key, Self: w.Self}
	var (
		project          wireProject
		status           wireStatus
		priority, itype  wireNamed
		assignee         *wireUser
		created, updated string
	)
	for _, f := range []struct {
		name string
		v    any
	}{
		{"summary", &it.Summary},
		{"project", &project},
		{"status", &status},
		{"priority", &priority},
		{"issuetype", &itype},
		{"assignee", &assignee},
		{"created", &created},
		{"updated", &updated},
		{"labels", &it.Labels},
	} {
		if err := field(w, f.name, f.v); err != nil {
			return Issue{}, err
		}
	}
	it.Project, it.ProjectName = project.Key, project.Name
	if it.Project == "" {
		if i := strings.LastIndexByte(w.Key, '-'); i > 0 {
			it.Project = w.Key[:i]
		}
	}
	it.Status, it.StatusCategory = status.Name, status.StatusCategory.Key
	it.Priority, it.IssueType = priority.Name, itype.Name
	if assignee != nil {
		it.Assignee = assignee.DisplayName
		if assignee.EmailAddress != nil {
			it.AssigneeEmail = *assignee.EmailAddress
		}
	}
	var err error
	if created != "" {
		if it.Created, err = ParseTime(created); err != nil {
			return Issue{}, fmt.Errorf("jira: issue %s: field created: %v", w.Key, err)
		}
	}
	if updated != "" {
		if it.Updated, err = ParseTime(updated); err != nil {
			return Issue{}, fmt.Errorf("jira: issue %s: field updated: %v", w.Key, err)
		}
	}
	if raw, ok := w.Fields[q.spField]; ok && !isNull(raw) {
		sp, err := parseNumber(raw)
		if err != nil {
			return Issue{}, fmt.Errorf("jira: issue %s: field %s (story points): %v", w.Key, q.spField, err)
		}
		it.StoryPoints = &sp
	}
	if raw, ok := w.Fields["description"]; ok && !isNull(raw) {
		it.Description = FlattenADF(raw)
	}
	for _, name := range q.extra {
		if raw, ok := w.Fields[name]; ok {
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
