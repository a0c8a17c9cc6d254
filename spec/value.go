package spec

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// makeString builds a String from a string scalar.
func makeString(v *tnode, keyPos Pos) String {
	raw := v.raw
	off := 1
	if strings.HasPrefix(raw, `"""`) || strings.HasPrefix(raw, "'''") {
		off = 3
		switch {
		case strings.HasPrefix(raw[3:], "\n"):
			off = 4
		case strings.HasPrefix(raw[3:], "\r\n"):
			off = 5
		}
	}
	return String{
		Value:   v.data,
		Pos:     v.pos,
		KeyPos:  keyPos,
		Literal: strings.HasPrefix(raw, "'"),
		Offset:  off,
		Raw:     raw,
	}
}

// makeValue converts any tree value into a generic Value. keyPos is the
// key that holds it (for array elements, the array's key).
func makeValue(v *tnode, keyPos Pos) *Value {
	out := &Value{Pos: v.pos, KeyPos: keyPos}
	switch v.kind {
	case tArray:
		out.Kind = KindArray
		out.Array = make([]*Value, 0, len(v.elems))
		for _, el := range v.elems {
			out.Array = append(out.Array, makeValue(el, keyPos))
		}
		return out
	case tTable:
		out.Kind = KindTable
		out.Fields = makeFields(v)
		return out
	}
	switch v.sk {
	case sString:
		out.Kind = KindString
		out.Str = makeString(v, keyPos)
	case sInteger:
		out.Kind = KindInt
		out.Int = v.i
	case sFloat:
		out.Kind = KindFloat
		out.Float = v.f
	case sBool:
		out.Kind = KindBool
		out.Bool = v.raw == "true"
	case sDateTime:
		out.Raw, out.Kind, out.Time = v.raw, KindDateTime, v.t
	case sLocalDateTime:
		out.Raw, out.Kind, out.Time = v.raw, KindLocalDateTime, v.t
	case sLocalDate:
		out.Raw, out.Kind, out.Time = v.raw, KindLocalDate, v.t
	case sLocalTime:
		out.Raw, out.Kind, out.Time = v.raw, KindLocalTime, v.t
	}
	return out
}

// makeFields converts the entries of a table, in source order.
func makeFields(t *tnode) []*Field {
	fields := make([]*Field, 0, len(t.entries))
	for _, e := range t.entries {
		fields = append(fields, &Field{Key: e.key, KeyPos: e.keyPos, Value: makeValue(e.val, e.keyPos)})
	}
	return fields
}

// PosAt returns the source position of byte i of s.Value (i == len(s.Value)
// gives the position of the closing quote). It follows escapes, line breaks
// in multi-line strings and line-ending backslashes, so an error inside a
// ${...} can point at the exact column. Without Raw (a String not made by
// Parse) it assumes the value maps byte for byte onto one line.
func (s String) PosAt(i int) Pos {
	if s.Raw == "" {
		p := s.Pos
		p.Col += s.Offset + i
		return p
	}
	off := s.sourceOffset(i)
	p := s.Pos
	for j := 0; j < off && j < len(s.Raw); j++ {
		if s.Raw[j] == '\n' {
			p.Line++
			p.Col = 1
		} else {
			p.Col++
		}
	}
	return p
}

// sourceOffset maps byte i of the value to an offset in Raw.
func (s String) sourceOffset(i int) int {
	raw := s.Raw
	if s.Literal {
		return s.Offset + i
	}
	multi := strings.HasPrefix(raw, `"""`)
	end := len(raw) - 1
	if multi {
		end = len(raw) - 3
	}
	j, dec := s.Offset, 0
	for j < end {
		if raw[j] != '\\' || j+1 >= end {
			if dec == i {
				return j
			}
			j++
			dec++
			continue
		}
		if multi && lineEndingBackslash(raw[j+1:end]) {
			j++
			for j < end && strings.IndexByte(" \t\r\n", raw[j]) >= 0 {
				j++
			}
			continue
		}
		n, size := 2, 1 // source length and decoded length of the escape
		switch raw[j+1] {
		case 'u', 'U', 'x':
			n = map[byte]int{'u': 6, 'U': 10, 'x': 4}[raw[j+1]]
			if j+n > end {
				n = end - j
			}
			r, err := strconv.ParseUint(raw[j+2:j+n], 16, 32)
			if err == nil {
				size = utf8.RuneLen(rune(r))
				if size < 0 {
					size = 3 // the replacement character
				}
			}
		}
		if i < dec+size {
			return j
		}
		j += n
		dec += size
	}
	return end
}

// lineEndingBackslash reports whether the text after a backslash is only
// blanks up to a newline, which makes the backslash trim the line break.
func lineEndingBackslash(rest string) bool {
	for k := 0; k < len(rest); k++ {
		switch rest[k] {
		case ' ', '\t', '\r':
		case '\n':
			return true
		default:
			return false
		}
	}
	return false
}
