package spec

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// RateLimit is one entry of the top-level [rate_limit] table:
//
//	[rate_limit]
//	jira = { rate = "10/s", burst = 5 }
//
// Steps name it with rate_limit = "jira"; all the steps of a program that
// name it share one token bucket.
type RateLimit struct {
	Name string
	Pos  Pos // the NAME key
	// Rate is "REQUESTS/PERIOD": "10/s", "600/m", "5000/h", or a Go duration
	// as the period, "1/2s", "3/500ms".
	Rate     String
	Requests int
	Per      time.Duration
	// Burst is how many requests may start at once; unset means 1.
	Burst Int
}

var rateLimitKeys = []string{"rate", "burst"}

func (c *checker) rateLimits(e *tentry) []*RateLimit {
	t, ok := c.table(e)
	if !ok {
		return nil
	}
	var out []*RateLimit
	for _, le := range t.entries {
		l := &RateLimit{Name: le.key, Pos: le.keyPos}
		out = append(out, l)
		if !isFlowName(le.key) {
			c.errs.Add(le.keyPos, "rate limit name %q must start with a letter and hold only letters, digits, '-' and '_'", le.key)
		}
		lt := le.val
		if lt.kind != tTable {
			c.errs.Add(lt.pos, "rate limit %s must be a table such as { rate = \"10/s\", burst = 5 }, not %s", le.key, describe(lt))
			continue
		}
		for _, k := range lt.entries {
			switch k.key {
			case "rate":
				c.rate(k, l)
			case "burst":
				if b, ok := c.integer(k); ok {
					l.Burst = b
					if b.Value < 1 {
						c.errs.Add(b.Pos, "burst must be at least 1 (1: requests evenly spaced), not %d", b.Value)
					}
				}
			default:
				c.unknown(k, " in rate limit "+le.key, rateLimitKeys)
			}
		}
		if lt.get("rate") == nil && !misspelt(lt, "rate", rateLimitKeys) {
			c.errs.Add(le.keyPos, "rate limit %s needs rate, such as rate = \"10/s\"", le.key)
		}
	}
	return out
}

// rate reads rate = "REQUESTS/PERIOD".
func (c *checker) rate(e *tentry, l *RateLimit) {
	const forms = `"10/s", "600/m", "5000/h" or "1/2s"`
	if e.val.kind == tScalar && (e.val.sk == sInteger || e.val.sk == sFloat) {
		c.errs.Add(e.val.pos, "rate must be a string REQUESTS/PERIOD such as \"%s/s\", not a number", e.val.raw)
		return
	}
	s, ok := c.str(e)
	if !ok {
		return
	}
	l.Rate = s
	n, per, found := strings.Cut(strings.TrimSpace(s.Value), "/")
	if !found {
		c.errs.Add(s.Pos, "rate %q must be REQUESTS/PERIOD, such as %s", s.Value, forms)
		return
	}
	reqs, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || reqs < 1 {
		c.errs.Add(s.Pos, "rate %q must start with a whole number of requests of at least 1, such as %s", s.Value, forms)
		return
	}
	var d time.Duration
	switch per = strings.TrimSpace(per); per {
	case "s":
		d = time.Second
	case "m":
		d = time.Minute
	case "h":
		d = time.Hour
	default:
		d, err = time.ParseDuration(per)
		if err != nil || d <= 0 {
			c.errs.Add(s.Pos, "rate %q: the period after / must be s, m, h or a Go duration greater than 0 such as 2s or 500ms, not %q", s.Value, per)
			return
		}
	}
	if d/time.Duration(reqs) < time.Microsecond {
		c.errs.Add(s.Pos, "rate %q is more than a million requests a second; no client-side limit is needed", s.Value)
		return
	}
	l.Requests, l.Per = reqs, d
}

// Trigger is trigger = { webhook = "github", secret = "ENV_NAME" }: the flow
// also runs when a signed webhook arrives (prog run --webhook-addr).
type Trigger struct {
	Pos Pos // the trigger key
	// Webhook is the signature scheme: one of WebhookSchemes.
	Webhook String
	// Secret names a declared env var with secret = true holding the
	// webhook's shared secret.
	Secret String
}

// WebhookSchemes are the values of trigger.webhook: how a delivery is
// signed (HMAC-SHA256 of the body in every case).
var WebhookSchemes = []string{"github", "jira", "confluence", "generic"}

var triggerKeys = []string{"webhook", "secret"}

func (c *checker) trigger(e *tentry) *Trigger {
	t, ok := c.table(e)
	if !ok {
		return nil
	}
	tr := &Trigger{Pos: e.keyPos}
	for _, k := range t.entries {
		switch k.key {
		case "webhook":
			if s, ok := c.str(k); ok {
				tr.Webhook = s
				if !slices.Contains(WebhookSchemes, s.Value) {
					c.errs.Add(s.Pos, "trigger webhook must be one of %s, not %q%s", joinList(quoteAll(WebhookSchemes), "or"), s.Value, DidYouMean(s.Value, WebhookSchemes))
				}
			}
		case "secret":
			if s, ok := c.expr(k); ok {
				tr.Secret = s
			}
		default:
			c.unknown(k, " in trigger", triggerKeys)
		}
	}
	for _, want := range triggerKeys {
		if t.get(want) == nil && !misspelt(t, want, triggerKeys) {
			switch want {
			case "webhook":
				c.errs.Add(e.keyPos, "trigger needs webhook, the signature scheme: %s", joinList(quoteAll(WebhookSchemes), "or"))
			case "secret":
				c.errs.Add(e.keyPos, "trigger needs secret, the name of a declared env var with secret = true that holds the webhook's secret")
			}
		}
	}
	return tr
}
