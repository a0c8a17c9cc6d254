// Command testprog is a small program built on the runtime package, used by
// its tests to exercise crashes, locks and exit codes in a real process.
//
// Flow "sync" runs steps one, two and three; each appends its name to the
// file $TP_COUNT when it executes, and the flow advances cursor "c" to one
// more than its value. Step two waits for the file $TP_BLOCK (if set) to
// exist, and fails permanently if $TP_FAIL is "two". Flow "tick" runs every
// second and appends "tick".
//
// TP_STORE=postgres or TP_STORE=redis makes it keep its cursors in that
// store (runtime/cursorstore), configured by --cursor-store and
// RESOLUTE_CURSOR_STORE like any generated program.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/resolute/resolute-gen/runtime"
	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/cursorstore/pgstore"
	"github.com/resolute/resolute-gen/runtime/cursorstore/redisstore"
)

func main() {
	hash := os.Getenv("TP_SPEC_HASH")
	if hash == "" {
		hash = "sha256:test"
	}
	var store func(context.Context, cursorstore.Config) (cursorstore.Store, error)
	switch os.Getenv("TP_STORE") {
	case "postgres":
		store = pgstore.Open
	case "redis":
		store = redisstore.Open
	}
	runtime.Main(runtime.Program{
		Flows: []runtime.Flow{
			{Name: "sync", Description: "Three steps and a cursor.", Run: runSync},
			{Name: "tick", Description: "Ticks every second.", Schedule: "@every 1s", Run: runTick},
		},
		Env: []runtime.EnvVar{
			{Name: "TP_COUNT", Required: true},
			{Name: "TP_TOKEN", Secret: true},
			{Name: "TP_FAIL"},
			{Name: "TP_BLOCK"},
			{Name: "TP_MODE", Default: "normal"},
		},
		Cursors:     []runtime.CursorSpec{{Name: "c", Initial: "0"}},
		SpecHash:    hash,
		CursorStore: store,
	})
}

type count struct{ N int }

func runSync(ctx context.Context, r *runtime.Run) error {
	// step "one"
	one, err := runtime.Call(ctx, r, "one", runtime.Options{}, func(ctx context.Context) (count, error) {
		n, err := strconv.Atoi(r.Cursor("c"))
		return count{N: n + 1}, errors.Join(err, mark(r, "one"))
	})
	if err != nil {
		return err
	}
	r.Advance("c", strconv.Itoa(one.N))

	// step "two"
	_, err = runtime.Call(ctx, r, "two", runtime.Options{Retry: runtime.Retry{Attempts: 3, Backoff: time.Millisecond}},
		func(ctx context.Context) (struct{}, error) {
			if err := mark(r, "two"); err != nil {
				return struct{}{}, err
			}
			if block := r.Env("TP_BLOCK"); block != "" {
				for {
					if _, err := os.Stat(block); err == nil {
						break
					}
					select {
					case <-ctx.Done():
						return struct{}{}, ctx.Err()
					case <-time.After(10 * time.Millisecond):
					}
				}
			}
			if r.Env("TP_FAIL") == "two" {
				return struct{}{}, runtime.Permanent(fmt.Errorf("boom (token %s)", r.Env("TP_TOKEN")))
			}
			return struct{}{}, nil
		})
	if err != nil {
		return err
	}

	// step "three"
	_, err = runtime.Call(ctx, r, "three", runtime.Options{}, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, mark(r, "three")
	})
	return err
}

func runTick(ctx context.Context, r *runtime.Run) error {
	_, err := runtime.Call(ctx, r, "tick", runtime.Options{}, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, mark(r, "tick")
	})
	return err
}

// mark appends name to $TP_COUNT, so tests can count executions.
func mark(r *runtime.Run, name string) error {
	f, err := os.OpenFile(r.Env("TP_COUNT"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, name)
	return err
}
