package gen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// checkRateLimits gathers the [rate_limit] entries of every file of the
// program: a limit may be declared in several files only alike, since its
// steps share one token bucket. It also checks each file's trigger.
func (c *checker) checkRateLimits(prog *ir.Program) {
	c.rateLimitByName = map[string]*spec.RateLimit{}
	for _, f := range c.files {
		for _, l := range f.RateLimits {
			if prev, ok := c.rateLimitByName[l.Name]; ok {
				if prev.Requests != l.Requests || prev.Per != l.Per || burstOf(prev) != burstOf(l) {
					c.errs.Add(l.Pos, "rate limit %s is %s here but %s at %s; the files of one program share the limit and must declare it alike",
						l.Name, rateString(l), rateString(prev), prev.Pos)
				}
				continue
			}
			c.rateLimitByName[l.Name] = l
			prog.RateLimits = append(prog.RateLimits, &ir.RateLimit{Name: l.Name, Requests: l.Requests, Per: l.Per, Burst: int(burstOf(l))})
		}
	}
	for _, f := range c.files {
		tr := f.Trigger
		if tr == nil || !tr.Secret.Set() || tr.Secret.Value == "" {
			continue
		}
		ev, ok := c.envByName[tr.Secret.Value]
		switch {
		case !ok:
			var names []string
			for n := range c.envByName {
				names = append(names, n)
			}
			slices.Sort(names)
			if s := spec.DidYouMean(tr.Secret.Value, names); s != "" {
				c.errs.Add(tr.Secret.Pos, "trigger secret %q is not a declared env var%s", tr.Secret.Value, s)
			} else {
				c.errs.Add(tr.Secret.Pos, "trigger secret %q is not a declared env var; declare it under [env] with secret = true, such as %s = { secret = true }", tr.Secret.Value, tr.Secret.Value)
			}
		case !ev.Secret.Value:
			c.errs.Add(tr.Secret.Pos, "trigger secret %s must be declared with secret = true (at %s), so that its value is redacted from logs and never journaled", tr.Secret.Value, ev.Pos)
		}
	}
}

// rateString writes a limit back as TOML, for messages.
func rateString(l *spec.RateLimit) string {
	return fmt.Sprintf("{ rate = %q, burst = %d }", l.Rate.Value, burstOf(l))
}

// rateLimitRef checks a step's rate_limit and returns the limit's name, or
// "" when the step has none or names no declared limit.
func (c *checker) rateLimitRef(st *spec.Step) string {
	ref := st.RateLimit
	if !ref.Set() || ref.Value == "" {
		return ""
	}
	if _, ok := c.rateLimitByName[ref.Value]; ok {
		return ref.Value
	}
	var names []string
	for _, l := range c.rateLimitByName {
		names = append(names, l.Name)
	}
	slices.Sort(names)
	msg := fmt.Sprintf("unknown rate limit %q", ref.Value)
	switch s := spec.DidYouMean(ref.Value, names); {
	case s != "":
		msg += s
	case len(names) > 0:
		msg += "; declared limits: " + strings.Join(names, ", ")
	default:
		msg += fmt.Sprintf("; declare it in a [rate_limit] table, such as %s = { rate = \"10/s\", burst = 5 }", ref.Value)
	}
	c.errs.Add(ref.Pos, "%s", msg)
	return ""
}

// burstOf is a rate limit's burst: 1 unless the spec gives one.
func burstOf(l *spec.RateLimit) int64 {
	if l.Burst.Set() {
		return l.Burst.Value
	}
	return 1
}
