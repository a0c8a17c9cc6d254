package runtime

import (
	"context"
	"fmt"
	"runtime/debug"

	"golang.org/x/sync/errgroup"
)

// Parallel runs the branches concurrently; branch i runs in the scope
// "<scope><id>[i]/". The first branch to fail cancels the context of the
// others, and its error is returned once all have returned.
func Parallel(ctx context.Context, r *Run, id string, branches ...func(context.Context, *Run) error) error {
	g, gctx := errgroup.WithContext(ctx)
	for i, branch := range branches {
		child := r.child(id, i)
		g.Go(func() error {
			return catchPanic(child.scope, func() error { return branch(gctx, child) })
		})
	}
	return g.Wait()
}

// ForEach calls fn for every item, at most concurrency (<= 0 means 1) at a
// time; item i runs in the scope "<scope><id>[i]/". It returns the results in
// input order. The first failure cancels the items in flight, starts no
// more, and is returned.
func ForEach[In, Out any](ctx context.Context, r *Run, id string, items []In, concurrency int, fn func(context.Context, *Run, In) (Out, error)) ([]Out, error) {
	out := make([]Out, len(items))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(concurrency, 1))
	started := 0
	for i, item := range items {
		if gctx.Err() != nil {
			break
		}
		child := r.child(id, i)
		started++
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return catchPanic(child.scope, func() error {
				v, err := fn(gctx, child, item)
				out[i] = v
				return err
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if started < len(items) {
		return nil, ctx.Err()
	}
	return out, nil
}

// catchPanic turns a panic in a branch into an error, so that it fails the
// run (keeping its journal) instead of killing the process.
func catchPanic(where string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in %s: %v\n%s", where, p, debug.Stack())
		}
	}()
	return fn()
}
