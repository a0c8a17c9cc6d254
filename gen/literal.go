package gen

import (
	"fmt"
	"go/types"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// literal checks a TOML value as a value of type t, or reports why it
// cannot be one.
func (c *checker) literal(v *spec.Value, t types.Type, what string) (*ir.Literal, bool) {
	bad := func(expected string) (*ir.Literal, bool) {
		c.errs.Add(v.Pos, "%s is %s; expected %s, not a TOML %s%s", what, c.typeString(t), expected, v.Kind, unquoteHint(v, t))
		return nil, false
	}
	t = types.Unalias(t)
	if named, ok := t.(*types.Named); ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "time" {
		switch named.Obj().Name() {
		case "Duration":
			if v.Kind != spec.KindString {
				return bad("a duration string like \"30s\"")
			}
			d, err := time.ParseDuration(v.Str.Value)
			if err != nil {
				c.errs.Add(v.Pos, "%s is time.Duration; %q is not a Go duration such as \"30s\", \"5m\" or \"1h30m\"", what, v.Str.Value)
				return nil, false
			}
			return &ir.Literal{Kind: ir.LitDuration, Type: t, Duration: d}, true
		case "Time":
			if v.Kind != spec.KindDateTime && v.Kind != spec.KindLocalDateTime && v.Kind != spec.KindLocalDate {
				return bad("a TOML date-time like 2026-01-02T15:04:05Z")
			}
			tm, err := parseTOMLTime(v)
			if err != nil {
				c.errs.Add(v.Pos, "%s: %v", what, err)
				return nil, false
			}
			return &ir.Literal{Kind: ir.LitTime, Type: t, Time: tm.UTC()}, true
		}
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		info := u.Info()
		switch {
		case info&types.IsString != 0:
			if v.Kind != spec.KindString {
				return bad("a string")
			}
			return &ir.Literal{Kind: ir.LitString, Type: t, Str: v.Str.Value}, true
		case info&types.IsInteger != 0:
			if v.Kind != spec.KindInt {
				return bad("an integer")
			}
			if !intFits(v.Int, u.Kind()) {
				c.errs.Add(v.Pos, "%s is %s, which holds %s; %d does not fit", what, c.typeString(t), intRange(u.Kind()), v.Int)
				return nil, false
			}
			return &ir.Literal{Kind: ir.LitInt, Type: t, Int: v.Int}, true
		case info&types.IsFloat != 0:
			switch v.Kind {
			case spec.KindInt:
				return &ir.Literal{Kind: ir.LitInt, Type: t, Int: v.Int}, true
			case spec.KindFloat:
				if math.IsInf(v.Float, 0) || math.IsNaN(v.Float) {
					c.errs.Add(v.Pos, "%s: inf and nan are not supported", what)
					return nil, false
				}
				return &ir.Literal{Kind: ir.LitFloat, Type: t, Float: v.Float}, true
			}
			return bad("a number")
		case info&types.IsBoolean != 0:
			if v.Kind != spec.KindBool {
				return bad("true or false")
			}
			return &ir.Literal{Kind: ir.LitBool, Type: t, Bool: v.Bool}, true
		}
	case *types.Pointer:
		inner, ok := c.literal(v, u.Elem(), what)
		if !ok {
			return nil, false
		}
		return &ir.Literal{Kind: ir.LitPointer, Type: t, Elems: []*ir.Literal{inner}}, true
	case *types.Slice:
		if v.Kind != spec.KindArray {
			return bad("an array")
		}
		lit := &ir.Literal{Kind: ir.LitSlice, Type: t}
		for i, e := range v.Array {
			el, ok := c.literal(e, u.Elem(), fmt.Sprintf("%s[%d]", what, i))
			if !ok {
				return nil, false
			}
			lit.Elems = append(lit.Elems, el)
		}
		return lit, true
	case *types.Map:
		if v.Kind != spec.KindTable {
			return bad("a table")
		}
		if b, ok := u.Key().Underlying().(*types.Basic); !ok || b.Info()&types.IsString == 0 {
			return bad("a value written in Go (its keys are not strings)")
		}
		// Keys in the spec's order, which is deterministic and reads like
		// the spec.
		lit := &ir.Literal{Kind: ir.LitMap, Type: t}
		for _, f := range v.Fields {
			el, ok := c.literal(f.Value, u.Elem(), fmt.Sprintf("%s[%q]", what, f.Key))
			if !ok {
				return nil, false
			}
			lit.Fields = append(lit.Fields, ir.LiteralField{Key: f.Key, Value: el})
		}
		return lit, true
	case *types.Struct:
		if v.Kind != spec.KindTable {
			return bad("a table of its fields")
		}
		var names []string
		fields := map[string]*types.Var{}
		for i := 0; i < u.NumFields(); i++ {
			if f := u.Field(i); f.Exported() {
				fields[f.Name()] = f
				names = append(names, f.Name())
			}
		}
		lit := &ir.Literal{Kind: ir.LitStruct, Type: t}
		ok := true
		for _, kv := range v.Fields {
			f := fields[kv.Key]
			if f == nil {
				c.errs.Add(kv.KeyPos, "%s has no field %s%s", c.typeString(t), kv.Key, spec.DidYouMean(kv.Key, names))
				ok = false
				continue
			}
			el, good := c.literal(kv.Value, f.Type(), what+"."+kv.Key)
			if !good {
				ok = false
				continue
			}
			lit.Fields = append(lit.Fields, ir.LiteralField{Key: kv.Key, Value: el})
		}
		if !ok {
			return nil, false
		}
		return lit, true
	case *types.Interface:
		if u.Empty() {
			return anyLiteral(v), true
		}
	}
	return bad("a value that a TOML literal cannot express; use \"${expr}\"")
}

// anyLiteral is v as the Go value encoding/json would decode it to.
func anyLiteral(v *spec.Value) *ir.Literal {
	switch v.Kind {
	case spec.KindString:
		return &ir.Literal{Kind: ir.LitString, Str: v.Str.Value}
	case spec.KindInt:
		return &ir.Literal{Kind: ir.LitAnyInt, Int: v.Int}
	case spec.KindFloat:
		return &ir.Literal{Kind: ir.LitAnyFloat, Float: v.Float}
	case spec.KindBool:
		return &ir.Literal{Kind: ir.LitBool, Bool: v.Bool}
	case spec.KindArray:
		lit := &ir.Literal{Kind: ir.LitAnySlice}
		for _, e := range v.Array {
			lit.Elems = append(lit.Elems, anyLiteral(e))
		}
		return lit
	case spec.KindTable:
		lit := &ir.Literal{Kind: ir.LitAnyMap}
		for _, f := range v.Fields {
			lit.Fields = append(lit.Fields, ir.LiteralField{Key: f.Key, Value: anyLiteral(f.Value)})
		}
		return lit
	}
	return &ir.Literal{Kind: ir.LitRaw, Str: v.Raw}
}

func parseTOMLTime(v *spec.Value) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, v.Raw); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a date-time", v.Raw)
}

