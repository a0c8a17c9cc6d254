package runtime

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
)

// manifestKey is the entry, in an external cursor store, that lists the
// cursors committed in the namespace (comma-separated). It is not a
// cursor name (those are Go identifiers), and the engine hides it.
//
// It lets Load tell a cursor the spec added since (not in the list: it
// starts from its initial value, with a log line) from one that was lost
// (in the list but without a value: the store is damaged), and a name the
// runtime never wrote (a hand edit, a misspelling) from a cursor it
// committed. The file store does the same with its "declared" list.
const manifestKey = ".cursors"

// loadCursors loads the committed cursors and, for an external store,
// checks them against the store's manifest. A store of the wrong shape is a
// state error: nothing runs, so that no data is fetched again from scratch.
func (e *engine) loadCursors(ctx context.Context) (map[string]string, error) {
	m, err := e.store.Load(ctx)
	if err != nil || !e.external {
		return m, err
	}
	return e.checkManifest(maps.Clone(m))
}

func (e *engine) checkManifest(m map[string]string) (map[string]string, error) {
	raw, has := m[manifestKey]
	delete(m, manifestKey)
	declared := map[string]bool{}
	for _, c := range e.prog.Cursors {
		declared[c.Name] = true
	}
	bad := func(format string, args ...any) error {
		return cursorstore.StateError(fmt.Errorf("cursor store %s holds cursors of the wrong shape (%s). Nothing was run, so that no data is fetched again from scratch. "+
			"Check --cursor-store and --cursor-namespace; if they are right, set each cursor with `%s cursor set NAME VALUE` (a cursor not set starts again from its initial value)",
			e.storeString(), fmt.Sprintf(format, args...), e.name))
	}
	if !has {
		// Written before the manifest existed: names must be declared.
		for _, n := range sortedKeys(m) {
			if !declared[n] {
				return nil, bad("it holds cursor %q, which this program does not declare (cursors: %s)", n, quoteList(e.prog.cursorNames()))
			}
		}
		return m, nil
	}
	listed := map[string]bool{}
	for _, n := range strings.Split(raw, ",") {
		if n != "" {
			listed[n] = true
		}
	}
	for _, n := range sortedKeys(m) {
		if !listed[n] {
			return nil, bad("it holds cursor %q, which this program never committed there", n)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(listed)) {
		if _, ok := m[n]; !ok {
			return nil, bad("cursor %q was committed but has no value", n)
		}
	}
	for _, c := range e.prog.Cursors {
		if !listed[c.Name] && len(listed) > 0 && !e.noted[c.Name] {
			e.noteOnce(c.Name)
			e.log.Info("cursor "+c.Name+" was never committed in the cursor store (the spec added it since, or no run advanced it yet): it starts from its initial value", "cursor", c.Name, "initial", c.Initial)
		}
	}
	for _, n := range sortedKeys(m) {
		if !declared[n] {
			delete(m, n) // dropped from the spec: ignored
		}
	}
	return m, nil
}

func (e *engine) noteOnce(name string) {
	if e.noted == nil {
		e.noted = map[string]bool{}
	}
	e.noted[name] = true
}

// commitCursors commits values; for an external store it also updates the
// manifest, within the same atomic commit, and refuses (committing nothing)
// if another process added a cursor to the namespace since it was read.
func (e *engine) commitCursors(ctx context.Context, values map[string]string, check func(map[string]string) error) error {
	if !e.external || len(values) == 0 {
		return e.store.Commit(ctx, values, check)
	}
	cur, err := e.store.Load(ctx)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for n := range cur {
		if n != manifestKey {
			names[n] = true
		}
	}
	for n := range values {
		names[n] = true
	}
	withManifest := maps.Clone(values)
	withManifest[manifestKey] = strings.Join(slices.Sorted(maps.Keys(names)), ",")
	return e.store.Commit(ctx, withManifest, func(committed map[string]string) error {
		committed = maps.Clone(committed)
		delete(committed, manifestKey)
		for n := range committed {
			if !names[n] {
				return cursorstore.StateError(fmt.Errorf("cursor %s was added to the cursor store %s by another process during this commit; nothing was committed; run again", n, e.storeString()))
			}
		}
		if check != nil {
			return check(committed)
		}
		return nil
	})
}
