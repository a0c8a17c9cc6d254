package tprt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/resolute/resolute-gen/runtime"
	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/cursorstore/pgstore"
)

// TestCommitIsCompareAndSet: a run commits only if the cursor still has
// the value the run began with (or already the one it commits, an earlier
// attempt of the same commit); a cursor another run moved meanwhile is left
// alone and the commit fails for good.
func TestCommitIsCompareAndSet(t *testing.T) {
	p := &Program{Name: "p", Cursors: []runtime.CursorSpec{{Name: "c", Initial: "0"}}}
	t.Run("file", func(t *testing.T) {
		testCommitCAS(t, p, &cursorstore.File{Path: filepath.Join(t.TempDir(), "cursors.json"), Prog: "p", Declared: p.storeCursors()})
	})
	t.Run("postgres", func(t *testing.T) {
		url := os.Getenv("RESOLUTE_TEST_POSTGRES")
		if url == "" {
			t.Skip("RESOLUTE_TEST_POSTGRES is not set")
		}
		ns := fmt.Sprintf("tprt-cas-%d-%d", os.Getpid(), time.Now().UnixNano())
		s, err := pgstore.Open(context.Background(), cursorstore.Config{URL: url, Namespace: ns, Program: "p"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.(io.Closer).Close()
		testCommitCAS(t, p, s)
	})
}

func testCommitCAS(t *testing.T, p *Program, store cursorstore.Store) {
	ctx := context.Background()
	a := &cursorActivities{prog: p, store: store, env: &workerEnv{}}

	// Never committed: the initial value is what the run began with.
	if err := a.CommitCursors(ctx, commitInput{Flow: "f", Snapshot: map[string]string{"c": "0"}, Staged: map[string]string{"c": "10"}}); err != nil {
		t.Fatal(err)
	}
	// The same commit again (an activity retried after it got through).
	if err := a.CommitCursors(ctx, commitInput{Flow: "f", Snapshot: map[string]string{"c": "0"}, Staged: map[string]string{"c": "10"}}); err != nil {
		t.Fatalf("a repeated commit failed: %v", err)
	}
	// A run that began at 0 and would set 5: another run moved it to 10.
	err := a.CommitCursors(ctx, commitInput{Flow: "f", Snapshot: map[string]string{"c": "0"}, Staged: map[string]string{"c": "5"}})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() || !strings.Contains(app.Message(), "cursor c changed while this run of f was in progress") {
		t.Fatalf("stale commit: got %v; want a non-retryable error saying the cursor changed", err)
	}
	m, err := store.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m["c"] != "10" {
		t.Errorf("cursor c = %q after the refused commit; want 10", m["c"])
	}
	b, err := a.ReadCursors(ctx, "f")
	if err != nil || b.Snapshot["c"] != "10" {
		t.Errorf("ReadCursors = %+v, %v; want c = 10", b, err)
	}
}

// TestFillSecrets: a secret goes only into an input field that holds its
// marker alone; a marker inside a larger string, in nested values or in
// data (a summary a Jira user could write) is left exactly as it is, so no
// text from a source can pull a secret into data (issue 6, item 1).
func TestFillSecrets(t *testing.T) {
	type row struct{ Summary string }
	type in struct {
		Token string
		Auth  string
		Rows  []row
		List  []string
		skip  string
	}
	forged := secretMarker("TOKEN") + " Document rate limiter"
	v := in{Token: secretMarker("TOKEN"), Auth: "Bearer " + secretMarker("TOKEN"),
		Rows: []row{{Summary: secretMarker("TOKEN")}, {Summary: forged}}, List: []string{secretMarker("KEY")}, skip: secretMarker("KEY")}
	fillSecrets(reflectValue(&v), map[string]string{"TOKEN": "t0k", "KEY": "k3y"})
	if v.Token != "t0k" {
		t.Errorf("Token = %q, want the secret", v.Token)
	}
	if v.Auth != "Bearer "+secretMarker("TOKEN") || v.Rows[0].Summary != secretMarker("TOKEN") || v.Rows[1].Summary != forged || v.List[0] != secretMarker("KEY") {
		t.Errorf("a marker outside a field of its own was replaced: %+v", v)
	}
	if v.skip != secretMarker("KEY") {
		t.Errorf("an unexported field was changed")
	}
}

func reflectValue(p any) reflect.Value { return reflect.ValueOf(p).Elem() }
