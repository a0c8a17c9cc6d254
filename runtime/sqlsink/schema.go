package sqlsink

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
)

// kind is how a column's values are encoded.
type kind int

const (
	kString kind = iota + 1
	kInt
	kUint
	kFloat
	kBool
	kTime
	kBytes
	kRawJSON
	kJSON
	kValuer
)

// column is one column derived from a struct field.
type column struct {
	name     string
	index    []int        // field index path
	typ      reflect.Type // field type with one pointer removed
	ptr      bool         // the field is a pointer: nil is NULL
	kind     kind
	nullable bool
	valueOf  kind // for kValuer: the kind of the Value() result (kString if unknown)
}

// schema is the column layout of a row type.
type schema struct {
	rowType reflect.Type // the struct type
	rowPtr  bool         // rows are pointers to the struct
	cols    []column
	byName  map[string]int
}

var (
	schemas     sync.Map // reflect.Type -> *schema or error
	timeType    = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
	valuerType  = reflect.TypeFor[driver.Valuer]()
	identRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// schemaFor returns the (cached) schema of row type t.
func schemaFor(t reflect.Type) (*schema, error) {
	if v, ok := schemas.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*schema), nil
	}
	s, err := buildSchema(t)
	if err != nil {
		schemas.Store(t, err)
		return nil, err
	}
	schemas.Store(t, s)
	return s, nil
}

func buildSchema(t reflect.Type) (*schema, error) {
	s := &schema{rowType: t, byName: map[string]int{}}
	if t.Kind() == reflect.Pointer {
		s.rowType, s.rowPtr = t.Elem(), true
	}
	if s.rowType.Kind() != reflect.Struct || s.rowType == timeType {
		return nil, fmt.Errorf("Rows: element type %s is not a struct", t)
	}
	if err := s.addFields(s.rowType, nil); err != nil {
		return nil, err
	}
	if len(s.cols) == 0 {
		return nil, fmt.Errorf("Rows: struct %s has no exported fields", s.rowType)
	}
	return s, nil
}

func (s *schema) addFields(t reflect.Type, prefix []int) error {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("db")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		index := append(append([]int(nil), prefix...), i)
		if f.Anonymous && !hasTag {
			ft := f.Type
			if ft.Kind() == reflect.Struct && ft != timeType && !ft.Implements(valuerType) {
				if !f.IsExported() {
					continue // unexported embedded struct: skipped
				}
				if err := s.addFields(ft, index); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = snakeCase(f.Name)
		}
		if !identRE.MatchString(name) {
			return fmt.Errorf("column %q (field %s): not a valid column name (letters, digits and _)", name, f.Name)
		}
		if _, dup := s.byName[name]; dup {
			return fmt.Errorf("column %s: defined twice (field %s); rename one with a db tag", name, f.Name)
		}
		c, err := newColumn(name, index, f.Type)
		if err != nil {
			return fmt.Errorf("column %s: %v", name, err)
		}
		s.byName[name] = len(s.cols)
		s.cols = append(s.cols, c)
	}
	return nil
}

func newColumn(name string, index []int, t reflect.Type) (column, error) {
	c := column{name: name, index: index, typ: t}
	if t.Kind() == reflect.Pointer {
		c.ptr, c.nullable, c.typ = true, true, t.Elem()
	}
	k, nullable, err := kindOf(c.typ)
	if err != nil {
		return column{}, err
	}
	c.kind, c.nullable = k, c.nullable || nullable
	if k == kValuer {
		c.valueOf = valuerKind(c.typ)
	}
	return c, nil
}

func kindOf(t reflect.Type) (kind, bool, error) {
	switch {
	case t == timeType:
		return kTime, false, nil
	case t.Implements(valuerType):
		return kValuer, true, nil
	case t == rawJSONType:
		return kRawJSON, true, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return kBytes, false, nil
	}
	switch t.Kind() {
	case reflect.String:
		return kString, false, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kInt, false, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kUint, false, nil
	case reflect.Float32, reflect.Float64:
		return kFloat, false, nil
	case reflect.Bool:
		return kBool, false, nil
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Struct:
		return kJSON, false, nil
	case reflect.Interface:
		return kJSON, true, nil
	}
	return 0, false, fmt.Errorf("unsupported Go type %s", t)
}

