// Package webhook receives signed webhook deliveries (GitHub, Jira,
// Confluence or a generic HMAC-SHA256 scheme) and records which flows they
// ask to run, for the scheduler to take.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// MaxBody is the largest delivery accepted: GitHub caps its payloads at 25
// MB, and Jira's and Confluence's are far smaller. A larger body gets 413
// and starts nothing.
const MaxBody = 25 << 20

// signatureHeader is the header each scheme signs its deliveries in, as
// "sha256=" and the hex HMAC-SHA256 of the body keyed by the secret.
var signatureHeader = map[string]string{
	"github":     "X-Hub-Signature-256",
	"jira":       "X-Hub-Signature",
	"confluence": "X-Hub-Signature",
	"generic":    "X-Signature",
}

// KnownScheme reports whether scheme is a signature scheme this package
// verifies: github, jira, confluence or generic.
func KnownScheme(scheme string) bool {
	_, ok := signatureHeader[scheme]
	return ok
}

// Hook is a flow that webhooks can start.
type Hook struct {
	Flow   string // the flow's name, the last element of its path
	Scheme string // its signature scheme (KnownScheme)
	Secret []byte // the shared secret its deliveries are signed with
}

// Server receives deliveries and keeps the flows they start pending until
// [Server.Take]. A flow has at most one pending run: deliveries that arrive
// while one is pending are coalesced into it.
type Server struct {
	hooks []Hook
	log   *slog.Logger
	count func(flow, result string)

	mu      sync.Mutex
	pending map[string]bool
	kick    chan struct{} // capacity 1: something is pending
}

// New returns a Server of hooks, in the order Take returns them. log
// receives a line per delivery; count, if set, counts each delivery by
// flow ("" for /webhook) and result.
func New(hooks []Hook, log *slog.Logger, count func(flow, result string)) *Server {
	if count == nil {
		count = func(string, string) {}
	}
	return &Server{hooks: hooks, log: log, count: count, pending: map[string]bool{}, kick: make(chan struct{}, 1)}
}

// Kick receives a value when a flow's run becomes pending.
func (s *Server) Kick() <-chan struct{} { return s.kick }

// Take returns the flows with a pending run, in the hooks' order, and
// clears them.
func (s *Server) Take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, h := range s.hooks {
		if s.pending[h.Flow] {
			out = append(out, h.Flow)
			delete(s.pending, h.Flow)
		}
	}
	return out
}

// request marks flow's run pending and reports whether one already was.
func (s *Server) request(flow string) (coalesced bool) {
	s.mu.Lock()
	coalesced = s.pending[flow]
	s.pending[flow] = true
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return coalesced
}

// verify reports whether the delivery's signature is the HMAC-SHA256 of
// body under h's secret, in h's scheme. The comparison takes the same time
// wherever the signatures differ.
func verify(h Hook, header http.Header, body []byte) bool {
	got, ok := strings.CutPrefix(header.Get(signatureHeader[h.Scheme]), "sha256=")
	if !ok {
		return false
	}
	sig, err := hex.DecodeString(strings.TrimSpace(got))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, h.Secret)
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), sig)
}

// ServeHTTP serves POST /webhook/FLOW (that flow) and POST /webhook (every
// flow whose signature verifies).
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	name, one := strings.CutPrefix(r.URL.Path, "/webhook/")
	if !one && r.URL.Path != "/webhook" {
		http.NotFound(rw, r)
		return
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", "POST")
		http.Error(rw, "webhooks are POST requests", http.StatusMethodNotAllowed)
		return
	}
	candidates := s.hooks
	if one {
		i := slices.IndexFunc(s.hooks, func(h Hook) bool { return h.Flow == name })
		if i < 0 {
			s.count("", "unknown_flow") // not the name: labels stay bounded
			http.Error(rw, fmt.Sprintf("no flow %q has a webhook trigger", name), http.StatusNotFound)
			return
		}
		candidates = s.hooks[i : i+1]
	}
	label := "" // metrics: "" for /webhook
	if one {
		label = name
	}
	log := s.log.With("path", r.URL.Path, "remote", r.RemoteAddr)
	if r.ContentLength > MaxBody {
		s.refuse(rw, log, label, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", MaxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		s.refuse(rw, log, label, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", MaxBody))
		return
	case err != nil:
		s.refuse(rw, log, label, http.StatusBadRequest, "bad_request", "reading the body: "+err.Error())
		return
	}
	var started, queued []string
	for _, h := range candidates {
		if !verify(h, r.Header, body) {
			continue
		}
		if s.request(h.Flow) {
			queued = append(queued, h.Flow)
		} else {
			started = append(started, h.Flow)
		}
	}
	if len(started)+len(queued) == 0 {
		s.refuse(rw, log, label, http.StatusUnauthorized, "unauthorized", "the signature is missing or does not match the secret")
		return
	}
	s.count(label, "accepted")
	log.Info("webhook accepted", "run_requested", started, "already_pending", queued)
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.WriteHeader(http.StatusAccepted)
	for _, n := range started {
		fmt.Fprintf(rw, "flow %s: run requested\n", n)
	}
	for _, n := range queued {
		fmt.Fprintf(rw, "flow %s: a run is already pending\n", n)
	}
}

func (s *Server) refuse(rw http.ResponseWriter, log *slog.Logger, label string, code int, result, why string) {
	s.count(label, result)
	log.Warn("webhook refused", "status", code, "reason", why)
	http.Error(rw, why, code)
}

// Serve serves s on ln until the returned function is called.
func (s *Server) Serve(ln net.Listener) (stop func()) {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	go srv.Serve(ln)
	return func() { srv.Close() }
}
