package status

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/atomicfile"
	"github.com/resolute/resolute-gen/runtime/internal/journal"
)

// Summary is written to last/<flow>.json in the state directory when a run
// ends.
type Summary struct {
	Flow     string            `json:"flow"`
	RunID    string            `json:"run_id"`
	Result   string            `json:"result"` // Succeeded or Failed
	Error    string            `json:"error,omitempty"`
	Resumed  bool              `json:"resumed,omitempty"`
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished"`
	Steps    int               `json:"steps"`           // calls executed by this process
	Replayed int               `json:"replayed"`        // calls answered from the journal
	Pages    int               `json:"pages,omitempty"` // stream pages done by this process
	Failures []journal.Failure `json:"failures,omitempty"`
	Cursors  map[string]string `json:"cursors,omitempty"` // values committed
	// LastSuccess is the end of the last successful run of the flow: this
	// run's end if it succeeded, else carried over from the summary before.
	LastSuccess *time.Time `json:"last_success,omitempty"`
}

// Run results (Summary.Result).
const (
	Succeeded = "succeeded"
	Failed    = "failed"
)

// LastSuccessTime is the end of the last successful run known to s.
func (s *Summary) LastSuccessTime() *time.Time {
	if s.LastSuccess == nil && s.Result == Succeeded {
		return &s.Finished
	}
	return s.LastSuccess
}

// ReadSummary reads the summary at path.
func ReadSummary(path string) (*Summary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// WriteSummary replaces the summary at path with s.
func WriteSummary(path string, s *Summary) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'), 0o600)
}
