// Package nodes is a node package beside a spec, called by a relative path.
package nodes

import "context"

// GreetIn names who to greet.
type GreetIn struct {
	Name string
}

// GreetOut is the greeting.
type GreetOut struct {
	Text string
}

// Greet greets.
func Greet(ctx context.Context, in GreetIn) (GreetOut, error) {
	return GreetOut{Text: "hello " + in.Name}, nil
}
