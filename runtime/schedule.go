package runtime

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/robfig/cron/v3"
)

// schedule runs every scheduled flow on its cron schedule, one run at a
// time, until ctx is cancelled (SIGINT/SIGTERM), then returns nil. Unfinished
// runs of any flow are resumed first (or discarded, with fresh). A tick that
// passes while another run is in progress starts its flow as soon as that
// run ends; ticks missed beyond that are skipped, not queued. With hooks,
// a flow that a webhook delivery asked for runs likewise as soon as no run
// is in progress; deliveries that arrive meanwhile are coalesced into that
// one pending run.
func (e *engine) schedule(ctx context.Context, fresh bool, hooks *webhooks) error {
	type entry struct {
		flow  Flow
		sched cron.Schedule
		next  time.Time
	}
	var entries []*entry
	for _, f := range e.prog.Flows {
		if f.Schedule == "" {
			continue
		}
		s, err := cron.ParseStandard(f.Schedule)
		if err != nil {
			return configError("flow %q: bad schedule %q: %v", f.Name, f.Schedule, err)
		}
		entries = append(entries, &entry{flow: f, sched: s})
	}
	if len(entries) == 0 && hooks == nil {
		return configError("no flow has a schedule, so there is nothing to run on a schedule; run a flow now with `%s run --once FLOW` (flows: %s)",
			e.name, quoteList(e.prog.flowNames()))
	}

	for _, f := range e.prog.Flows {
		if _, err := os.Stat(e.journalPath(f.Name)); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if fresh {
			if err := os.Remove(e.journalPath(f.Name)); err != nil {
				return configError("discard unfinished run: %v", err)
			}
			e.log.Info("discarded the unfinished run", "flow", f.Name)
			continue
		}
		e.log.Info("resuming the unfinished run", "flow", f.Name)
		if _, err := e.runFlow(ctx, f, false); exitCode(err) == 2 {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}

	now := e.now()
	for _, en := range entries {
		en.next = en.sched.Next(now)
		e.log.Info("flow scheduled", "flow", en.flow.Name, "schedule", en.flow.Schedule, "next", en.next.Format(time.RFC3339))
	}
	var kick <-chan struct{}
	if hooks != nil {
		kick = hooks.Kick()
	}
	for {
		var en *entry
		var tick <-chan time.Time
		var timer *time.Timer
		if len(entries) > 0 {
			en = entries[0]
			for _, other := range entries[1:] {
				if other.next.Before(en.next) {
					en = other
				}
			}
			timer = time.NewTimer(en.next.Sub(e.now()))
			tick = timer.C
		}
		stopTimer := func() {
			if timer != nil {
				timer.Stop()
			}
		}
		select {
		case <-ctx.Done():
			stopTimer()
			e.log.Info("scheduler stopped")
			return nil
		case <-kick:
			stopTimer()
			for _, f := range hooks.take() {
				e.log.Info("run requested by webhook", "flow", f.Name)
				if _, err := e.runFlow(ctx, f, false); err != nil && exitCode(err) == 2 {
					e.log.Error("flow cannot run until its state is repaired", "flow", f.Name, "error", err)
				}
				if ctx.Err() != nil {
					e.log.Info("scheduler stopped")
					return nil
				}
			}
			continue
		case <-tick:
		}
		if _, err := e.runFlow(ctx, en.flow, false); err != nil && exitCode(err) == 2 {
			e.log.Error("flow cannot run until its state is repaired", "flow", en.flow.Name, "error", err)
		}
		if ctx.Err() != nil {
			e.log.Info("scheduler stopped")
			return nil
		}
		en.next = en.sched.Next(e.now())
		e.log.Info("flow scheduled", "flow", en.flow.Name, "next", en.next.Format(time.RFC3339))
	}
}
