// Package nodes holds the metrics example's node: it writes the seed's
// SyncMetrics in the Prometheus text format, to a file that node_exporter's
// textfile collector (or any scraper) picks up.
package nodes

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// SyncMetrics is what one run did, as in the seed's monitored sync.
type SyncMetrics struct {
	Path           string
	SourceRecords  int
	Processed      int
	Inserted       int
	Updated        int
	Failed         int
	Started        time.Time
	Finished       time.Time
	CursorPosition int64
}

// Written says where the metrics went.
type Written struct {
	Path string
}

// EmitMetrics writes the metrics atomically (temp file, rename).
func EmitMetrics(ctx context.Context, m SyncMetrics) (Written, error) {
	body := fmt.Sprintf(`# HELP sync_source_records Records the source returned.
# TYPE sync_source_records gauge
sync_source_records %d
# HELP sync_processed Records after de-duplication.
# TYPE sync_processed gauge
sync_processed %d
# HELP sync_inserted Rows inserted.
# TYPE sync_inserted gauge
sync_inserted %d
# HELP sync_updated Rows updated.
# TYPE sync_updated gauge
sync_updated %d
# HELP sync_failed Rows that failed.
# TYPE sync_failed gauge
sync_failed %d
# HELP sync_duration_seconds How long the run took up to this step.
# TYPE sync_duration_seconds gauge
sync_duration_seconds %g
# HELP sync_cursor_position The cursor, epoch milliseconds.
# TYPE sync_cursor_position gauge
sync_cursor_position %d
`, m.SourceRecords, m.Processed, m.Inserted, m.Updated, m.Failed, m.Finished.Sub(m.Started).Seconds(), m.CursorPosition)
	tmp, err := os.CreateTemp(filepath.Dir(m.Path), ".metrics-*")
	if err != nil {
		return Written{}, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(body); err != nil {
		tmp.Close()
		return Written{}, err
	}
	if err := tmp.Close(); err != nil {
		return Written{}, err
	}
	return Written{Path: m.Path}, os.Rename(tmp.Name(), m.Path)
}

// StartInput is empty: the node only notes the time.
type StartInput struct{}

// Start is when the run began.
type Start struct {
	At time.Time
}

// RecordStartTime returns the current time. As a step its output is
// journaled, so a resumed run keeps the original start.
func RecordStartTime(ctx context.Context, in StartInput) (Start, error) {
	return Start{At: time.Now().UTC()}, nil
}