// intRange describes the values an integer kind holds, for messages.
func intRange(k types.BasicKind) string {
	switch k {
	case types.Int8:
		return "-128 to 127"
	case types.Int16:
		return "-32768 to 32767"
	case types.Int32:
		return "-2147483648 to 2147483647"
	case types.Uint8:
		return "0 to 255"
	case types.Uint16:
		return "0 to 65535"
	case types.Uint32:
		return "0 to 4294967295"
	}
	return "no negative numbers"
}

// unquoteHint suggests dropping the quotes of a string literal whose text
// would be a valid value of t without them: Size = "10".
func unquoteHint(v *spec.Value, t types.Type) string {
	if v.Kind != spec.KindString {
		return ""
	}
	text := v.Str.Value
	ok := false
	{
		if named, isNamed := types.Unalias(t).(*types.Named); isNamed && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "time" && named.Obj().Name() == "Time" {
			v := &spec.Value{Raw: text}
			_, err := parseTOMLTime(v)
			ok = err == nil
		} else if b, isBasic := t.Underlying().(*types.Basic); isBasic {
			switch {
			case b.Info()&types.IsInteger != 0:
				_, err := strconv.ParseInt(text, 10, 64)
				ok = err == nil
			case b.Info()&types.IsFloat != 0:
				_, err := strconv.ParseFloat(text, 64)
				ok = err == nil && !strings.ContainsAny(text, "xXpPnN")
			case b.Info()&types.IsBoolean != 0:
				ok = text == "true" || text == "false"
			}
		}
	}
	if !ok {
		return ""
	}
	return fmt.Sprintf("; write %s without quotes", text)
}

func intFits(v int64, k types.BasicKind) bool {
	switch k {
	case types.Int8:
		return v >= math.MinInt8 && v <= math.MaxInt8
	case types.Int16:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case types.Int32:
		return v >= math.MinInt32 && v <= math.MaxInt32
	case types.Uint8:
		return v >= 0 && v <= math.MaxUint8
	case types.Uint16:
		return v >= 0 && v <= math.MaxUint16
	case types.Uint32:
		return v >= 0 && v <= math.MaxUint32
	case types.Uint, types.Uint64, types.Uintptr:
		return v >= 0
	}
	return true
}

