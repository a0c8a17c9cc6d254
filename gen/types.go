package gen

import (
	"go/constant"
	"go/token"
	"go/types"
	"math"

	"github.com/resolute/resolute-gen/gen/internal/golang"
)

// typeString prints t as the spec's reader knows it: package names, not
// paths; generated row types without a package.
func (c *checker) typeString(t types.Type) string {
	return golang.TypeWriter{Main: c.mainPkg}.TypeString(t)
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

// qualifier writes package names, not paths, and nothing for main (load.go
// names types with it too).
func qualifier(main *types.Package) types.Qualifier { return golang.Qualifier(main) }
