// Package redact hides the values of a program's secret environment
// variables from everything it prints (errors, logs) and finds them in data
// that must never hold one (journal records, step outputs).
package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// placeholder replaces secret values in text meant for people.
const placeholder = "[REDACTED]"

// ShortSecret is the length under which a secret value cannot be redacted
// reliably. A value of 8 bytes or more is replaced wherever it occurs. A
// shorter one (a one-letter token, a 4-digit PIN) would match inside
// ordinary words ("fail[REDACTED]d"), so it is replaced only where it stands
// as a whole word, bounded by characters other than letters, digits and
// '_'; and a step output is refused only when one of its JSON strings is
// exactly the value. The program warns about such a secret when a run
// starts.
const ShortSecret = 8

// Redactor hides the values of secret environment variables. Every non-empty
// secret value is replaced wherever it occurs (see ShortSecret), longest
// first.
type Redactor struct {
	secrets []secretValue
}

type secretValue struct {
	name  string
	value string
	json  []byte // value as it appears inside a JSON string
}

// New returns a Redactor of secrets, values by variable name.
func New(secrets map[string]string) *Redactor {
	r := &Redactor{}
	for name, v := range secrets {
		r.Add(name, v)
	}
	return r
}

// Add adds secret values under one name.
func (r *Redactor) Add(name string, values ...string) {
	for _, v := range values {
		if v == "" {
			continue
		}
		q, _ := json.Marshal(v)
		r.secrets = append(r.secrets, secretValue{
			name: name, value: v, json: q[1 : len(q)-1],
		})
	}
	slices.SortFunc(r.secrets, func(a, b secretValue) int {
		if d := len(b.value) - len(a.value); d != 0 {
			return d
		}
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
}

// String returns s with every secret value replaced by [REDACTED].
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, sv := range r.secrets {
		if sv.short() {
			s = replaceWord(s, sv.value, placeholder)
		} else {
			s = strings.ReplaceAll(s, sv.value, placeholder)
		}
	}
	return s
}

func (sv secretValue) short() bool { return len(sv.value) < ShortSecret }

// ShortNames returns the names of the secrets too short to be redacted
// reliably, sorted.
func (r *Redactor) ShortNames() []string {
	var names []string
	for _, sv := range r.secrets {
		if sv.short() && !slices.Contains(names, sv.name) {
			names = append(names, sv.name)
		}
	}
	slices.Sort(names)
	return names
}

// isWordByte reports whether c continues a word: an ASCII letter, digit or
// '_', or a byte of a multi-byte UTF-8 character.
func isWordByte(c byte) bool {
	return c == '_' || c >= 0x80 || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// replaceWord replaces the occurrences of word in s that are not part of a
// longer word.
func replaceWord(s, word, with string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for from := 0; ; {
		i := strings.Index(s[from:], word)
		if i < 0 {
			break
		}
		i += from
		end := i + len(word)
		if (i == 0 || !isWordByte(s[i-1])) && (end == len(s) || !isWordByte(s[end])) {
			b.WriteString(s[done:i])
			b.WriteString(with)
			done = end
		}
		from = i + 1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// Error returns err's text, redacted.
func (r *Redactor) Error(err error) string {
	if err == nil {
		return ""
	}
	return r.String(err.Error())
}

// Find returns the name of the secret environment variable whose value
// occurs in b, a JSON text (raw or JSON-escaped), or "" if none does. The
// journal holds data verbatim, so an output in which Find finds a secret is
// never journaled: replay does no substitution, and what a live run saw is
// exactly what a resumed run gets back.
func (r *Redactor) Find(b []byte) string {
	if r == nil {
		return ""
	}
	for _, sv := range r.secrets {
		if sv.short() {
			// Only a JSON string that is exactly the value (see ShortSecret).
			if bytes.Contains(b, []byte(`"`+string(sv.json)+`"`)) {
				return sv.name
			}
		} else if bytes.Contains(b, sv.json) || string(sv.json) != sv.value && bytes.Contains(b, []byte(sv.value)) {
			return sv.name
		}
	}
	return ""
}

// redactedError is an error whose text has been redacted; Unwrap still
// gives the original error to errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Err returns err with its text redacted (err itself if it holds no
// secret).
func (r *Redactor) Err(err error) error {
	if err == nil {
		return nil
	}
	if msg := r.Error(err); msg != err.Error() {
		return &redactedError{msg, err}
	}
	return err
}

// NewLogger returns a slog logger writing format ("text" or "json") to w,
// dropping records below level, with every secret value of r redacted from
// messages and attributes.
func NewLogger(w io.Writer, format string, level slog.Level, r *Redactor) *slog.Logger {
	var h slog.Handler
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(&redactHandler{h, r})
}

// redactHandler redacts secret values from every record before passing it on.
type redactHandler struct {
	next slog.Handler
	red  *Redactor
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.red.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	for i, a := range attrs {
		attrs[i] = h.attr(a)
	}
	return &redactHandler{h.next.WithAttrs(attrs), h.red}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h.next.WithGroup(name), h.red}
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.red.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, ga := range g {
			out[i] = h.attr(ga)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		s := fmt.Sprint(v.Any())
		if r := h.red.String(s); r != s {
			return slog.String(a.Key, r)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
