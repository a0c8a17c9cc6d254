package tprt

import (
	"context"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/resolute/resolute-gen/runtime"
	"github.com/resolute/resolute-gen/runtime/cursorstore"
)

// Program is everything a generated worker hands to [Main].
type Program struct {
	// Name is the program's name: the default task queue, and the prefix
	// of its schedules' ids.
	Name string
	// Flows are the flows, in spec order; each is a workflow type named
	// after the flow.
	Flows []Flow
	// Activities are the call steps' nodes, wrapped by [Node].
	Activities []Activity
	// Env declares every environment variable the flows read through
	// [Run.Env]. The worker reads them when it starts.
	Env []runtime.EnvVar
	// Cursors declares the persisted cursors the flows share.
	Cursors []runtime.CursorSpec
	// CursorStore, if set, opens the store of the committed cursors
	// (pgstore.Open, redisstore.Open); nil keeps them in a file of the
	// worker's state directory, which only suits a single worker host.
	CursorStore func(ctx context.Context, cfg cursorstore.Config) (cursorstore.Store, error)
	// Version is the version of resolute-gen that generated the program.
	Version string
	// SpecHash identifies the spec files the program was generated from.
	SpecHash string
}

// Flow is one flow of a program: a Temporal workflow.
type Flow struct {
	// Name is the workflow type's name.
	Name string
	// Description is shown by help and status.
	Description string
	// Schedule is a 5-field cron expression or a descriptor (@hourly,
	// @every 15m); the worker creates or updates a Temporal Schedule for
	// it when it starts. Empty: started only by `prog start FLOW`.
	Schedule string
	// Run is the flow's body, deterministic workflow code. Returning nil
	// commits the staged cursors.
	Run func(ctx workflow.Context, r *Run) error
	// Env names the environment variables the flow reads.
	Env []string
}

// Activity is one activity the worker registers.
type Activity struct {
	// Name is the activity type's name, "<flow>/<step id>".
	Name string
	// Func is the activity function, made by [Node].
	Func any
}

// Defaults of the bounds that keep a run's history within Temporal's
// limits; see the README's "Scaling out with Temporal".
const (
	// DefaultPayloadLimit is the largest encoded input or output of one
	// step the program lets through, below Temporal's default 2 MiB
	// blob limit (limit.blobSize.error) so that the program fails first,
	// with an error naming the step, rather than the workflow getting
	// stuck on a rejected workflow task.
	DefaultPayloadLimit = 1536 * 1024
	// DefaultPagesPerRun is how many pages a stream reads in one workflow
	// run before it continues as new (or sooner, when the server suggests
	// it).
	DefaultPagesPerRun = 100
	// DefaultTimeout is an activity's start-to-close timeout when the
	// step sets none (Temporal requires one).
	DefaultTimeout = 10 * time.Minute
	// DefaultHeartbeatTimeout is how long a step may go without a
	// heartbeat before the server retries it on another worker; [Node]
	// heartbeats three times as often while the node runs.
	DefaultHeartbeatTimeout = 20 * time.Second
)
