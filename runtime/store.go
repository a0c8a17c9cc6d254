package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/internal/cli"
	"github.com/resolute/resolute-gen/runtime/internal/redact"
)

// errStore is the store of a program whose store could not be opened: status
// still shows everything else.
type errStore struct{ err error }

func (s errStore) Load(context.Context) (map[string]string, error) { return nil, s.err }
func (s errStore) Commit(context.Context, map[string]string, func(map[string]string) error) error {
	return s.err
}

// Environment variables that configure a Program.CursorStore.
const (
	envCursorStore     = "RESOLUTE_CURSOR_STORE"
	envCursorNamespace = "RESOLUTE_CURSOR_NAMESPACE"
)

// storeConfig returns the configuration of the program's cursor store, or
// nil for the file store. It adds the passwords in the store's URL to red.
func storeConfig(p Program, inv *cli.Invocation, name string, getenv func(string) string, red *redact.Redactor) (*cursorstore.Config, error) {
	if p.CursorStore == nil {
		for _, f := range []string{"cursor-store", "cursor-namespace"} {
			if inv.Given[f] {
				return nil, fmt.Errorf("--%s: this program keeps its cursors in its state directory (cursors.json), not in a cursor store", f)
			}
		}
		return nil, nil
	}
	cfg := &cursorstore.Config{URL: inv.CursorStore, Namespace: inv.CursorNamespace, Program: name}
	if cfg.URL == "" {
		cfg.URL = getenv(envCursorStore)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = getenv(envCursorNamespace)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = strings.TrimSuffix(name, ".exe")
	}
	red.Add(envCursorStore, urlPasswords(cfg.URL)...)
	if cfg.URL == "" {
		return nil, fmt.Errorf("this program keeps its cursors in a cursor store: give its URL with --cursor-store URL or in the environment variable %s", envCursorStore)
	}
	return cfg, nil
}

// urlPasswords returns the passwords in a store URL: its user info's and
// those of query parameters such as password=.
func urlPasswords(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var pw []string
	if p, ok := u.User.Password(); ok && p != "" {
		pw = append(pw, p, url.QueryEscape(p), url.PathEscape(p))
	}
	for k, vs := range u.Query() {
		if strings.Contains(strings.ToLower(k), "password") {
			for _, v := range vs {
				if v != "" {
					pw = append(pw, v, url.QueryEscape(v))
				}
			}
		}
	}
	return pw
}

// openStore opens the program's cursor store.
func (e *engine) openStore(ctx context.Context, cfg cursorstore.Config) error {
	store, err := catchPanicValue(func() (cursorstore.Store, error) { return e.prog.CursorStore(ctx, cfg) })
	if err == nil && store == nil {
		err = errors.New("the cursor store's open function returned no store")
	}
	if err != nil {
		if !strings.HasPrefix(err.Error(), "cursor store") {
			err = fmt.Errorf("cursor store: %w", err)
		}
		return cursorstore.StateError(err)
	}
	e.store, e.external = store, true
	return nil
}

func catchPanicValue[T any](fn func() (T, error)) (v T, err error) {
	err = catchPanic("the cursor store", func() error {
		var ferr error
		v, ferr = fn()
		return ferr
	})
	return v, err
}

// closeStore closes the cursor store if it can be closed.
func (e *engine) closeStore() {
	if c, ok := e.store.(io.Closer); ok {
		if err := c.Close(); err != nil {
			e.log.Warn("closing the cursor store", "error", err)
		}
	}
}

// storeCursors returns the declared cursors as the file store needs them.
func (p *Program) storeCursors() []cursorstore.Cursor {
	cs := make([]cursorstore.Cursor, len(p.Cursors))
	for i, c := range p.Cursors {
		cs[i] = cursorstore.Cursor{Name: c.Name, Initial: c.Initial}
	}
	return cs
}

// storeString describes the cursor store for messages.
func (e *engine) storeString() string {
	if s, ok := e.store.(fmt.Stringer); ok {
		return e.red.String(s.String())
	}
	return fmt.Sprintf("%T", e.store)
}