// checkJSONType checks that values of t survive the journal: they are
// written as JSON and read back on replay.
// what names the value and cannot says what it cannot be ("cannot be
// journaled"); why explains the rule.
func (c *checker) checkJSONType(t types.Type, pos spec.Pos, what, cannot, why string) bool {
	seen := map[types.Type]bool{}
	var walk func(t types.Type, path string) string
	walk = func(t types.Type, path string) string {
		if seen[t] {
			return ""
		}
		seen[t] = true
		if n, ok := types.Unalias(t).(*types.Named); ok {
			// Types with their own JSON encoding are trusted (time.Time).
			if hasMethod(n, "MarshalJSON") || hasMethod(n, "MarshalText") {
				return ""
			}
		}
		switch u := t.Underlying().(type) {
		case *types.Chan:
			return path + " is a channel"
		case *types.Signature:
			return path + " is a function"
		case *types.Basic:
			if u.Info()&types.IsComplex != 0 {
				return path + " is a complex number"
			}
			if u.Kind() == types.UnsafePointer {
				return path + " is an unsafe.Pointer"
			}
		case *types.Pointer:
			return walk(u.Elem(), path)
		case *types.Slice:
			return walk(u.Elem(), path+"[]")
		case *types.Array:
			return walk(u.Elem(), path+"[]")
		case *types.Map:
			if b, ok := u.Key().Underlying().(*types.Basic); !ok || b.Info()&(types.IsString|types.IsInteger) == 0 {
				return path + " is a map whose keys JSON cannot write"
			}
			return walk(u.Elem(), path+"[]")
		case *types.Struct:
			for i := 0; i < u.NumFields(); i++ {
				f := u.Field(i)
				if !f.Exported() {
					continue
				}
				if msg := walk(f.Type(), path+"."+f.Name()); msg != "" {
					return msg
				}
			}
		}
		return ""
	}
	if msg := c.unwritable(t); msg != "" {
		c.errs.Add(pos, "%s %s: %s", what, cannot, msg)
		return false
	}
	if msg := walk(t, c.typeString(t)); msg != "" {
		c.errs.Add(pos, "%s %s: %s; %s", what, cannot, msg, why)
		return false
	}
	return true
}

func hasMethod(n *types.Named, name string) bool {
	ms := types.NewMethodSet(types.NewPointer(n))
	for i := 0; i < ms.Len(); i++ {
		if ms.At(i).Obj().Name() == name {
			return true
		}
	}
	return false
}

func isStringKind(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

// unwritable says why the generated program cannot name the type t (it
// declares variables of the types of step outputs and loop variables); ""
// if it can.
func (c *checker) unwritable(t types.Type) string {
	switch t := types.Unalias(t).(type) {
	case *types.Basic:
		if t.Info()&types.IsUntyped != 0 || t.Kind() == types.Invalid {
			return fmt.Sprintf("its type %s is not a Go type a variable can have", t)
		}
		return ""
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() != nil && obj.Pkg() != c.mainPkg && obj.Pkg().Path() != "main" && !obj.Exported() {
			return fmt.Sprintf("its type %s is not exported by package %s, so the generated program cannot name it", c.typeString(t), obj.Pkg().Path())
		}
		for i := 0; i < t.TypeArgs().Len(); i++ {
			if msg := c.unwritable(t.TypeArgs().At(i)); msg != "" {
				return msg
			}
		}
		return ""
	case *types.Pointer:
		return c.unwritable(t.Elem())
	case *types.Slice:
		return c.unwritable(t.Elem())
	case *types.Array:
		return c.unwritable(t.Elem())
	case *types.Map:
		if msg := c.unwritable(t.Key()); msg != "" {
			return msg
		}
		return c.unwritable(t.Elem())
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			if msg := c.unwritable(t.Field(i).Type()); msg != "" {
				return msg
			}
		}
		return ""
	case *types.Interface:
		if t.Empty() {
			return ""
		}
		return fmt.Sprintf("its type %s is an interface literal; expected a named type or data", c.typeString(t))
	case *types.Chan:
		return fmt.Sprintf("its type %s is a channel", c.typeString(t))
	case *types.Signature:
		return fmt.Sprintf("its type %s is a function", c.typeString(t))
	}
	return fmt.Sprintf("its type %s cannot be written in the generated program", c.typeString(t))
}
