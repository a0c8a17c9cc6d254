package jira

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// selectable maps each Go field of Issue to the Jira fields it is decoded
// from. ID, Key and Self come with every issue; StoryPoints stands for the
// story points field (StoryPointsField); Extra for the fields named in
// Fields, which are always requested.
var selectable = map[string][]string{
	"ID": nil, "Key": nil, "Self": nil, "Extra": nil,
	"Project": {"project"}, "ProjectName": {"project"},
	"Summary":        {"summary"},
	"Status":         {"status"},
	"StatusCategory": {"status"},
	"Priority":       {"priority"},
	"IssueType":      {"issuetype"},
	"Assignee":       {"assignee"}, "AssigneeEmail": {"assignee"},
	"Created":     {"created"},
	"Updated":     {"updated"},
	"Labels":      {"labels"},
	"StoryPoints": {storyPointsMarker},
	"Description": {"description"},
}

const storyPointsMarker = "\x00sp"

// FieldsFor returns the Jira fields (the search's fields parameter) needed
// to fill the named Issue fields ("Key", "Summary", ...), always including
// "updated"; StoryPoints is DefaultStoryPointsField here (FetchPage uses
// the input's StoryPointsField). An unknown name is an error that lists the
// known ones, so that a generator can check a Select list.
func FieldsFor(goNames []string) ([]string, error) {
	return fieldsFor(goNames, DefaultStoryPointsField)
}

func fieldsFor(goNames []string, spField string) ([]string, error) {
	need := map[string]bool{"updated": true}
	for _, n := range goNames {
		fs, ok := selectable[n]
		if !ok {
			known := make([]string, 0, len(selectable))
			for k := range selectable {
				known = append(known, k)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("jira: Select names %q, which is not a field of jira.Issue; known: %s", n, strings.Join(known, ", "))
		}
		for _, f := range fs {
			need[f] = true
		}
	}
	var out []string
	for _, f := range defaultFields { // in the usual order
		if need[f] {
			out = append(out, f)
		}
	}
	if need[storyPointsMarker] && !slices.Contains(out, spField) {
		out = append(out, spField)
	}
	return out, nil
}
