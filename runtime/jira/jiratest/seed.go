package jiratest

import (
	"fmt"
	"strconv"
	"time"
)

// Seed returns n deterministic issues PLAT-1..PLAT-n for tests and examples.
// Issue i is updated at start + i*90s (plus a few milliseconds), except that
// every tenth issue shares its predecessor's timestamp (a tie at a cursor
// boundary), in a rotation of offsets (UTC, +05:30, -08:00, +01:00). The
// data covers the awkward cases: null assignee, hidden email, null priority,
// null story points, fractional story points, no labels and no description.
// [Server.Generate] serves the same issues without holding them in memory.
func Seed(n int, start time.Time) []Issue {
	out := make([]Issue, 0, n)
	for i := range n {
		out = append(out, seedIssue(i, start))
	}
	return out
}

var (
	seedZones = []*time.Location{
		time.UTC,
		time.FixedZone("IST", 5*3600+1800),
		time.FixedZone("PST", -8*3600),
		time.FixedZone("CET", 3600),
	}
	seedStatuses = []struct{ name, cat string }{
		{"To Do", "new"}, {"In Progress", "indeterminate"}, {"In Review", "indeterminate"}, {"Done", "done"},
	}
	seedPriorities = []string{"High", "Medium", "Low", "Highest", ""}
	seedTypes      = []string{"Bug", "Story", "Task"}
	seedPoints     = []float64{1, 2, 3, 5, 8, 0.5}
	seedLabels     = [][]string{nil, {"backend"}, {"auth", "web"}, {"infra", "oncall", "p1"}}
	seedPeople     = []*User{
		nil,
		{AccountID: "5b10a2844c20165700ede21g", DisplayName: "Alice Example", EmailAddress: "alice@example.com"},
		{AccountID: "5b10ac8d82e05b22cc7d4ef5", DisplayName: "Bob Private"}, // email hidden
	}
)

// seedUpdated is the Updated time of seeded issue i (0-based).
func seedUpdated(i int, start time.Time) time.Time {
	j := i
	if i%10 == 9 {
		j = i - 1 // a tie with the predecessor
	}
	t := start.Add(time.Duration(j)*90*time.Second + time.Duration(j*37%1000)*time.Millisecond)
	return t.In(seedZones[i%len(seedZones)])
}

// seedIssue is seeded issue i (0-based), PLAT-(i+1).
func seedIssue(i int, start time.Time) Issue {
	updated := seedUpdated(i, start)
	st := seedStatuses[i%len(seedStatuses)]
	is := Issue{
		Key:            "PLAT-" + strconv.Itoa(i+1),
		ProjectName:    "Platform",
		Summary:        fmt.Sprintf("Seeded issue %d", i+1),
		Status:         st.name,
		StatusCategory: st.cat,
		Priority:       seedPriorities[i%len(seedPriorities)],
		IssueType:      seedTypes[i%len(seedTypes)],
		Assignee:       seedPeople[i%len(seedPeople)],
		Created:        updated.Add(-time.Duration(i%48+1) * time.Hour),
		Updated:        updated,
		Labels:         seedLabels[i%len(seedLabels)],
	}
	if i%6 != 0 {
		p := seedPoints[i%len(seedPoints)]
		is.StoryPoints = &p
	}
	if i%5 != 0 {
		is.Description = Doc(fmt.Sprintf("Steps to reproduce issue %d.", i+1), "Expected: it works.")
	}
	return is
}
