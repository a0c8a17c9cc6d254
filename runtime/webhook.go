package runtime

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

// Trigger lets signed webhooks start a flow: when the program runs with
// --webhook-addr, a POST to /webhook/FLOW (or /webhook, for every flow with
// a trigger) whose signature verifies starts the flow as soon as no run of
// it is in progress.
type Trigger struct {
	// Webhook is the signature scheme: "github" (X-Hub-Signature-256),
	// "jira" and "confluence" (X-Hub-Signature) or "generic" (X-Signature),
	// each "sha256=" and the hex HMAC-SHA256 of the body.
	Webhook string
	// Secret names the declared secret environment variable that holds the
	// webhook's shared secret.
	Secret string
}

// maxWebhookBody is the largest delivery accepted: GitHub caps its payloads
// at 25 MB, and Jira's and Confluence's are far smaller. A larger body gets
// 413 and starts nothing.
const maxWebhookBody = 25 << 20

// signatureHeader is the header each scheme signs its deliveries in, as
// "sha256=" and the hex HMAC-SHA256 of the body keyed by the secret.
var signatureHeader = map[string]string{
	"github":     "X-Hub-Signature-256",
	"jira":       "X-Hub-Signature",
	"confluence": "X-Hub-Signature",
	"generic":    "X-Signature",
}

// webhooks receives signed deliveries and hands the flows they start to
// the scheduler. A flow has at most one pending run: deliveries that arrive
// while one is pending are coalesced into it.
type webhooks struct {
	e       *engine
	flows   []Flow            // the flows with a trigger, in spec order
	secrets map[string][]byte // by flow name

	mu      sync.Mutex
	pending map[string]bool
	kick    chan struct{} // capacity 1: something is pending
}

// newWebhooks checks that every triggered flow's secret is set; the scheme
// of each was checked by gen.
func newWebhooks(e *engine) (*webhooks, error) {
	w := &webhooks{e: e, secrets: map[string][]byte{}, pending: map[string]bool{}, kick: make(chan struct{}, 1)}
	var missing []string
	for _, f := range e.prog.Flows {
		if f.Trigger == nil {
			continue
		}
		if _, ok := signatureHeader[f.Trigger.Webhook]; !ok {
			return nil, configError("flow %q: unknown webhook scheme %q; schemes: github, jira, confluence, generic", f.Name, f.Trigger.Webhook)
		}
		secret := e.env[f.Trigger.Secret]
		if secret == "" {
			missing = append(missing, f.Trigger.Secret)
		}
		w.flows = append(w.flows, f)
		w.secrets[f.Name] = []byte(secret)
	}
	if len(w.flows) == 0 {
		return nil, configError("--webhook-addr: no flow declares a trigger; add trigger = { webhook = \"github\", secret = \"ENV_VAR\" } to a flow's spec")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, configError("--webhook-addr: the webhook secret is not set: %s (a delivery could not be verified)", strings.Join(slices.Compact(missing), ", "))
	}
	return w, nil
}

// take returns the flows with a pending run, in spec order, and clears them.
func (w *webhooks) take() []Flow {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Flow
	for _, f := range w.flows {
		if w.pending[f.Name] {
			out = append(out, f)
			delete(w.pending, f.Name)
		}
	}
	return out
}

// request marks flow's run pending and reports whether one already was.
func (w *webhooks) request(flow string) (coalesced bool) {
	w.mu.Lock()
	coalesced = w.pending[flow]
	w.pending[flow] = true
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	return coalesced
}

// verify reports whether the delivery's signature is the HMAC-SHA256 of
// body under flow f's secret, in f's scheme. The comparison takes the same
// time wherever the signatures differ.
func (w *webhooks) verify(f Flow, h http.Header, body []byte) bool {
	got, ok := strings.CutPrefix(h.Get(signatureHeader[f.Trigger.Webhook]), "sha256=")
	if !ok {
		return false
	}
	sig, err := hex.DecodeString(strings.TrimSpace(got))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, w.secrets[f.Name])
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), sig)
}

// ServeHTTP serves POST /webhook/FLOW (that flow) and POST /webhook (every
// flow with a trigger whose signature verifies).
func (w *webhooks) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
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
	candidates := w.flows
	if one {
		i := slices.IndexFunc(w.flows, func(f Flow) bool { return f.Name == name })
		if i < 0 {
			w.e.metrics.Webhook("", "unknown_flow") // not the name: labels stay bounded
			http.Error(rw, fmt.Sprintf("no flow %q has a webhook trigger", name), http.StatusNotFound)
			return
		}
		candidates = w.flows[i : i+1]
	}
	label := "" // metrics: "" for /webhook
	if one {
		label = name
	}
	log := w.e.log.With("path", r.URL.Path, "remote", r.RemoteAddr)
	if r.ContentLength > maxWebhookBody {
		w.refuse(rw, log, label, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", maxWebhookBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxWebhookBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		w.refuse(rw, log, label, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", maxWebhookBody))
		return
	case err != nil:
		w.refuse(rw, log, label, http.StatusBadRequest, "bad_request", "reading the body: "+err.Error())
		return
	}
	var started, queued []string
	for _, f := range candidates {
		if !w.verify(f, r.Header, body) {
			continue
		}
		if w.request(f.Name) {
			queued = append(queued, f.Name)
		} else {
			started = append(started, f.Name)
		}
	}
	if len(started)+len(queued) == 0 {
		w.refuse(rw, log, label, http.StatusUnauthorized, "unauthorized", "the signature is missing or does not match the secret")
		return
	}
	w.e.metrics.Webhook(label, "accepted")
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

func (w *webhooks) refuse(rw http.ResponseWriter, log *slog.Logger, label string, code int, result, why string) {
	w.e.metrics.Webhook(label, result)
	log.Warn("webhook refused", "status", code, "reason", why)
	http.Error(rw, why, code)
}

// serveWebhooks listens on addr and serves webhooks until the returned
// function is called.
func (e *engine) serveWebhooks(addr string) (*webhooks, func(), error) {
	w, err := newWebhooks(e)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, configError("--webhook-addr: %v", err)
	}
	srv := &http.Server{Handler: w, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	go srv.Serve(ln)
	for _, f := range w.flows {
		e.log.Info("serving webhooks", "flow", f.Name, "scheme", f.Trigger.Webhook, "url", "http://"+ln.Addr().String()+"/webhook/"+f.Name)
	}
	return w, func() { srv.Close() }, nil
}
