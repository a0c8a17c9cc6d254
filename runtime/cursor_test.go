package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func cursorProgram() Program {
	return Program{Cursors: []CursorSpec{{Name: "n", Initial: "0"}, {Name: "t", Initial: "2024-01-01T00:00:00Z"}, {Name: "s", Initial: "a"}}}
}

func TestAdvanceForwardOnly(t *testing.T) {
	h := newHarness(t, cursorProgram(), nil)
	h.e.store.Commit(context.Background(), map[string]string{"n": "100"}, nil)
	sum, err := h.run(func(ctx context.Context, r *Run) error {
		r.Advance("n", "150")
		r.Advance("n", "120") // behind the staged 150: ignored
		r.Advance("n", "")    // empty: ignored
		r.Advance("t", "2024-06-01T00:00:00Z")
		r.Advance("t", "2024-03-01T00:00:00+00:00") // earlier: ignored
		r.Advance("s", "c")
		r.Advance("s", "b") // not comparable: accepted
		r.Advance("nope", "1")
		if got := r.Cursor("n"); got != "100" {
			t.Errorf("Cursor changed within the run: %s", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := h.cursors()
	if c["n"] != "150" || c["t"] != "2024-06-01T00:00:00Z" || c["s"] != "b" || len(c) != 3 {
		t.Errorf("committed %v", c)
	}
	if sum.Cursors["n"] != "150" {
		t.Errorf("summary cursors %v", sum.Cursors)
	}
	mustContain(t, "logs", h.logs.String(), "cursors only move forward", "from=150 to=120", "unknown cursor", "cursors.n=150")
}

func TestAdvanceBehindCommittedValue(t *testing.T) {
	h := newHarness(t, cursorProgram(), nil)
	h.e.store.Commit(context.Background(), map[string]string{"n": "100"}, nil)
	h.run(func(ctx context.Context, r *Run) error { r.Advance("n", "99"); return nil })
	if c := h.cursors(); c["n"] != "100" {
		t.Errorf("n = %s", c["n"])
	}
}

func TestRollbackPins(t *testing.T) {
	h := newHarness(t, cursorProgram(), nil)
	_, err := h.run(func(ctx context.Context, r *Run) error {
		r.Advance("n", "5")
		r.Advance("s", "z")
		r.Rollback("n")
		r.Advance("n", "6") // pinned: ignored
		r.ResetCursor("n")  // pinned: ignored
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := h.cursors(); c["n"] != "0" || c["s"] != "z" { // n keeps its initial value
		t.Errorf("committed %v", c)
	}
	mustContain(t, "logs", h.logs.String(), "cursor rolled back", "advance ignored: the cursor was rolled back")
}

func TestResetCursor(t *testing.T) {
	h := newHarness(t, cursorProgram(), nil)
	h.e.store.Commit(context.Background(), map[string]string{"n": "100"}, nil)
	_, err := h.run(func(ctx context.Context, r *Run) error {
		if r.Cursor("n") != "100" {
			t.Errorf("before reset: %s", r.Cursor("n"))
		}
		r.ResetCursor("n")
		if r.Cursor("n") != "0" {
			t.Errorf("after reset: %s", r.Cursor("n"))
		}
		r.Advance("n", "7") // forward from the initial value
		if r.Cursor("n") != "0" {
			t.Errorf("after advance: %s", r.Cursor("n"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := h.cursors(); c["n"] != "7" {
		t.Errorf("committed %v", c)
	}
	h.run(func(ctx context.Context, r *Run) error { r.ResetCursor("n"); return nil })
	if c := h.cursors(); c["n"] != "0" {
		t.Errorf("committed %v", c)
	}
}

func TestFailedRunLeavesCursorsUntouched(t *testing.T) {
	h := newHarness(t, cursorProgram(), nil)
	h.e.store.Commit(context.Background(), map[string]string{"n": "1"}, nil)
	before, _ := os.ReadFile(filepath.Join(h.e.dir, "cursors.json"))
	_, err := h.run(func(ctx context.Context, r *Run) error {
		r.Advance("n", "2")
		return errors.New("later step failed")
	})
	if err == nil {
		t.Fatal("want failure")
	}
	after, _ := os.ReadFile(filepath.Join(h.e.dir, "cursors.json"))
	if string(before) != string(after) {
		t.Errorf("cursors.json changed:\n%s\n%s", before, after)
	}
	if !h.journalExists() {
		t.Error("journal removed after a failed run")
	}
}

// The resumed run sees the cursor values of the header, not values set since.
func TestResumeUsesCursorSnapshot(t *testing.T) {
	h := newHarness(t, cursorProgram(), nil)
	var seen []string
	flow := func(ctx context.Context, r *Run) error {
		seen = append(seen, r.Cursor("n"))
		return errors.New("fail")
	}
	h.run(flow)
	h.e.store.Commit(context.Background(), map[string]string{"n": "50"}, nil)
	h.run(flow)
	if seen[0] != "0" || seen[1] != "0" {
		t.Errorf("seen %v", seen)
	}
}

// A crash after the cursors were committed but before the journal was
// removed: the next start replays everything and commits the same values.
func TestCrashBetweenCommitAndJournalRemoval(t *testing.T) {
	h := newHarness(t, cursorProgram(), nil)
	var c counter
	var saved []byte
	flow := func(ctx context.Context, r *Run) error {
		v, err := Call(ctx, r, "fetch", Options{}, func(context.Context) (string, error) {
			c.inc("fetch")
			n := len(r.Cursor("n")) // depends on the cursor value seen
			return string(rune('0' + n + 4)), nil
		})
		if err != nil {
			return err
		}
		r.Advance("n", v)
		saved, _ = os.ReadFile(r.st.j.Path())
		return nil
	}
	if _, err := h.run(flow); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(h.e.journalPath("f"), saved, 0o600) // as if the removal never happened
	sum, err := h.run(flow)
	if err != nil {
		t.Fatal(err)
	}
	if c.get("fetch") != 1 || sum.Replayed != 1 || h.cursors()["n"] != "5" {
		t.Errorf("fetch ran %d times, replayed %d, n = %s", c.get("fetch"), sum.Replayed, h.cursors()["n"])
	}
	if h.journalExists() {
		t.Error("journal left behind")
	}
}

// TestAdvanceTimeLayouts: a zero time (what a fetch that found nothing
// reports) never moves a cursor, in RFC 3339 or in the cursor's own layout,
// and times in a custom layout only move forward.
func TestAdvanceTimeLayouts(t *testing.T) {
	p := Program{Cursors: []CursorSpec{
		{Name: "rfc", Initial: ""},
		{Name: "jql", Initial: "2026-01-01 00:00", Format: "2006-01-02 15:04"},
	}}
	h := newHarness(t, p, nil)
	_, err := h.run(func(ctx context.Context, r *Run) error {
		r.Advance("rfc", time.Time{}.Format(time.RFC3339Nano)) // zero: ignored
		r.Advance("jql", time.Time{}.Format("2006-01-02 15:04"))
		r.Advance("jql", "2026-03-02 10:00")
		r.Advance("jql", "2026-02-01 00:00") // earlier: ignored
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := h.cursors()
	if c["rfc"] != h.e.prog.Cursors[0].Initial {
		t.Errorf("the zero time was committed to rfc: %v", c)
	}
	if c["jql"] != "2026-03-02 10:00" {
		t.Errorf("jql = %q, want 2026-03-02 10:00", c["jql"])
	}
	mustContain(t, "logs", h.logs.String(), "advance to the zero time ignored", "from=\"2026-03-02 10:00\" to=\"2026-02-01 00:00\"")
}

// A cursor file that parses but has the wrong shape stops the run with the
// file named and the repair command, instead of a silent resync from the
// initial values (issue 6, item 3).
func TestCursorFileWrongShapeStopsTheRun(t *testing.T) {
	for name, content := range map[string]string{
		"no version":              `{"cursors":{"n":"5","t":"2024-01-01T00:00:00Z","s":"a"}}`,
		"only a version":          `{"version":1}`,
		"wrong version":           `{"version":7,"cursors":{"n":"5"}}`,
		"empty cursors":           `{"version":2,"declared":["n","s","t"],"cursors":{}}`,
		"null cursors":            `{"version":2,"declared":["n","s","t"],"cursors":null}`,
		"no declared list":        `{"version":2,"cursors":{"n":"5","s":"a","t":"2024-01-01T00:00:00Z"}}`,
		"misspelt name":           `{"version":2,"declared":["n","s","t"],"cursors":{"nn":"5","s":"a","t":"2024-01-01T00:00:00Z"}}`,
		"declared cursor missing": `{"version":2,"declared":["n","s","t"],"cursors":{"s":"a","t":"2024-01-01T00:00:00Z"}}`,
		"v1 misspelt name":        `{"version":1,"cursors":{"nn":"5"}}`,
		"v1 empty cursors":        `{"version":1,"cursors":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, cursorProgram(), nil)
			path := filepath.Join(h.e.dir, "cursors.json")
			os.WriteFile(path, []byte(content), 0o600)
			ran := false
			_, err := h.run(func(ctx context.Context, r *Run) error { ran = true; return nil })
			if exitCode(err) != 2 || ran {
				t.Fatalf("err = %v, ran = %v; want a state error before the flow runs", err, ran)
			}
			mustContain(t, "error", err.Error(), path, "corrupt", "prog cursor set NAME VALUE")
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Errorf("the file was rewritten: %s", data)
			}
		})
	}
}

// A cursor the spec declared after the file was written starts from its
// initial value, with a log line; one the spec dropped is ignored.
func TestCursorAddedSinceStartsFromInitial(t *testing.T) {
	for name, content := range map[string]string{
		"v2": `{"version":2,"declared":["n","gone"],"cursors":{"n":"5","gone":"x"}}`,
		"v1": `{"version":1,"cursors":{"n":"5"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, cursorProgram(), nil)
			os.WriteFile(filepath.Join(h.e.dir, "cursors.json"), []byte(content), 0o600)
			var seen map[string]string
			_, err := h.run(func(ctx context.Context, r *Run) error {
				seen = map[string]string{"n": r.Cursor("n"), "s": r.Cursor("s")}
				r.Advance("s", "b")
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if seen["n"] != "5" || seen["s"] != "a" {
				t.Errorf("cursors seen %v", seen)
			}
			mustContain(t, "logs", h.logs.String(), "cursor s is not in the cursor file, which was written before the spec declared it: it starts from its initial value")
			if name == "v2" {
				mustContain(t, "logs", h.logs.String(), "cursor gone is in the cursor file but no longer declared")
			}
			data, _ := os.ReadFile(filepath.Join(h.e.dir, "cursors.json"))
			mustContain(t, "rewritten file", string(data), `"version": 2`, `"declared": [`, `"n": "5"`, `"s": "b"`, `"t": "2024-01-01T00:00:00Z"`)
			if strings.Contains(string(data), "gone") {
				t.Errorf("a dropped cursor stays in the file:\n%s", data)
			}
			// The rewritten file holds every declared cursor and loads cleanly.
			if _, err := h.run(func(ctx context.Context, r *Run) error { return nil }); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTypedAdvances: AdvanceInt and AdvanceTime compare typed values (the
// cursor's kind comes from its spec, not from the text), move cursors only
// forward, ignore the zero time and pinned cursors, and write times in UTC
// in the cursor's layout; Advance ignores empty text and orders text
// cursors not at all.
func TestTypedAdvances(t *testing.T) {
	p := Program{Cursors: []CursorSpec{
		{Name: "n", Initial: "0", Kind: CursorInt},
		{Name: "t", Initial: "2024-01-01T00:00:00Z", Kind: CursorTime},
		{Name: "jql", Initial: "2026-01-01 00:00", Format: "2006-01-02 15:04", Kind: CursorTime},
		{Name: "s", Initial: "", Kind: CursorText},
		{Name: "pinned", Initial: "1", Kind: CursorInt},
	}}
	h := newHarness(t, p, nil)
	h.e.store.Commit(context.Background(), map[string]string{"n": "100"}, nil)
	paris := time.FixedZone("CET", 3600)
	_, err := h.run(func(ctx context.Context, r *Run) error {
		r.AdvanceInt("n", 99) // behind the committed 100: ignored
		r.AdvanceInt("n", 150)
		r.AdvanceInt("n", 120) // behind the staged 150: ignored
		r.Advance("n", "130")  // text of an integer cursor, compared as an integer: ignored
		r.AdvanceTime("t", time.Time{})
		r.AdvanceTime("t", time.Date(2024, 6, 1, 2, 0, 0, 0, paris))
		r.AdvanceTime("t", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) // earlier: ignored
		r.AdvanceTime("jql", time.Date(2026, 3, 2, 11, 0, 0, 0, paris))
		r.AdvanceTime("jql", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) // earlier: ignored
		r.AdvanceTime("jql", time.Time{})                                 // zero: ignored
		r.Advance("s", "10")
		r.Advance("s", "9") // text has no order: accepted
		r.Advance("s", "")  // empty: ignored
		r.Rollback("pinned")
		r.AdvanceInt("pinned", 5) // pinned: ignored
		r.AdvanceInt("nope", 1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := h.cursors()
	want := map[string]string{"n": "150", "t": "2024-06-01T01:00:00Z", "jql": "2026-03-02 10:00", "s": "9", "pinned": "1"}
	for name, v := range want {
		if c[name] != v {
			t.Errorf("cursor %s = %q, want %q (all: %v)", name, c[name], v, c)
		}
	}
	mustContain(t, "logs", h.logs.String(),
		"from=100 to=99", "from=150 to=120", "from=150 to=130",
		"from=2024-06-01T01:00:00Z to=2024-03-01T00:00:00Z", "from=\"2026-03-02 10:00\" to=\"2026-02-01 00:00\"",
		"advance to the zero time ignored", "advance to an empty value ignored",
		"the cursor was rolled back in this run", "advance of an unknown cursor ignored")
}
