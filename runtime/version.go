package runtime

// APIVersion is the version of the API between this package and the code
// resolute-gen generates. It changes when a generated program would no
// longer build or behave the same against this package; resolute-gen
// writes the version it generates for into every program (see
// [ThisAPIVersion]).
//
// Version 2: generated programs advance integer and time cursors with the
// typed [Run.AdvanceInt] and [Run.AdvanceTime] instead of formatting the
// value for [Run.Advance].
const APIVersion = 2

// APIVersion2 is the type of [ThisAPIVersion] in version 2 of the API: its
// name says which version this package is.
type APIVersion2 struct{}

// GeneratedForAPIVersion2 is the method a program generated for version 2
// requires of [ThisAPIVersion].
func (APIVersion2) GeneratedForAPIVersion2() {}

// ThisAPIVersion is the version lock: every generated program declares
//
//	var _ interface{ GeneratedForAPIVersion2() } = runtime.ThisAPIVersion
//
// with the version it was generated for, so that a program generated for
// another version fails to build with an error that names both, such as
// "runtime.APIVersion3 does not implement interface{
// GeneratedForAPIVersion2() } (missing method GeneratedForAPIVersion2)":
// regenerate the program with the resolute-gen of the runtime it builds
// against.
var ThisAPIVersion APIVersion2
