// Package testnodes holds node functions that golden cases call: a
// paginated source, a processor, a generic sink and a handful of functions
// with the wrong shape, so that every rule of the checker has a target.
//
// The nodes are deterministic and need no network: golden cases are
// compiled, not run; the execution tests use their own node packages.
package testnodes

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Item is one record of the fake source.
type Item struct {
	ID      string
	Name    string
	Updated time.Time
	Score   float64
	Tags    []string
	Owner   *string
}

// PageIn asks for one page.
type PageIn struct {
	Source string
	Token  string
	Size   int
}

// PageOut is one page and where the next one starts.
type PageOut struct {
	Items   []Item
	Next    string
	HasMore bool
}

// FetchPage returns page Token of a fixed source of 25 items.
func FetchPage(ctx context.Context, in PageIn) (PageOut, error) {
	const total = 25
	start := 0
	if in.Token != "" {
		n, err := strconv.Atoi(in.Token)
		if err != nil {
			return PageOut{}, fmt.Errorf("bad page token %q", in.Token)
		}
		start = n
	}
	size := in.Size
	if size <= 0 {
		size = 10
	}
	var out PageOut
	for i := start; i < total && i < start+size; i++ {
		out.Items = append(out.Items, Item{ID: fmt.Sprintf("%s-%d", in.Source, i), Name: "item", Updated: time.Unix(int64(i), 0).UTC()})
	}
	if start+size < total {
		out.Next, out.HasMore = strconv.Itoa(start+size), true
	}
	return out, nil
}

// SourceIn names a source to fetch from.
type SourceIn struct {
	Name  string
	Since string
}

// SourceOut is everything a source had.
type SourceOut struct {
	Items      []Item
	MaxUpdated time.Time
	Cursor     int64
}

// FetchSource returns three items from the named source.
func FetchSource(ctx context.Context, in SourceIn) (SourceOut, error) {
	var out SourceOut
	for i := 0; i < 3; i++ {
		it := Item{ID: fmt.Sprintf("%s-%d", in.Name, i), Updated: time.Unix(int64(100+i), 0).UTC()}
		out.Items = append(out.Items, it)
		out.MaxUpdated = it.Updated
		out.Cursor = it.Updated.UnixMilli()
	}
	return out, nil
}

// ProcessIn is a batch to process.
type ProcessIn struct {
	Items []Item
	Label string
}

// ProcessOut counts what was processed.
type ProcessOut struct {
	Count  int
	Failed int
}

// Process counts the items; it fails on an item named "poison".
func Process(ctx context.Context, in ProcessIn) (ProcessOut, error) {
	for _, it := range in.Items {
		if it.Name == "poison" {
			return ProcessOut{}, errors.New("poison item " + it.ID)
		}
	}
	return ProcessOut{Count: len(in.Items)}, nil
}

// StoreIn carries rows of any struct type.
type StoreIn[T any] struct {
	Table string
	Rows  []T
}

// StoreOut counts stored rows.
type StoreOut struct {
	Stored int
}

// Store pretends to store rows: it counts them.
func Store[T any](ctx context.Context, in StoreIn[T]) (StoreOut, error) {
	return StoreOut{Stored: len(in.Rows)}, nil
}

// Level is a named string type.
type Level string

// Options is a nested struct input.
type Options struct {
	Verbose bool
	Depth   int
}

// NotifyIn has a field of every kind a TOML literal can fill.
type NotifyIn struct {
	Message  string
	Attempt  int64
	Small    int8
	Ratio    float64
	Enabled  bool
	Tags     []string
	Timeout  time.Duration
	At       time.Time
	Limit    *int
	Meta     map[string]string
	Options  Options
	Level    Level
	Extra    any
	Count    int
	Unsigned uint
}

// NotifyOut is what Notify did.
type NotifyOut struct {
	Sent bool
}

// Notify does nothing, successfully.
func Notify(ctx context.Context, in NotifyIn) (NotifyOut, error) {
	return NotifyOut{Sent: true}, nil
}

