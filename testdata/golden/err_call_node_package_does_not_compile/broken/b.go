package broken

import "context"

type In struct{}
type Out struct{}

func F(ctx context.Context, in In) (Out, error) { return Out{}, undefinedThing }

var x int = "s"
