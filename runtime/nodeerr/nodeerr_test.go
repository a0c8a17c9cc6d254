package nodeerr_test

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// ownError implements the contract without importing nodeerr, as a user
// node may.
type ownError struct{ permanent, config bool }

func (e ownError) Error() string             { return "own" }
func (e ownError) Permanent() bool           { return e.permanent }
func (e ownError) Configuration() bool       { return e.config }
func (e ownError) RetryAfter() time.Duration { return 7 * time.Second }

func TestConstructorsKeepTheChainAndNil(t *testing.T) {
	base := fmt.Errorf("fetch: %w", io.ErrUnexpectedEOF)
	for name, err := range map[string]error{
		"Permanent":     nodeerr.Permanent(base),
		"RetryAfter":    nodeerr.RetryAfter(base, time.Second),
		"Configuration": nodeerr.Configuration(base),
	} {
		if err.Error() != base.Error() || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: %q does not keep the message or chain of %q", name, err, base)
		}
	}
	if nodeerr.Permanent(nil) != nil || nodeerr.RetryAfter(nil, time.Second) != nil || nodeerr.Configuration(nil) != nil {
		t.Error("a constructor given nil returned an error")
	}
}

func TestPredicatesLookThroughWrapping(t *testing.T) {
	base := errors.New("x")
	wrap := func(err error) error { return fmt.Errorf("step: %w", fmt.Errorf("node: %w", err)) }

	if !nodeerr.IsPermanent(wrap(nodeerr.Permanent(base))) || nodeerr.IsPermanent(wrap(base)) || nodeerr.IsPermanent(nil) {
		t.Error("IsPermanent does not find exactly the wrapped Permanent")
	}
	if !nodeerr.IsConfiguration(wrap(nodeerr.Configuration(base))) || nodeerr.IsConfiguration(wrap(nodeerr.Permanent(base))) {
		t.Error("IsConfiguration does not find exactly the wrapped Configuration")
	}
	if !nodeerr.IsPermanent(nodeerr.Configuration(base)) {
		t.Error("a configuration error is not permanent")
	}
	if d, ok := nodeerr.RetryAfterOf(wrap(nodeerr.RetryAfter(base, 3*time.Second))); !ok || d != 3*time.Second {
		t.Errorf("RetryAfterOf = %v, %v; want 3s, true", d, ok)
	}
	if d, ok := nodeerr.RetryAfterOf(wrap(base)); ok || d != 0 {
		t.Errorf("RetryAfterOf(no delay) = %v, %v; want 0, false", d, ok)
	}
	// A permanent wrapper around a retry-after error: both are visible.
	both := nodeerr.Permanent(nodeerr.RetryAfter(base, time.Minute))
	if d, ok := nodeerr.RetryAfterOf(both); !nodeerr.IsPermanent(both) || !ok || d != time.Minute {
		t.Error("Permanent(RetryAfter(err)) lost one of its marks")
	}
}

func TestOwnTypesSatisfyTheContract(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", ownError{permanent: true, config: true})
	if !nodeerr.IsPermanent(err) || !nodeerr.IsConfiguration(err) {
		t.Error("an error type of the node's own with the methods is not recognised")
	}
	if d, ok := nodeerr.RetryAfterOf(err); !ok || d != 7*time.Second {
		t.Errorf("RetryAfterOf(own) = %v, %v; want 7s, true", d, ok)
	}
	if nodeerr.IsPermanent(ownError{}) || nodeerr.IsConfiguration(ownError{}) {
		t.Error("methods returning false count as true")
	}
}

// ExamplePermanent shows a node marking its errors.
func ExamplePermanent() {
	err := nodeerr.Permanent(errors.New("lookup: ID is empty"))
	fmt.Println(nodeerr.IsPermanent(fmt.Errorf("step %q: %w", "lookup", err)), err)
	// Output: true lookup: ID is empty
}

// ExampleRetryAfter shows a node passing on the delay a server asked for.
func ExampleRetryAfter() {
	err := nodeerr.RetryAfter(errors.New("api: 429 Too Many Requests"), 30*time.Second)
	d, ok := nodeerr.RetryAfterOf(err)
	fmt.Println(d, ok)
	// Output: 30s true
}
