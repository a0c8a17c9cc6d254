package jiratest

import (
	"fmt"
	"time"
)

// Seed returns n deterministic issues PLAT-1..PLAT-n for tests and examples.
// Issue i is updated at start + i*90s (plus a few milliseconds), except that
// every tenth issue shares its predecessor's timestamp (a tie at a cursor
// boundary), in a rotation of offsets (UTC, +05:30, -08:00, +01:00). The
// data covers the awkward cases: null assignee, hidden email, null priority,
// null story points, fractional story points, no labels and no description.
func Seed(n int, start time.Time) []Issue {
	zones := []*time.Location{
		time.UTC,
		time.FixedZone("IST", 5*3600+1800),
		time.FixedZone("PST", -8*3600),
		time.FixedZone("CET", 3600),
	}
	statuses := []struct{ name, cat string }{
		{"To Do", "new"}, {"In Progress", "indeterminate"}, {"In Review", "indeterminate"}, {"Done", "done"},
	}
	priorities := []string{"High", "Medium", "Low", "Highest", ""}
	types := []string{"Bug", "Story", "Task"}
	points := []float64{1, 2, 3, 5, 8, 0.5}
	labelSets := [][]string{nil, {"backend"}, {"auth", "web"}, {"infra", "oncall", "p1"}}
	people := []*User{
		nil,
		{AccountID: "5b10a2844c20165700ede21g", DisplayName: "Alice Example", EmailAddress: "alice@example.com"},
		{AccountID: "5b10ac8d82e05b22cc7d4ef5", DisplayName: "Bob Private"}, // email hidden
	}

	out := make([]Issue, 0, n)
	var prev time.Time
	for i := range n {
		updated := start.Add(time.Duration(i)*90*time.Second + time.Duration(i*37%1000)*time.Millisecond)
		if i%10 == 9 {
			updated = prev
		}
		prev = updated
		updated = updated.In(zones[i%len(zones)])
		st := statuses[i%len(statuses)]
		is := Issue{
			Key:            fmt.Sprintf("PLAT-%d", i+1),
			ProjectName:    "Platform",
			Summary:        fmt.Sprintf("Seeded issue %d", i+1),
			Status:         st.name,
			StatusCategory: st.cat,
			Priority:       priorities[i%len(priorities)],
			IssueType:      types[i%len(types)],
			Assignee:       people[i%len(people)],
			Created:        updated.Add(-time.Duration(i%48+1) * time.Hour),
			Updated:        updated,
			Labels:         labelSets[i%len(labelSets)],
		}
		if i%6 != 0 {
			p := points[i%len(points)]
			is.StoryPoints = &p
		}
		if i%5 != 0 {
			is.Description = Doc(fmt.Sprintf("Steps to reproduce issue %d.", i+1), "Expected: it works.")
		}
		out = append(out, is)
	}
	return out
}
