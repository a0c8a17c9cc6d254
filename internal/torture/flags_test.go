package torture_test

import "flag"

func flagInt(name string, v int, usage string) *int           { return flag.Int(name, v, usage) }
func flagBool(name string, v bool, usage string) *bool        { return flag.Bool(name, v, usage) }
func flagFloat(name string, v float64, usage string) *float64 { return flag.Float64(name, v, usage) }
func flagUint(name string, v uint64, usage string) *uint64    { return flag.Uint64(name, v, usage) }
