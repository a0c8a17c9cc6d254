package jira

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestSelectRequestsOnlyThoseFields(t *testing.T) {
	srv := newServer(t, 12)
	in := PageInput{BaseURL: srv.URL, Email: email, APIToken: token, JQL: jql, PageSize: 5,
		Select: []string{"Key", "Summary", "Status", "StatusCategory", "StoryPoints"}, StoryPointsField: "customfield_10028"}
	p, err := FetchPage(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if got, want := reqs[len(reqs)-1].Fields, "summary,status,updated,customfield_10028"; got != want {
		t.Fatalf("fields sent %q, want %q", got, want)
	}
	it := p.Items[1]
	if it.Key != "PLAT-2" || it.Summary != "Seeded issue 2" || it.Status == "" || it.Updated.IsZero() || it.ID == "" {
		t.Fatalf("selected fields not filled: %+v", it)
	}
	if it.Assignee != "" || !it.Created.IsZero() || it.Labels != nil || it.Description != "" {
		t.Fatalf("unselected fields filled: %+v", it)
	}
	// Extra fields named in Fields are still requested.
	in.Fields = []string{"customfield_10020"}
	in.Select = []string{"Key"}
	if _, err := FetchPage(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	reqs = srv.Requests()
	if got := reqs[len(reqs)-1].Fields; got != "updated,customfield_10020" {
		t.Fatalf("fields sent %q", got)
	}
	// Empty Select: every field.
	fin := input(srv)
	if _, err := FetchIssues(context.Background(), fin); err != nil {
		t.Fatal(err)
	}
	reqs = srv.Requests()
	if got := reqs[len(reqs)-1].Fields; !strings.Contains(got, "description") || !strings.Contains(got, "customfield_10016") {
		t.Fatalf("fields sent %q", got)
	}
	// An unknown name is permanent and lists the known ones.
	fin.Select = []string{"Sumary"}
	if _, err := FetchIssues(context.Background(), fin); !isPermanent(err) || !strings.Contains(err.Error(), `"Sumary"`) || !strings.Contains(err.Error(), "Summary") {
		t.Fatalf("unknown: %v", err)
	}
}

func TestFieldsFor(t *testing.T) {
	got, err := FieldsFor([]string{"Assignee", "AssigneeEmail", "Project", "StoryPoints", "Key"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"project", "assignee", "updated", DefaultStoryPointsField}; !reflect.DeepEqual(got, want) {
		t.Fatalf("FieldsFor = %v, want %v", got, want)
	}
	// Every exported field of Issue is selectable.
	typ := reflect.TypeOf(Issue{})
	for i := range typ.NumField() {
		if _, err := FieldsFor([]string{typ.Field(i).Name}); err != nil {
			t.Error(err)
		}
	}
}
