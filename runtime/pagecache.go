package runtime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// pageCache keeps the pages a stream has fetched but not yet finished in
// small files beside the journal, one per page in memory (read_ahead + 1,
// reused in turn). A run killed while page n's body runs and page n+1 is
// read ahead then takes both from these files when it resumes, instead of
// fetching them again: what the source served is not asked for twice.
//
// The files are written without fsync: they only save requests. A process
// that is killed keeps them (they are in the page cache); after a power
// failure one may be missing or torn, and the page is simply fetched again
// (a file that does not decode, or belongs to another run, page or token,
// is ignored). They hold what the journal would hold, verbatim, so an
// output that contains a secret's value is never written (redactor.find).
// A stream that finishes removes them.
type pageCache struct {
	prefix string // path prefix: <journal>.<stream key>
	run    string // the run's id: a file of another run is stale
	slots  int
	red    *redactor
}

// cachedPage is one file of a pageCache.
type cachedPage struct {
	Run   string          `json:"run"`
	Page  int             `json:"page"`
	Token string          `json:"token"` // the token the page was fetched with
	Out   json.RawMessage `json:"out"`
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func newPageCache(journal, key, run string, readAhead int, red *redactor) *pageCache {
	return &pageCache{
		prefix: journal + "." + unsafeFileChars.ReplaceAllString(key, "_"),
		run:    run, slots: readAhead + 1, red: red,
	}
}

func (c *pageCache) path(n int) string { return fmt.Sprintf("%s.page%d", c.prefix, n%c.slots) }

// put saves page n, fetched with token. Failures are ignored: the cache only
// saves requests.
func (c *pageCache) put(n int, token string, out any) {
	data, err := json.Marshal(out)
	if err != nil || c.red.find(data) != "" {
		os.Remove(c.path(n))
		return
	}
	b, err := json.Marshal(cachedPage{Run: c.run, Page: n, Token: token, Out: data})
	if err != nil {
		return
	}
	tmp := c.path(n) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return
	}
	if err := os.Rename(tmp, c.path(n)); err != nil {
		os.Remove(tmp)
	}
}

// get decodes page n, fetched with token by this run, into out.
func (c *pageCache) get(n int, token string, out any) bool {
	b, err := os.ReadFile(c.path(n))
	if err != nil {
		return false
	}
	var p cachedPage
	if json.Unmarshal(b, &p) != nil || p.Run != c.run || p.Page != n || p.Token != token {
		return false
	}
	return json.Unmarshal(p.Out, out) == nil
}

// clear removes the cache's files.
func (c *pageCache) clear() {
	for i := range c.slots {
		os.Remove(fmt.Sprintf("%s.page%d", c.prefix, i))
		os.Remove(fmt.Sprintf("%s.page%d.tmp", c.prefix, i))
	}
}

// removePageCaches removes every page cache file of a journal (a finished
// or discarded run).
func removePageCaches(journal string) {
	matches, _ := filepath.Glob(journal + ".*.page*")
	for _, m := range matches {
		os.Remove(m)
	}
}
