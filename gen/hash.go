package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"path/filepath"
	"reflect"
	"slices"
	"time"

	"github.com/resolute/resolute-gen/spec"
)

// flowHash identifies what a flow does, so that a resumed run refuses only
// edits that can change what already ran. It is computed from a canonical
// form of the flow's steps (every key and value, with the values' meaning,
// not their quoting) plus the declarations the run depends on (the flow's
// name, the cursor store, the env vars it reads, the cursors), leaving out what
// cannot change a run: comments, whitespace, line positions, the
// description and the schedule. stepHashes gives one short hash per
// top-level step, labelled with its id (or kind#ordinal for an unnamed
// block), so that a refused resume can name the first step that changed.
func flowHash(f *spec.File, uses []string, env []*spec.EnvVar, cursors []*spec.Cursor) (string, []string) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00flow\x00%s\x00store\x00%s\x00", hashScheme, f.Flow.Value, f.CursorStore.Value)
	for _, v := range env {
		if slices.Contains(uses, v.Name) {
			fmt.Fprintf(h, "env\x00%s\x00%t\x00%t\x00%t\x00%s\x00", v.Name, v.Required.Value, v.Secret.Value, v.Default.Set(), v.Default.Value)
		}
	}
	for _, c := range cursors {
		fmt.Fprintf(h, "cursor\x00%s\x00%s\x00%s\x00", c.Name, c.Initial.Value, c.Format.Value)
	}
	var steps []string
	ordinal := map[spec.StepKind]int{}
	for _, st := range f.Steps {
		sh := sha256.New()
		canonical(sh, reflect.ValueOf(st))
		sum := sh.Sum(nil)
		h.Write(sum)
		label := st.ID.Value
		if !st.ID.Set() {
			ordinal[st.Kind]++
			label = fmt.Sprintf("%s#%d", st.Kind, ordinal[st.Kind])
		}
		steps = append(steps, label+"="+hex.EncodeToString(sum[:6]))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), steps
}

// hashScheme names the way flowHash and the journal keys of generated code
// are made; change it when either changes, so that no run begun under the
// old scheme is resumed under the new one.
const hashScheme = "resolute-flow-hash/1"

var (
	posType  = reflect.TypeOf(spec.Pos{})
	timeType = reflect.TypeOf(time.Time{})
	// sourceText are the fields that record how a value was spelt, not
	// what it is (a date's meaning is in Value.Time).
	sourceText = map[reflect.Type]map[string]bool{
		reflect.TypeOf(spec.String{}): {"Raw": true, "Offset": true, "Literal": true},
		reflect.TypeOf(spec.Value{}):  {"Raw": true},
		// A step's rate limit paces its attempts but does not change what
		// they do: an unfinished run resumes under a changed one.
		reflect.TypeOf(spec.Step{}): {"RateLimit": true},
	}
)

// canonical writes v to h without positions or source spellings: fields of
// type spec.Pos and the source-text fields of spec.String and spec.Value
// (Raw, Offset, Literal) are skipped; every other field is written with its
// name, so that an empty field and a missing one differ from their
// neighbours.
func canonical(h hash.Hash, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			h.Write([]byte{0})
			return
		}
		h.Write([]byte{1})
		canonical(h, v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			fmt.Fprintf(h, "%s\x00", v.Interface().(time.Time).Format(time.RFC3339Nano))
			return
		}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Type == posType || !f.IsExported() {
				continue
			}
			if sourceText[t] != nil && sourceText[t][f.Name] {
				continue
			}
			fmt.Fprintf(h, "%s:", f.Name)
			canonical(h, v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		fmt.Fprintf(h, "[%d:", v.Len())
		for i := range v.Len() {
			canonical(h, v.Index(i))
		}
		h.Write([]byte("]"))
	case reflect.String:
		fmt.Fprintf(h, "%d:%s", v.Len(), v.String())
	case reflect.Bool:
		fmt.Fprintf(h, "%t;", v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		fmt.Fprintf(h, "%d;", v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		fmt.Fprintf(h, "%d;", v.Uint())
	case reflect.Float32, reflect.Float64:
		fmt.Fprintf(h, "%v;", v.Float())
	default:
		panic("canonical: unexpected kind " + v.Kind().String())
	}
}

// specHash identifies the spec files' content: a resumed run refuses to
// continue under a changed spec. Paths are reduced to base names so the
// hash does not depend on the directory generation ran in.
func specHash(files []*spec.File) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(f.Path), len(f.Source))
		h.Write(f.Source)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
