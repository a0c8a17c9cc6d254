package runtime

import (
	"context"
	"net"

	"github.com/resolute/resolute-gen/runtime/internal/atomicfile"
	"github.com/resolute/resolute-gen/runtime/internal/cli"
	"github.com/resolute/resolute-gen/runtime/internal/metrics"
	"github.com/resolute/resolute-gen/runtime/internal/status"
)

// prepareRun prepares the run command: it reads the committed cursors (so
// that a store that cannot be read stops the program now, not at the first
// scheduled run) and the last runs, so that the metrics are complete before
// the first run; it writes the metrics file once (so that a bad path fails
// now, not after a run) and starts serving /metrics. stop stops serving.
func (e *engine) prepareRun(ctx context.Context, inv *cli.Invocation) (stop func(), err error) {
	committed, err := e.loadCursors(ctx)
	if err != nil {
		return nil, err
	}
	e.metrics.SetCursors(committed)
	e.restoreMetrics()
	if inv.MetricsFile != "" {
		e.metricsFile = inv.MetricsFile
		if err := e.writeMetricsFile(); err != nil {
			return nil, configError("--metrics-file: %v", err)
		}
	}
	if inv.MetricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", inv.MetricsAddr)
	if err != nil {
		return nil, configError("--metrics-addr: %v", err)
	}
	e.log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return metrics.Serve(ln, e.metrics), nil
}

// metricsLast describes the run of s for the metrics.
func metricsLast(s *status.Summary) metrics.Last {
	return metrics.Last{Start: s.Started, Finish: s.Finished, Succeeded: s.Result == status.Succeeded, LastSuccess: s.LastSuccess}
}

// restoreMetrics sets the last-run gauges from the run summaries in the
// state directory.
func (e *engine) restoreMetrics() {
	for _, f := range e.prog.Flows {
		if s, err := e.readSummary(f.Name); err == nil {
			s.LastSuccess = s.LastSuccessTime()
			e.metrics.Restore(s.Flow, metricsLast(s))
		}
	}
}

// writeMetricsFile replaces the metrics file, if there is one, with every
// metric. The file is readable by all (a node_exporter usually runs as
// another user); it holds no secrets.
func (e *engine) writeMetricsFile() error {
	if e.metricsFile == "" {
		return nil
	}
	return atomicfile.WriteFile(e.metricsFile, e.metrics.Exposition(), 0o644)
}
