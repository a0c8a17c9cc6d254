// Package nodes holds the on-error example's handler: it logs the records
// of a batch the warehouse would not take, for a person to look at.
package nodes

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/resolute/resolute-gen/runtime/jira"
)

// FailedInput is what the handler receives from the failed step.
type FailedInput struct {
	Path   string
	Error  string
	Issues []jira.Issue
}

// FailedOutput counts the logged records.
type FailedOutput struct {
	Logged int
}

// LogFailedRecords appends one line per issue of the failed batch to Path.
func LogFailedRecords(ctx context.Context, in FailedInput) (FailedOutput, error) {
	f, err := os.OpenFile(in.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return FailedOutput{}, err
	}
	defer f.Close()
	for _, is := range in.Issues {
		line, _ := json.Marshal(map[string]string{"time": time.Now().UTC().Format(time.RFC3339), "key": is.Key, "error": in.Error})
		if _, err := fmt.Fprintf(f, "%s\n", line); err != nil {
			return FailedOutput{}, err
		}
	}
	return FailedOutput{Logged: len(in.Issues)}, f.Sync()
}
