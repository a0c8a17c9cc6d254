package gen_test

import (
	"fmt"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxColumns is the widest line generated code may have, a tab counting
// maxTabWidth columns. The text inside a string literal does not count: a
// literal is the spec's own text (a description, a query), which the
// generator writes as the spec wrote it rather than splitting it; what
// the generator itself lays out (calls, composite literals,
// concatenations, comments) fits.
const (
	maxColumns  = 120
	maxTabWidth = 4
)

// TestGoldenLineWidth fails on a line of a golden expected.go wider than
// maxColumns (string literals' contents aside).
func TestGoldenLineWidth(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*", "expected.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden expected.go files (%v)", err)
	}
	longest, longestAt := 0, ""
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// literal[line] is the width of the string literals' contents on
		// that line (a raw literal over several lines counts on each).
		literal := map[int]int{}
		fset := token.NewFileSet()
		file := fset.AddFile(path, -1, len(src))
		var s scanner.Scanner
		s.Init(file, src, nil, scanner.ScanComments)
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok != token.STRING {
				continue
			}
			line := file.Line(pos)
			for i, part := range strings.Split(lit, "\n") {
				literal[line+i] += len(part)
			}
		}
		for i, line := range strings.Split(string(src), "\n") {
			w := len(strings.ReplaceAll(line, "\t", strings.Repeat(" ", maxTabWidth)))
			if w > longest {
				longest, longestAt = w, fmt.Sprintf("%s:%d", path, i+1)
			}
			if w-literal[i+1] > maxColumns {
				t.Errorf("%s:%d: line of %d columns (%d without its string literals), want at most %d:\n%s", path, i+1, w, w-literal[i+1], maxColumns, line)
			}
		}
	}
	t.Logf("longest generated line: %d columns (%s)", longest, longestAt)
}