// FailureIn is what an on_error handler receives.
type FailureIn struct {
	Step  string
	Error string
	Items []Item
	Input ProcessIn
}

// Record notes a failure.
func Record(ctx context.Context, in FailureIn) (struct{}, error) { return struct{}{}, nil }

// Stats is a struct{} node output.
type StatsIn struct {
	Count   int
	Started time.Time
}

// Stats logs nothing.
func Stats(ctx context.Context, in StatsIn) (struct{}, error) { return struct{}{}, nil }

// --- functions of the wrong shape, for invalid cases ---

// NotANode is not a node: no context, no error.
func NotANode(x int) int { return x }

// NoContext lacks the context parameter.
func NoContext(a, b PageIn) (PageOut, error) { return PageOut{}, nil }

// TwoResults returns an int where the error belongs.
func TwoResults(ctx context.Context, in PageIn) (PageOut, int) { return PageOut{}, 0 }

// PointerIn takes a pointer input.
func PointerIn(ctx context.Context, in *PageIn) (PageOut, error) { return PageOut{}, nil }

// ChanOut has an output that cannot be journaled.
type ChanOut struct{ C chan int }

// Channel returns an output JSON cannot write.
func Channel(ctx context.Context, in PageIn) (ChanOut, error) { return ChanOut{}, nil }

// NotAFunc is a variable.
var NotAFunc = 1

// Pick chooses a field of a generic input; T cannot be inferred from Name.
type PickIn[T any] struct {
	Name string
	Rows []T
}

// Pick returns nothing.
func Pick[T any](ctx context.Context, in PickIn[T]) (StoreOut, error) { return StoreOut{}, nil }

// ScalarIn takes a string, not a struct, as input.
func ScalarIn(ctx context.Context, name string) (PageOut, error) { return PageOut{}, nil }

// ScalarOut returns an int, not a struct, as output.
func ScalarOut(ctx context.Context, in PageIn) (int, error) { return 0, nil }

// Kind is an integer with a String method: interpolated with String().
type Kind int

// The kinds.
const (
	KindNone Kind = iota
	KindBug
)

// String names the kind.
func (k Kind) String() string {
	if k == KindBug {
		return "bug"
	}
	return "none"
}

// SummaryIn names what to summarize.
type SummaryIn struct {
	Source string
}

// SummaryOut has a field of each kind a string can interpolate.
type SummaryOut struct {
	Count   int
	Total   int64
	Small   int8
	Ratio   float64
	Partial bool
	At      time.Time
	Level   Level
	Kind    Kind
	Missing []string
}

// Summarize returns a fixed summary.
func Summarize(ctx context.Context, in SummaryIn) (SummaryOut, error) {
	return SummaryOut{Count: 3, Total: 3, Ratio: 0.5, At: time.Unix(0, 0).UTC(), Level: "info", Kind: KindBug}, nil
}

// hidden has the node shape but is not exported: a spec cannot call it.
func hidden(ctx context.Context, in PageIn) (PageOut, error) { return PageOut{}, nil }

var _ = hidden

// Conn is the connection settings that several inputs share by embedding
// it: `with` sets its fields as if they were the input's own.
type Conn struct {
	BaseURL string
	Token   string
	Limits
}

// Limits is embedded two levels down (EmbeddedIn -> Conn -> Limits).
type Limits struct {
	PageSize int
}

// EmbeddedIn is an input that embeds Conn; its own Name shadows nothing.
type EmbeddedIn struct {
	Conn
	Name string
}

// FetchEmbedded returns the items of the named source, like FetchSource,
// once the embedded connection settings are set.
func FetchEmbedded(ctx context.Context, in EmbeddedIn) (SourceOut, error) {
	if in.BaseURL == "" || in.Token == "" || in.PageSize == 0 {
		return SourceOut{}, fmt.Errorf("embedded settings not set: base URL %q, token set %v, page size %d", in.BaseURL, in.Token != "", in.PageSize)
	}
	return FetchSource(ctx, SourceIn{Name: in.Name})
}
