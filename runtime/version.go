package runtime

// APIVersion is the version of the API between this package and the code
// resolute-gen generates. It changes when a generated program would no
// longer build or behave the same against this package; resolute-gen
// writes the version it generates for into every program (see
// [ThisAPIVersion]).
const APIVersion = 1

// APIVersion1 is the type of [ThisAPIVersion] in version 1 of the API: its
// name says which version this package is.
type APIVersion1 struct{}

// GeneratedForAPIVersion1 is the method a program generated for version 1
// requires of [ThisAPIVersion].
func (APIVersion1) GeneratedForAPIVersion1() {}

// ThisAPIVersion is the version lock: every generated program declares
//
//	var _ interface{ GeneratedForAPIVersion1() } = runtime.ThisAPIVersion
//
// with the version it was generated for, so that a program generated for
// another version fails to build with an error that names both, such as
// "runtime.APIVersion2 does not implement interface{
// GeneratedForAPIVersion1() } (missing method GeneratedForAPIVersion1)":
// regenerate the program with the resolute-gen of the runtime it builds
// against.
var ThisAPIVersion APIVersion1
