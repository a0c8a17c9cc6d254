package ir

import (
	"go/types"
	"time"
)

// LiteralKind says what a Literal holds.
type LiteralKind int

// Literal kinds.
const (
	LitString   LiteralKind = iota + 1 // Str, of a string type
	LitInt                             // Int, of an integer or float type
	LitFloat                           // Float, of a float type
	LitBool                            // Bool
	LitTime                            // Time (UTC), a time.Time
	LitDuration                        // Duration, a time.Duration
	LitPointer                         // Elems[0], the pointee, copied into a new variable
	LitSlice                           // Elems, of slice type Type
	LitMap                             // Fields (keys in the spec's order), of map type Type
	LitStruct                          // Fields (field names), of struct type Type
	LitAnyInt                          // Int as an int64 in an `any`
	LitAnyFloat                        // Float as a float64 in an `any`
	LitAnySlice                        // Elems as a []any
	LitAnyMap                          // Fields as a map[string]any
	LitRaw                             // Str, the TOML text, as a string in an `any`
)

// Literal is a checked TOML literal of a `with` field: a value of Type,
// as data; the emitter writes it as Go.
type Literal struct {
	Kind     LiteralKind
	Type     types.Type // the Go type the literal is written as; nil inside an `any`
	Str      string
	Int      int64
	Float    float64
	Bool     bool
	Time     time.Time
	Duration time.Duration
	Elems    []*Literal
	Fields   []LiteralField
}

// LiteralField is one key of a map or struct literal.
type LiteralField struct {
	Key   string
	Value *Literal
}
