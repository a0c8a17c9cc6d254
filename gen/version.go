package gen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// RuntimeAPIVersion is the version of the runtime's API (runtime.APIVersion)
// that generated programs are written for. Every program declares it (see
// versionLock), so that building one against a runtime of another version
// fails at once with an error naming both versions.
const RuntimeAPIVersion = 2

// versionLock is the generated declaration that pins the runtime's API
// version, as protoc-gen-go's output does with protoimpl.EnforceVersion.
func versionLock(f *jen.File) {
	f.Commentf("The version lock: this program was generated for version %d of the runtime's API; built against", RuntimeAPIVersion)
	f.Comment("another version it fails here, with an error naming both: regenerate it with the matching resolute-gen.")
	// One line, as the runtime's doc shows it (jennifer would spread the
	// interface over three).
	iface := fmt.Sprintf("interface{ GeneratedForAPIVersion%d() }", RuntimeAPIVersion)
	f.Var().Id("_").Op(iface).Op("=").Add(rt("ThisAPIVersion"))
}