// valuerKind guesses the SQL type of a driver.Valuer from the well-known
// sql.Null* types.
func valuerKind(t reflect.Type) kind {
	switch t {
	case reflect.TypeFor[sql.NullInt64](), reflect.TypeFor[sql.NullInt32](), reflect.TypeFor[sql.NullInt16](), reflect.TypeFor[sql.NullByte]():
		return kInt
	case reflect.TypeFor[sql.NullFloat64]():
		return kFloat
	case reflect.TypeFor[sql.NullBool]():
		return kBool
	case reflect.TypeFor[sql.NullTime]():
		return kTime
	}
	// sql.Null[T]: look at the V field.
	if t.Kind() == reflect.Struct && t.NumField() == 2 && t.Field(0).Name == "V" && t.Field(1).Name == "Valid" {
		if k, _, err := kindOf(t.Field(0).Type); err == nil && k != kValuer {
			return k
		}
	}
	return kString
}

// sqlType returns the column's SQL type for the dialect.
func (c *column) sqlType(d *dialect) string {
	k := c.kind
	if k == kValuer {
		k = c.valueOf
	}
	pg := d.name == Postgres
	switch k {
	case kString:
		return "TEXT"
	case kInt, kUint:
		if pg {
			return "BIGINT"
		}
		return "INTEGER"
	case kFloat:
		if pg {
			return "DOUBLE PRECISION"
		}
		return "REAL"
	case kBool:
		if pg {
			return "BOOLEAN"
		}
		return "INTEGER"
	case kTime:
		if pg {
			return "TIMESTAMPTZ"
		}
		return "TEXT"
	case kBytes:
		if pg {
			return "BYTEA"
		}
		return "BLOB"
	case kRawJSON, kJSON:
		if pg {
			return "JSONB"
		}
		return "TEXT"
	}
	return "TEXT"
}

// encode returns the SQL parameter for field value v (of the field's
// declared type) in dialect d.
func (c *column) encode(v reflect.Value, d *dialect) (any, error) {
	if c.ptr {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	switch c.kind {
	case kString:
		return v.String(), nil
	case kInt:
		return v.Int(), nil
	case kUint:
		u := v.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("value %d overflows a 64-bit signed integer", u)
		}
		return int64(u), nil
	case kFloat:
		return v.Float(), nil
	case kBool:
		return d.boolValue(v.Bool()), nil
	case kTime:
		if v.CanAddr() { // rows of a slice: no copy into an interface
			return d.timeValue(*v.Addr().Interface().(*time.Time)), nil
		}
		return d.timeValue(v.Interface().(time.Time)), nil
	case kBytes:
		if v.IsNil() {
			return []byte{}, nil
		}
		return v.Bytes(), nil
	case kRawJSON:
		b := v.Bytes()
		if len(b) == 0 {
			return nil, nil
		}
		if !json.Valid(b) {
			return nil, fmt.Errorf("json.RawMessage is not valid JSON")
		}
		return string(b), nil
	case kJSON:
		if (v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.IsNil() {
			if v.Kind() == reflect.Map {
				return "{}", nil
			}
			return "[]", nil
		}
		if v.Kind() == reflect.Interface && v.IsNil() {
			return nil, nil
		}
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return nil, err
		}
		return string(b), nil
	case kValuer:
		val, err := v.Interface().(driver.Valuer).Value()
		if err != nil {
			return nil, err
		}
		switch x := val.(type) {
		case time.Time:
			return d.timeValue(x), nil
		case bool:
			return d.boolValue(x), nil
		}
		return val, nil
	}
	return nil, fmt.Errorf("unsupported Go type %s", c.typ)
}

// snakeCase converts a Go field name to snake_case: IssueKey -> issue_key,
// ID -> id, HTTPServer -> http_server, Field2 -> field2.
func snakeCase(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 {
				prev := r[i-1]
				nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteRune(unicode.ToLower(c))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// quoteIdent quotes a validated identifier, or a schema-qualified name.
func quoteIdent(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}

// validTable checks a table name: an identifier, optionally schema-qualified.
func validTable(name string) error {
	if name == "" {
		return fmt.Errorf("Table is empty")
	}
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return fmt.Errorf("table %q: at most one dot (schema.table)", name)
	}
	for _, p := range parts {
		if !identRE.MatchString(p) || len(p) > 63 {
			return fmt.Errorf("table %q: not a valid name (letters, digits and _, at most 63 characters, optionally schema.table)", name)
		}
	}
	return nil
}
