package gen

import (
	"go/types"
	"strings"

	"github.com/resolute/resolute-gen/gen/internal/golang"
)

// nodePackages lists the node packages the calls name, as loaded, in
// pattern order (Program.Packages): the emitter keeps locals clear of their
// names.
func (l *loaded) nodePackages() []*types.Package {
	var pkgs []*types.Package
	for _, k := range sortedKeys(l.byPattern) {
		if p := l.byPattern[k]; p.Types != nil {
			pkgs = append(pkgs, p.Types)
		}
	}
	return pkgs
}

// rowTypeName derives a type name from a step id: rows -> Row,
// issues -> Issue, transformed -> TransformedRow.
func rowTypeName(id string) string {
	n := golang.ExportedName(id)
	switch {
	case strings.HasSuffix(n, "ies") && len(n) > 3:
		return n[:len(n)-3] + "y"
	case strings.HasSuffix(n, "ss"):
		return n + "Row"
	case strings.HasSuffix(n, "s") && len(n) > 1:
		return n[:len(n)-1]
	}
	return n + "Row"
}
