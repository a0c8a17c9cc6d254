// Package builtins imports every package a generated worker may import
// besides tprt (the built-in nodes, the cursor stores), so that this
// module's go.mod and go.sum hold their dependencies: `resolute-gen build
// --target temporal` builds workers inside this module when it runs in the
// resolute-gen repository.
package builtins

import (
	_ "github.com/resolute/resolute-gen/runtime/confluence"
	_ "github.com/resolute/resolute-gen/runtime/cursorstore/pgstore"
	_ "github.com/resolute/resolute-gen/runtime/cursorstore/redisstore"
	_ "github.com/resolute/resolute-gen/runtime/deadletter"
	_ "github.com/resolute/resolute-gen/runtime/github"
	_ "github.com/resolute/resolute-gen/runtime/jira"
	_ "github.com/resolute/resolute-gen/runtime/sqlsink/anysql"
	_ "github.com/resolute/resolute-gen/runtime/sqlsink/postgres"
	_ "github.com/resolute/resolute-gen/runtime/sqlsink/sqlite"
	_ "github.com/resolute/resolute-gen/runtime/transform"
)
