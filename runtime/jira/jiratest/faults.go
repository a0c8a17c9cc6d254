package jiratest

import "math/rand/v2"

// Faults are failures injected into a fraction of search requests, chosen
// at random (deterministically from Seed). The fractions add up to at most
// 1; a request gets at most one fault.
type Faults struct {
	// ServerError is the fraction answered 503 Service Unavailable (with
	// Retry-After when RetryAfter is set).
	ServerError float64 `json:"server_error"`
	// RateLimit is the fraction answered 429 with Retry-After (RetryAfter,
	// default "1").
	RateLimit float64 `json:"rate_limit"`
	// RetryAfter is the Retry-After header value, in seconds, such as "1".
	RetryAfter string `json:"retry_after"`
	// Drop is the fraction whose connection is closed without an answer.
	Drop float64 `json:"drop"`
	// Hang is the fraction held without an answer until the client gives up
	// (or the server closes).
	Hang float64 `json:"hang"`
	// HTML is the fraction answered 200 with an HTML page (a proxy's or a
	// maintenance page) instead of JSON.
	HTML float64 `json:"html"`
	// Seed seeds the random choice; the same seed gives the same sequence.
	Seed uint64 `json:"seed"`
}

// Counts are the server's request counters, by kind.
type Counts struct {
	// Requests is every request answered or dropped (not /_fake/ ones).
	Requests int `json:"requests"`
	// Pages is the search requests answered 200 with a page of issues.
	Pages int `json:"pages"`
	// FirstPages is those of Pages without a nextPageToken.
	FirstPages int `json:"first_pages"`
	// Issues is the number of issues returned in all Pages.
	Issues int `json:"issues"`
	// ClientErrors is the 4xx answers but 429.
	ClientErrors int `json:"client_errors"`
	// RateLimited is the 429 answers.
	RateLimited int `json:"rate_limited"`
	// ServerErrors is the 5xx answers.
	ServerErrors int `json:"server_errors"`
	// Dropped is the connections closed without an answer.
	Dropped int `json:"dropped"`
	// Hung is the requests held without an answer.
	Hung int `json:"hung"`
	// HTML is the 200 answers with an HTML body.
	HTML int `json:"html"`
}

const (
	faultNone = iota
	faultServer
	faultRateLimit
	faultDrop
	faultHang
	faultHTML
)

// SetFaults sets the faults injected from now on; Faults{} turns them off.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.rng = rand.New(rand.NewPCG(f.Seed, 0x6a697261))
}

// Counts returns the request counters.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// pickFault chooses the fault for one request; s.mu is held.
func (s *Server) pickFault() int {
	f := &s.faults
	if f.ServerError+f.RateLimit+f.Drop+f.Hang+f.HTML <= 0 {
		return faultNone
	}
	x := s.rng.Float64()
	for _, c := range []struct {
		p    float64
		kind int
	}{{f.ServerError, faultServer}, {f.RateLimit, faultRateLimit}, {f.Drop, faultDrop}, {f.Hang, faultHang}, {f.HTML, faultHTML}} {
		if x < c.p {
			return c.kind
		}
		x -= c.p
	}
	return faultNone
}
