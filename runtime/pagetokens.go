package runtime

import "fmt"

// PageTokens guards a while loop that pages through a source by re-binding
// the source's output (page = FetchPage(..., PageToken = page.NextPageToken)).
// A source that hands back a token it already returned in this loop, which
// is what a loop does when it restarts at the first page after the last
// one, would read the same pages until max_iterations; Next fails at once
// instead, saying why. Generated code creates one per re-bound paged step.
type PageTokens struct {
	step string
	seen map[string]bool
}

// NewPageTokens starts the guard of step with the token of the page read
// before the loop.
func NewPageTokens(step, first string) *PageTokens {
	p := &PageTokens{step: step, seen: map[string]bool{}}
	if first != "" {
		p.seen[first] = true
	}
	return p
}

// Next records the next page token the step returned. An empty token (the
// last page) is not recorded. A token returned before is a permanent error.
func (p *PageTokens) Next(token string) error {
	if token == "" {
		return nil
	}
	if p.seen[token] {
		return Permanent(fmt.Errorf("step %q returned the page token %q a second time: the loop is reading the same pages again, "+
			"most likely because it asked for the first page after the last one; stop the loop when the source has no more pages "+
			"(for jira.FetchPage set Done = \"${!%s.HasMore}\") or use a stream step, which pages for you", p.step, token, p.step))
	}
	p.seen[token] = true
	return nil
}
