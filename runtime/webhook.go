package runtime

import (
	"net"
	"slices"
	"strings"

	"github.com/resolute/resolute-gen/runtime/internal/webhook"
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

// webhooks is the webhook server of a program that runs with
// --webhook-addr, and the flows it starts.
type webhooks struct {
	*webhook.Server
	flows []Flow // the flows with a trigger, in spec order
}

// newWebhooks checks that every triggered flow's secret is set; the scheme
// of each was checked by gen.
func newWebhooks(e *engine) (*webhooks, error) {
	w := &webhooks{}
	var hooks []webhook.Hook
	var missing []string
	for _, f := range e.prog.Flows {
		if f.Trigger == nil {
			continue
		}
		if !webhook.KnownScheme(f.Trigger.Webhook) {
			return nil, configError("flow %q: unknown webhook scheme %q; schemes: github, jira, confluence, generic", f.Name, f.Trigger.Webhook)
		}
		secret := e.env[f.Trigger.Secret]
		if secret == "" {
			missing = append(missing, f.Trigger.Secret)
		}
		w.flows = append(w.flows, f)
		hooks = append(hooks, webhook.Hook{Flow: f.Name, Scheme: f.Trigger.Webhook, Secret: []byte(secret)})
	}
	if len(w.flows) == 0 {
		return nil, configError("--webhook-addr: no flow declares a trigger; add trigger = { webhook = \"github\", secret = \"ENV_VAR\" } to a flow's spec")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, configError("--webhook-addr: the webhook secret is not set: %s (a delivery could not be verified)", strings.Join(slices.Compact(missing), ", "))
	}
	w.Server = webhook.New(hooks, e.log, e.metrics.Webhook)
	return w, nil
}

// take returns the flows with a pending run, in spec order, and clears them.
func (w *webhooks) take() []Flow {
	var out []Flow
	for _, name := range w.Take() {
		if i := slices.IndexFunc(w.flows, func(f Flow) bool { return f.Name == name }); i >= 0 {
			out = append(out, w.flows[i])
		}
	}
	return out
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
	stop := w.Serve(ln)
	for _, f := range w.flows {
		e.log.Info("serving webhooks", "flow", f.Name, "scheme", f.Trigger.Webhook, "url", "http://"+ln.Addr().String()+"/webhook/"+f.Name)
	}
	return w, stop, nil
}
