package gen

import (
	"go/constant"
	"go/token"
	"go/types"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dave/jennifer/jen"
)

// typeString prints t as the spec's reader knows it: package names, not
// paths; generated row types without a package.
func (c *checker) typeString(t types.Type) string {
	return typeWriter{c.mainPkg}.typeString(t)
}

// typeCode writes t as jennifer code (for the literals the checker builds).
func (c *checker) typeCode(t types.Type) *jen.Statement {
	return typeWriter{c.mainPkg}.typeCode(t)
}

func qualifier(main *types.Package) types.Qualifier {
	return func(p *types.Package) string {
		if p == nil || p == main || p.Path() == "main" {
			return ""
		}
		return p.Name()
	}
}

// exportedName turns a spec name (issue_key, jira-warehouse-sync) into an
// exported Go name (IssueKey, JiraWarehouseSync).
func exportedName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if b.Len() == 0 && unicode.IsDigit(r) {
			b.WriteString("X")
		}
		if up {
			b.WriteRune(unicode.ToUpper(r))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if r, _ := utf8.DecodeRuneInString(out); out != "" && !unicode.IsUpper(r) {
		// A letter without case (名前) cannot start an exported name.
		out = "X" + out
	}
	// Go initialisms read better: IssueId -> IssueID, Url -> URL.
	for _, w := range []string{"Id", "Url", "Api", "Http", "Json", "Sql", "Uuid"} {
		if strings.HasSuffix(out, w) {
			out = out[:len(out)-len(w)] + strings.ToUpper(w)
		}
	}
	return out
}

// objectKind names what a package-level object is: "a variable".
func objectKind(obj types.Object) string {
	switch obj.(type) {
	case *types.Var:
		return "a variable"
	case *types.Const:
		return "a constant"
	case *types.TypeName:
		return "a type"
	}
	return "not a function"
}

func isIdent(s string) bool {
	return token.IsIdentifier(s)
}

func isUntyped(t types.Type) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Info()&types.IsUntyped != 0
}

// representable reports whether constant v is a value of basic type b, as
// the compiler decides it on amd64 and arm64 (int and uint are 64 bits).
func representable(v constant.Value, b *types.Basic) bool {
	switch {
	case b.Info()&types.IsInteger != 0:
		x := constant.ToInt(v)
		if x.Kind() != constant.Int {
			return false
		}
		if b.Info()&types.IsUnsigned != 0 {
			n, exact := constant.Uint64Val(x)
			if !exact || constant.Sign(x) < 0 {
				return false
			}
			switch b.Kind() {
			case types.Uint8:
				return n <= math.MaxUint8
			case types.Uint16:
				return n <= math.MaxUint16
			case types.Uint32:
				return n <= math.MaxUint32
			}
			return true
		}
		n, exact := constant.Int64Val(x)
		if !exact {
			return false
		}
		switch b.Kind() {
		case types.Int8:
			return n >= math.MinInt8 && n <= math.MaxInt8
		case types.Int16:
			return n >= math.MinInt16 && n <= math.MaxInt16
		case types.Int32:
			return n >= math.MinInt32 && n <= math.MaxInt32
		}
		return true
	case b.Info()&types.IsFloat != 0:
		x := constant.ToFloat(v)
		if x.Kind() != constant.Float && x.Kind() != constant.Int {
			return false
		}
		if b.Kind() == types.Float32 {
			f, _ := constant.Float32Val(x)
			return !math.IsInf(float64(f), 0)
		}
		f, _ := constant.Float64Val(x)
		return !math.IsInf(f, 0)
	case b.Info()&types.IsComplex != 0:
		x := constant.ToComplex(v)
		if x.Kind() != constant.Complex {
			return false
		}
		re, _ := constant.Float64Val(constant.Real(x))
		im, _ := constant.Float64Val(constant.Imag(x))
		return !math.IsInf(re, 0) && !math.IsInf(im, 0)
	}
	return true
}
