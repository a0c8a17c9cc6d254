package main

//go:generate go run github.com/resolute/resolute-gen/cmd/resolute-gen gen -o sync_gen.go sync.toml
