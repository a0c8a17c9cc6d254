// Package tnodes holds the nodes of the Temporal target's tests: a paged
// source, a recorder that appends to a file (so a test sees what ran) and a
// node that always fails (for on_error handlers).
package tnodes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Item is one record of the feed.
type Item struct {
	ID    string
	Value int
}

// FeedIn asks for one page of a feed of Total items.
type FeedIn struct {
	Total     int
	PageSize  int
	PageToken string
}

// FeedOut is one page.
type FeedOut struct {
	Items         []Item
	NextPageToken string
	Last          int
}

// Feed returns the page at PageToken (an offset).
func Feed(ctx context.Context, in FeedIn) (FeedOut, error) {
	start := 0
	if in.PageToken != "" {
		n, err := strconv.Atoi(in.PageToken)
		if err != nil {
			return FeedOut{}, fmt.Errorf("bad page token %q", in.PageToken)
		}
		start = n
	}
	var out FeedOut
	for i := start; i < in.Total && i < start+in.PageSize; i++ {
		out.Items = append(out.Items, Item{ID: fmt.Sprintf("item-%03d", i), Value: i})
		out.Last = i
	}
	if start+in.PageSize < in.Total {
		out.NextPageToken = strconv.Itoa(start + in.PageSize)
	}
	return out, nil
}

// RecordIn names a file and the lines to append to it: Lines, then Line
// if it is not empty.
type RecordIn struct {
	Path  string
	Lines []string
	Line  string
}

// RecordOut counts the lines appended.
type RecordOut struct {
	Count int
}

// Record appends lines to Path.
func Record(ctx context.Context, in RecordIn) (RecordOut, error) {
	if in.Line != "" {
		in.Lines = append(in.Lines, in.Line)
	}
	if in.Path == "" {
		return RecordOut{Count: len(in.Lines)}, nil
	}
	f, err := os.OpenFile(in.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return RecordOut{}, err
	}
	defer f.Close()
	if len(in.Lines) > 0 {
		if _, err := f.WriteString(strings.Join(in.Lines, "\n") + "\n"); err != nil {
			return RecordOut{}, err
		}
	}
	return RecordOut{Count: len(in.Lines)}, nil
}

// FailIn says why to fail.
type FailIn struct {
	Why string
}

// Fail always fails.
func Fail(ctx context.Context, in FailIn) (struct{}, error) {
	return struct{}{}, errors.New("failing on purpose: " + in.Why)
}
