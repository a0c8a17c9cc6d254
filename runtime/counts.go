package runtime

import (
	"log/slog"
	"reflect"
)

// maxCountAttrs bounds how many fields a step's log line summarizes.
const maxCountAttrs = 8

// counts summarizes a step's output for its log line: the length of every
// slice or map field and the value of every integer field, so that "step
// completed" says what the step did (out.Items=137 out.Inserted=130). Text
// fields are left out: they may be long, or sensitive. Only the log line
// uses reflection; generated code does not.
func counts(out any) slog.Attr {
	v := reflect.ValueOf(out)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return slog.Attr{}
	}
	var attrs []any
	t := v.Type()
	for i := 0; i < t.NumField() && len(attrs) < maxCountAttrs; i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		switch fv.Kind() {
		case reflect.Slice, reflect.Map, reflect.Array:
			attrs = append(attrs, slog.Int(f.Name, fv.Len()))
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			attrs = append(attrs, slog.Int64(f.Name, fv.Int()))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			attrs = append(attrs, slog.Uint64(f.Name, fv.Uint()))
		}
	}
	if len(attrs) == 0 {
		return slog.Attr{}
	}
	return slog.Group("out", attrs...)
}
