// Package transform holds the small, pure helpers that resolute-gen's
// generated code calls for the pure steps of a flow (unique, merge). They are
// plain generic Go functions, not nodes: they have no side effects, are not
// journaled, and are recomputed on replay from journaled inputs.
//
// A spec that de-duplicates mapped rows by a key, keeping the latest update:
//
//	[[step]]
//	id = "unique"
//	unique = "rows"       # compiles to transform.UniqueBy(rows, func(row Row) string { return row.IssueKey })
//	key = "issue_key"
//
// and one that merges the outputs of parallel branches:
//
//	[[step]]
//	id = "merged"
//	merge = ["jira.Items", "github.Items"]   # compiles to transform.Concat(jira.Items, github.Items)
package transform

// Unique is the result of UniqueBy: the de-duplicated rows and how many
// input items were dropped as duplicates (len(input) == len(Rows)+Duplicates).
type Unique[T any] struct {
	// Rows holds one item per distinct key.
	Rows []T
	// Duplicates counts the items that were superseded by a later item with
	// the same key.
	Duplicates int
}

// UniqueBy removes items with duplicate keys. For each key it keeps the LAST
// occurrence (in a sync ordered by update time, the latest version wins), at
// the position where the key was FIRST seen, so the output order is the
// first-seen order of the keys. The input slice is not modified.
//
// For example, with items a1 b1 a2 keyed by their letter, UniqueBy returns
// Rows a2 b1 and Duplicates 1.
//
// Rows is never nil, even for empty input.
func UniqueBy[T any, K comparable](items []T, key func(T) K) Unique[T] {
	rows := make([]T, 0, len(items))
	index := make(map[K]int, len(items))
	for _, it := range items {
		k := key(it)
		if i, ok := index[k]; ok {
			rows[i] = it
			continue
		}
		index[k] = len(rows)
		rows = append(rows, it)
	}
	return Unique[T]{Rows: rows, Duplicates: len(items) - len(rows)}
}

// Concat returns a new slice holding the items of all lists, in order. It
// allocates once; the inputs are not modified and the result shares no
// storage with them. The result is never nil.
func Concat[T any](lists ...[]T) []T {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]T, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
