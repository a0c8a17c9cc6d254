package main

//go:generate go run github.com/resolute/resolute-gen/cmd/resolute-gen gen -o control_gen.go control.toml fanout.toml each.toml clock.toml formatted.toml
