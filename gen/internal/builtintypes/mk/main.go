// Command mk writes types.bin, the type information of resolute-gen's
// built-in packages that package builtintypes embeds. Run it with go
// generate in gen/internal/builtintypes (go generate ./gen/...); with
// -check it writes nothing and fails if the file is stale.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/resolute/resolute-gen/gen/internal/builtintypes"
)

func main() {
	check := flag.Bool("check", false, "fail if "+builtintypes.FileName+" is stale instead of writing it")
	flag.Parse()
	// go generate runs in the package directory, three levels below the
	// module root.
	root := filepath.Join("..", "..", "..")
	b, err := builtintypes.Build(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "builtintypes:", err)
		os.Exit(1)
	}
	if *check {
		old, _ := os.ReadFile(builtintypes.FileName)
		if !bytes.Equal(old, b) {
			fmt.Fprintf(os.Stderr, "builtintypes: %s is stale; run go generate ./gen/...\n", builtintypes.FileName)
			os.Exit(1)
		}
		return
	}
	if err := os.WriteFile(builtintypes.FileName, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "builtintypes:", err)
		os.Exit(1)
	}
}
