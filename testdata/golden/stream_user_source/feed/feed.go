// Package feed is a user-written paged source for the stream golden case.
package feed

import "context"

// PageInput asks for one page of events.
type PageInput struct {
	Since     string
	PageToken string
}

// PageOutput is one page of events and the token of the next one.
type PageOutput struct {
	Events        []string
	NextPageToken string
}

// ListEvents returns one page of events.
func ListEvents(ctx context.Context, in PageInput) (PageOutput, error) {
	return PageOutput{}, nil
}

// SaveInput is what Save writes.
type SaveInput struct{ Events []string }

// SaveOutput says how many events Save wrote.
type SaveOutput struct{ Saved int }

// Save writes events.
func Save(ctx context.Context, in SaveInput) (SaveOutput, error) {
	return SaveOutput{Saved: len(in.Events)}, nil
}
