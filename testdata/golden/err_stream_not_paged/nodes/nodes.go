// Package nodes has a node that takes a page token but returns none.
package nodes

import "context"

// In asks for a page.
type In struct{ PageToken string }

// Out is a page without a next token.
type Out struct{ Next string }

// HalfPaged returns one page and no NextPageToken.
func HalfPaged(ctx context.Context, in In) (Out, error) { return Out{}, nil }
