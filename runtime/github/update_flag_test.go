package github

import "flag"

// go test ./... -update rewrites the repository's golden files (they are in
// ./gen); this package has none, but accepts the flag so that the command
// runs over the whole module.
var _ = flag.Bool("update", false, "rewrite golden files (this package has none)")
