package main

import (
	"io"
	"os"

	"github.com/resolute/resolute-gen/spec"
)

const schemaHelp = `Usage: resolute-gen schema [-o FILE]

Prints a JSON Schema (draft 2020-12) of the spec format: every key of the
top level, [env], [cursor.*] and each step kind, its type, its allowed
values and a description. TOML editors (Taplo, Even Better TOML) use it to
complete and validate specs as you type; point them at it with a
#:schema directive on a spec's first line or in .taplo.toml.

The schema checks structure only; resolute-gen check also type-checks the
calls and expressions.

Flags:
  -o FILE   write the schema to FILE instead of stdout
`

func cmdSchema(args []string, stdout, stderr io.Writer) error {
	out := ""
	rest, err := flags(args, map[string]*string{"o": &out}, nil, schemaHelp, stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr("schema takes no arguments, not %q\n\n%s", rest[0], schemaHelp)
	}
	if out != "" {
		return os.WriteFile(out, spec.JSONSchema(), 0o644)
	}
	_, err = stdout.Write(spec.JSONSchema())
	return err
}
