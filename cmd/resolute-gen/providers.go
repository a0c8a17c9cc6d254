//go:build resolute_providers

// This file is never compiled (nothing sets the resolute_providers build
// tag). It is here for the go command: `go get -tool` and `go mod tidy`
// follow imports under every build tag, so a module whose go.mod names
// resolute-gen as a tool (`go get -tool
// github.com/resolute/resolute-gen/cmd/resolute-gen`) keeps in its go.mod
// and go.sum the dependencies of every package a generated program may
// import (pgx, SQLite, Redis), before any program is generated. Without
// them the first check of a spec calling sql.Upsert fails to load pgx.
// TestProvidersListed keeps the list complete.

package main

import (
	_ "github.com/resolute/resolute-gen/runtime"
	_ "github.com/resolute/resolute-gen/runtime/confluence"
	_ "github.com/resolute/resolute-gen/runtime/cursorstore/pgstore"
	_ "github.com/resolute/resolute-gen/runtime/cursorstore/redisstore"
	_ "github.com/resolute/resolute-gen/runtime/deadletter"
	_ "github.com/resolute/resolute-gen/runtime/github"
	_ "github.com/resolute/resolute-gen/runtime/jira"
	_ "github.com/resolute/resolute-gen/runtime/sqlsink"
	_ "github.com/resolute/resolute-gen/runtime/sqlsink/anysql"
	_ "github.com/resolute/resolute-gen/runtime/sqlsink/postgres"
	_ "github.com/resolute/resolute-gen/runtime/sqlsink/sqlite"
	_ "github.com/resolute/resolute-gen/runtime/transform"
)
