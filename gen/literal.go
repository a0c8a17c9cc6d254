package gen

import (
	"fmt"
	"go/types"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/resolute/resolute-gen/gen/internal/golang"
	"github.com/resolute/resolute-gen/spec"
)

// literal converts a TOML value to Go code of type t, or reports why it
// cannot be one.
func (c *checker) literal(v *spec.Value, t types.Type, what string) (jen.Code, bool) {
	bad := func(expected string) (jen.Code, bool) {
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
			return golang.DurationCode(d), true
		case "Time":
			if v.Kind != spec.KindDateTime && v.Kind != spec.KindLocalDateTime && v.Kind != spec.KindLocalDate {
				return bad("a TOML date-time like 2026-01-02T15:04:05Z")
			}
			tm, err := parseTOMLTime(v)
			if err != nil {
				c.errs.Add(v.Pos, "%s: %v", what, err)
				return nil, false
			}
			tm = tm.UTC()
			return jen.Qual("time", "Date").Call(jen.Lit(tm.Year()), jen.Qual("time", tm.Month().String()), jen.Lit(tm.Day()),
				jen.Lit(tm.Hour()), jen.Lit(tm.Minute()), jen.Lit(tm.Second()), jen.Lit(tm.Nanosecond()), jen.Qual("time", "UTC")), true
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
			return jen.Lit(v.Str.Value), true
		case info&types.IsInteger != 0:
			if v.Kind != spec.KindInt {
				return bad("an integer")
			}
			if !intFits(v.Int, u.Kind()) {
				c.errs.Add(v.Pos, "%s is %s, which holds %s; %d does not fit", what, c.typeString(t), intRange(u.Kind()), v.Int)
				return nil, false
			}
			return jen.Op(strconv.FormatInt(v.Int, 10)), true
		case info&types.IsFloat != 0:
			switch v.Kind {
			case spec.KindInt:
				return jen.Op(strconv.FormatInt(v.Int, 10)), true
			case spec.KindFloat:
				if math.IsInf(v.Float, 0) || math.IsNaN(v.Float) {
					c.errs.Add(v.Pos, "%s: inf and nan are not supported", what)
					return nil, false
				}
				s := strconv.FormatFloat(v.Float, 'g', -1, 64)
				return jen.Op(s), true
			}
			return bad("a number")
		case info&types.IsBoolean != 0:
			if v.Kind != spec.KindBool {
				return bad("true or false")
			}
			return jen.Lit(v.Bool), true
		}
	case *types.Pointer:
		inner, ok := c.literal(v, u.Elem(), what)
		if !ok {
			return nil, false
		}
		// Go 1.26: new(expr) allocates a copy of expr's value.
		return jen.New(c.typeCode(u.Elem()).Call(inner)), true
	case *types.Slice:
		if v.Kind != spec.KindArray {
			return bad("an array")
		}
		var elems []jen.Code
		for i, e := range v.Array {
			code, ok := c.literal(e, u.Elem(), fmt.Sprintf("%s[%d]", what, i))
			if !ok {
				return nil, false
			}
			elems = append(elems, code)
		}
		return c.typeCode(t).Values(elems...), true
	case *types.Map:
		if v.Kind != spec.KindTable {
			return bad("a table")
		}
		if b, ok := u.Key().Underlying().(*types.Basic); !ok || b.Info()&types.IsString == 0 {
			return bad("a value written in Go (its keys are not strings)")
		}
		// Keys in the spec's order, which is deterministic and reads like
		// the spec.
		var items []jen.Code
		for _, f := range v.Fields {
			code, ok := c.literal(f.Value, u.Elem(), fmt.Sprintf("%s[%q]", what, f.Key))
			if !ok {
				return nil, false
			}
			items = append(items, jen.Lit(f.Key).Op(":").Add(code))
		}
		return c.typeCode(t).Add(golang.Multi(items...)), true
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
		var items []jen.Code
		ok := true
		for _, kv := range v.Fields {
			f := fields[kv.Key]
			if f == nil {
				c.errs.Add(kv.KeyPos, "%s has no field %s%s", c.typeString(t), kv.Key, spec.DidYouMean(kv.Key, names))
				ok = false
				continue
			}
			code, good := c.literal(kv.Value, f.Type(), what+"."+kv.Key)
			if !good {
				ok = false
				continue
			}
			items = append(items, golang.Field(kv.Key, code))
		}
		if !ok {
			return nil, false
		}
		return c.typeCode(t).Add(golang.Multi(items...)), true
	case *types.Interface:
		if u.Empty() {
			return c.anyLiteral(v), true
		}
	}
	return bad("a value that a TOML literal cannot express; use \"${expr}\"")
}

// anyLiteral writes v as the Go value encoding/json would decode it to.
func (c *checker) anyLiteral(v *spec.Value) jen.Code {
	switch v.Kind {
	case spec.KindString:
		return jen.Lit(v.Str.Value)
	case spec.KindInt:
		return jen.Int64().Call(jen.Op(strconv.FormatInt(v.Int, 10)))
	case spec.KindFloat:
		return jen.Float64().Call(jen.Op(strconv.FormatFloat(v.Float, 'g', -1, 64)))
	case spec.KindBool:
		return jen.Lit(v.Bool)
	case spec.KindArray:
		var elems []jen.Code
		for _, e := range v.Array {
			elems = append(elems, c.anyLiteral(e))
		}
		return jen.Index().Any().Values(elems...)
	case spec.KindTable:
		var items []jen.Code
		for _, f := range v.Fields {
			items = append(items, jen.Lit(f.Key).Op(":").Add(c.anyLiteral(f.Value)))
		}
		return jen.Map(jen.String()).Any().Values(items...)
	}
	return jen.Lit(v.Raw)
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
