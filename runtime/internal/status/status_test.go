package status

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// One report gives the text and the JSON form; both flag the state that
// needs repair, and the JSON form lists it in "errors".
func TestReportTextAndJSON(t *testing.T) {
	end := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &Report{
		Program: "prog", StateDir: "/s", Spec: "sha256:x", Store: "file /s/cursors.json",
		Flows: []Flow{
			{Name: "a", Schedule: "@hourly", LastRun: &Summary{Flow: "a", RunID: "r1", Result: Failed, Error: "boom", Started: end.Add(-time.Second), Finished: end}},
			{Name: "b", Description: "B.", Unfinished: &Unfinished{RunID: "r2", Started: "2026-01-02T03:04:05.5Z", CompletedSteps: 3, Pages: 2}},
			{Name: "c", SummaryPath: "/s/last/c.json", SummaryErr: errors.New("bad json")},
		},
		Cursors: []Cursor{{Name: "n", Value: "5", Committed: true}, {Name: "t", Value: "0"}},
	}
	text, broken := r.Text()
	if broken {
		t.Error("Text: broken without a damaged journal or store")
	}
	for _, want := range []string{
		"  a  schedule @hourly\n    last run: failed at 2026-01-02T03:04:05Z (run r1, took 1s",
		"      error: boom\n",
		"  b  manual (run --once)\n    B.\n    last run: none\n    unfinished run: r2 started 2026-01-02T03:04:05Z, completed steps: 3, stream pages: 2; began under another spec, discard it with `prog run --once b --fresh`",
		"    last run: unreadable summary /s/last/c.json: bad json\n",
		"\nCursors:\n  n  5\n  t  0  (initial, never committed)\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	data, broken := r.JSON()
	if !broken {
		t.Error("JSON: an unreadable summary is not flagged")
	}
	var j struct {
		Store  string   `json:"cursor_store"`
		Errors []string `json:"errors"`
		Flows  []struct {
			LastRun    *Summary    `json:"last_run"`
			Unfinished *Unfinished `json:"unfinished"`
		} `json:"flows"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	if j.Store != r.Store || len(j.Errors) != 1 || j.Flows[0].LastRun.RunID != "r1" || j.Flows[1].Unfinished.CompletedSteps != 3 {
		t.Errorf("JSON:\n%s", data)
	}

	r.External, r.Store = true, "redis://host"
	r.CursorsErr = errors.New("store down")
	r.Flows[1].JournalErr = errors.New("journal damaged")
	text, broken = r.Text()
	if !broken || !strings.Contains(text, "unfinished run: journal damaged") || !strings.Contains(text, "Cursors (redis://host):\n  store down\n") {
		t.Errorf("broken = %v:\n%s", broken, text)
	}
}
