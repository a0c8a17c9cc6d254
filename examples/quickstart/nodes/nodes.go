// Package nodes is the quickstart's own node: it reads issues from a JSON
// export on disk, so the example needs no credentials and no network. A
// real flow calls jira.FetchIssues instead (see ../jira-sync).
package nodes

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"
)

// Issue is one issue of the export.
type Issue struct {
	Key         string    `json:"key"`
	Project     string    `json:"project"`
	Summary     string    `json:"summary"`
	Status      string    `json:"status"`
	StoryPoints *float64  `json:"story_points"`
	Labels      []string  `json:"labels"`
	Updated     time.Time `json:"updated"`
}

// ReadInput says which file to read and how far the last run got.
type ReadInput struct {
	Path  string
	Since string // epoch milliseconds: only issues updated at or after it
}

// ReadOutput is what changed since the cursor.
type ReadOutput struct {
	Items      []Issue
	MaxUpdated int64 // epoch milliseconds of the newest issue; 0 when none
}

// ReadIssues returns the issues of the export updated at or after Since,
// oldest first. Like Jira's updated >= cursor, the boundary is inclusive:
// the issue at the cursor comes again and the unique step drops it.
func ReadIssues(ctx context.Context, in ReadInput) (ReadOutput, error) {
	since, err := strconv.ParseInt(in.Since, 10, 64)
	if err != nil {
		return ReadOutput{}, fmt.Errorf("cursor %q is not epoch milliseconds", in.Since)
	}
	data, err := os.ReadFile(in.Path)
	if err != nil {
		return ReadOutput{}, err
	}
	var all []Issue
	if err := json.Unmarshal(data, &all); err != nil {
		return ReadOutput{}, fmt.Errorf("%s: %v", in.Path, err)
	}
	var out ReadOutput
	for _, is := range all {
		if ms := is.Updated.UnixMilli(); ms >= since {
			out.Items = append(out.Items, is)
			out.MaxUpdated = max(out.MaxUpdated, ms)
		}
	}
	sort.SliceStable(out.Items, func(i, j int) bool { return out.Items[i].Updated.Before(out.Items[j].Updated) })
	return out, nil
}
