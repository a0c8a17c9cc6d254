package github

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/httpsource"
	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// FetchInput is the input of FetchIssues.
type FetchInput struct {
	// BaseURL is the API root: https://api.github.com (the default) or a
	// GitHub Enterprise Server's, such as https://ghe.example.com/api/v3.
	BaseURL string
	// Token is a personal access token or app installation token, sent as a
	// Bearer token. Empty means anonymous (60 requests an hour).
	Token string
	// Owner is the repository's owner (user or organisation).
	Owner string
	// Repo is the repository's name.
	Repo string
	// Since is the cursor: epoch milliseconds ("1772355600000") or an RFC
	// 3339 time; issues updated before it are not returned. "" or "0" reads
	// every issue.
	Since string
	// PageSize is per_page: 1 to 100, default 100.
	PageSize int
	// MaxPages stops after this many pages (FetchOutput.HasMore then says
	// whether more remained); 0 reads every page.
	MaxPages int
	// MinRemaining is the rate-limit floor: when fewer requests remain, the
	// next request waits for the reset (see the package doc). Default 5.
	MinRemaining int
	// MaxRateLimitWait bounds that wait; a longer one is returned as an
	// error with RetryAfter. Default 1m.
	MaxRateLimitWait time.Duration
	// RequestTimeout is the deadline of each request, body included.
	// Default 60s.
	RequestTimeout time.Duration
}

// FetchOutput is the output of FetchIssues.
type FetchOutput struct {
	// Items are the issues and pull requests, oldest update first. One that
	// was updated while paging (and so read twice) is returned once, in its
	// newest version, at its first position.
	Items []Issue
	// MaxUpdated is the largest Updated of Items as epoch milliseconds, or 0
	// when Items is empty (the runtime ignores a zero cursor advance).
	MaxUpdated int64
	// Pages is the number of pages read.
	Pages int
	// HasMore reports that MaxPages stopped the read before the last page.
	HasMore bool
}

// PageInput is the input of FetchPage, a paged source: FetchInput without
// MaxPages, plus the token of the page to read.
type PageInput struct {
	// BaseURL is the API root; default https://api.github.com.
	BaseURL string
	// Token is the Bearer token; empty means anonymous.
	Token string
	// Owner is the repository's owner.
	Owner string
	// Repo is the repository's name.
	Repo string
	// Since is the cursor (epoch milliseconds or RFC 3339); it must be the
	// same for every page of one walk.
	Since string
	// PageSize is per_page: 1 to 100, default 100.
	PageSize int
	// MinRemaining is the rate-limit floor; default 5.
	MinRemaining int
	// MaxRateLimitWait bounds a wait for the rate-limit reset; default 1m.
	MaxRateLimitWait time.Duration
	// RequestTimeout is the deadline of the request; default 60s.
	RequestTimeout time.Duration
	// PageToken is the NextPageToken of the previous page; empty for the
	// first page.
	PageToken string
}

// PageOutput is the output of FetchPage.
type PageOutput struct {
	// Items are the issues of this page not read before in the walk.
	Items []Issue
	// NextPageToken is the token of the next page; empty on the last page.
	NextPageToken string
	// HasMore reports that another page follows (NextPageToken is set).
	HasMore bool
	// MaxUpdated is the largest Updated of Items as epoch milliseconds, or 0
	// when Items is empty.
	MaxUpdated int64
}

// Issue is a GitHub issue or pull request.
type Issue struct {
	// ID is the issue's numeric id, unique across GitHub.
	ID int64
	// NodeID is the GraphQL node id.
	NodeID string
	// Number is the issue number within the repository.
	Number int
	// Repo is "owner/name".
	Repo string
	// Title is the title.
	Title string
	// Body is the description in Markdown; "" when there is none.
	Body string
	// State is "open" or "closed".
	State string
	// StateReason is "completed", "not_planned", "reopened" or "".
	StateReason string
	// IsPullRequest reports that the item is a pull request.
	IsPullRequest bool
	// Labels are the label names (nil when none).
	Labels []string
	// Assignees are the assignees' logins (nil when none).
	Assignees []string
	// Milestone is the milestone's title, or "".
	Milestone string
	// User is the author's login.
	User string
	// Comments is the number of comments.
	Comments int
	// Created is when the issue was opened, in UTC.
	Created time.Time
	// Updated is when it was last updated, in UTC (second precision).
	Updated time.Time
	// Closed is when it was closed, in UTC; the zero time when open.
	Closed time.Time
	// HTMLURL is the issue's web page.
	HTMLURL string
	// URL is the issue's API URL.
	URL string
}

// DefaultBaseURL is the API root used when BaseURL is empty.
const DefaultBaseURL = "https://api.github.com"

// DefaultPageSize is per_page when PageSize is 0 (GitHub's maximum).
const DefaultPageSize = 100

// FetchIssues reads every page (or MaxPages pages) of the repository's
// issues updated since in.Since and returns them in memory; use FetchPage
// with the stream construct for large repositories. An error from any page
// fails the whole call, returning no issues.
func FetchIssues(ctx context.Context, in FetchInput) (FetchOutput, error) {
	if in.MaxPages < 0 {
		return FetchOutput{}, nodeerr.Permanent(fmt.Errorf("github: MaxPages %d is negative", in.MaxPages))
	}
	q, err := newQuery(in.BaseURL, in.Token, in.Owner, in.Repo, in.Since, in.PageSize, in.MinRemaining, in.MaxRateLimitWait, in.RequestTimeout)
	if err != nil {
		return FetchOutput{}, err
	}
	var out FetchOutput
	out.Items, out.Pages, out.HasMore, err = httpsource.Collect("github", in.MaxPages, q.first(), func(it Issue) int64 { return it.ID },
		func(pos position) ([]Issue, string, position, error) {
			p, next, err := q.page(ctx, pos)
			return p.Items, p.NextPageToken, next, err
		})
	if err != nil {
		return FetchOutput{}, err
	}
	out.MaxUpdated = maxUpdated(out.Items)
	return out, nil
}

// FetchPage reads the page in.PageToken points to (the first page when it
// is empty). Call it again with NextPageToken until that comes back empty;
// the pages together hold what FetchIssues returns (an issue updated while
// paging may appear on two pages; de-duplicate by ID downstream, which an
// upsert does).
func FetchPage(ctx context.Context, in PageInput) (PageOutput, error) {
	q, err := newQuery(in.BaseURL, in.Token, in.Owner, in.Repo, in.Since, in.PageSize, in.MinRemaining, in.MaxRateLimitWait, in.RequestTimeout)
	if err != nil {
		return PageOutput{}, err
	}
	tok := q.first()
	if in.PageToken != "" {
		if tok, err = q.decodeToken(in.PageToken); err != nil {
			return PageOutput{}, err
		}
	}
	p, _, err := q.page(ctx, tok)
	return p, err
}

func maxUpdated(items []Issue) int64 {
	var m int64
	for i := range items {
		m = max(m, items[i].Updated.UnixMilli())
	}
	return m
}

// query is a validated request: everything a page needs but its position.
type query struct {
	base         string // the API root, without a trailing slash
	endpoint     string // .../repos/{owner}/{repo}/issues
	repo         string // owner/name
	hash         string // binds tokens to the repository
	auth         string
	token        string
	since        int64 // epoch ms
	pageSize     int
	minRemaining int
	maxWait      time.Duration
	timeout      time.Duration
	limitKey     string
}

func newQuery(baseURL, token, owner, repo, since string, pageSize, minRemaining int, maxWait, timeout time.Duration) (*query, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nodeerr.Permanent(fmt.Errorf("github: BaseURL %q is not an http(s) URL such as https://api.github.com or https://ghe.example.com/api/v3", redactURL(baseURL)))
	}
	if u.User != nil {
		return nil, nodeerr.Permanent(fmt.Errorf("github: BaseURL %q must not contain credentials; set Token instead", redactURL(baseURL)))
	}
	if owner == "" || repo == "" || strings.Contains(owner, "/") || strings.Contains(repo, "/") {
		return nil, nodeerr.Permanent(fmt.Errorf("github: Owner %q and Repo %q must both be set, without slashes (Owner = \"octo\", Repo = \"hello\")", owner, repo))
	}
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	base := u.String()
	u.Path += "/repos/" + owner + "/" + repo + "/issues"
	switch {
	case pageSize == 0:
		pageSize = DefaultPageSize
	case pageSize < 1 || pageSize > 100:
		return nil, nodeerr.Permanent(fmt.Errorf("github: PageSize %d is out of range: GitHub accepts per_page from 1 to 100", pageSize))
	}
	s, err := ParseSince(since)
	if err != nil {
		return nil, nodeerr.Permanent(fmt.Errorf("github: Since: %v", err))
	}
	if minRemaining == 0 {
		minRemaining = 5
	}
	if maxWait == 0 {
		maxWait = time.Minute
	}
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	if minRemaining < 0 || maxWait < 0 || timeout < 0 {
		return nil, nodeerr.Permanent(errors.New("github: MinRemaining, MaxRateLimitWait and RequestTimeout must not be negative"))
	}
	full := strings.ToLower(owner + "/" + repo)
	h := sha256.Sum256([]byte(full))
	q := &query{
		base: base, endpoint: u.String(), repo: owner + "/" + repo, hash: hex.EncodeToString(h[:4]),
		token: token, since: s, pageSize: pageSize,
		minRemaining: minRemaining, maxWait: maxWait, timeout: timeout,
	}
	if token != "" {
		q.auth = "Bearer " + token
	}
	th := sha256.Sum256([]byte(token))
	q.limitKey = u.Scheme + "://" + u.Host + "|" + hex.EncodeToString(th[:8])
	return q, nil
}

// ParseSince reads a cursor: "" or "0" (the beginning), epoch milliseconds,
// or an RFC 3339 time. It returns epoch milliseconds.
func ParseSince(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("%d is negative; expected epoch milliseconds or an RFC 3339 time", n)
		}
		return n, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither epoch milliseconds nor an RFC 3339 time such as 2026-03-01T09:00:00Z", s)
	}
	return t.UnixMilli(), nil
}

// position is a page token: a seek position of the node's own (see the
// package doc).
type position struct {
	Q string  `json:"q"`           // repository hash
	S int64   `json:"s"`           // lower bound, epoch ms: older issues are dropped
	X []int64 `json:"x,omitempty"` // ids read in S's second, dropped when not newer than S
	N string  `json:"n,omitempty"` // the Link next URL, when the seek cannot advance
}

func (q *query) first() position { return position{Q: q.hash, S: q.since} }

func (q *query) encodeToken(p position) string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (q *query) decodeToken(s string) (position, error) {
	var p position
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		return position{}, nodeerr.Permanent(fmt.Errorf("github: PageToken %q is not a token this node returned", trim(s)))
	}
	if p.Q != q.hash {
		return position{}, nodeerr.Permanent(fmt.Errorf("github: PageToken belongs to another repository than %s", q.repo))
	}
	if p.N != "" && !strings.HasPrefix(p.N, q.base+"/") {
		return position{}, nodeerr.Permanent(fmt.Errorf("github: PageToken points outside %s", q.base))
	}
	return p, nil
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// second truncates epoch ms to the second (since's precision).
func second(ms int64) int64 { return ms - ms%1000 }

// page reads the page at pos. It returns the page and the position of the
// next one.
func (q *query) page(ctx context.Context, pos position) (PageOutput, position, error) {
	target := pos.N
	if target == "" {
		v := url.Values{}
		v.Set("state", "all")
		v.Set("sort", "updated")
		v.Set("direction", "asc")
		v.Set("per_page", strconv.Itoa(q.pageSize))
		if pos.S > 0 {
			v.Set("since", time.UnixMilli(second(pos.S)).UTC().Format("2006-01-02T15:04:05Z"))
		}
		target = q.endpoint + "?" + v.Encode()
	}
	wire, next, err := q.get(ctx, target)
	if err != nil {
		return PageOutput{}, position{}, err
	}
	var out PageOutput
	read := make(map[int64]bool, len(pos.X))
	for _, id := range pos.X {
		read[id] = true
	}
	lastMS := pos.S
	items := make([]Issue, 0, len(wire))
	for i := range wire {
		it, err := q.decode(&wire[i])
		if err != nil {
			return PageOutput{}, position{}, err
		}
		items = append(items, it)
		ms := it.Updated.UnixMilli()
		lastMS = max(lastMS, ms)
		if ms < pos.S || (ms == pos.S && read[it.ID]) {
			continue
		}
		out.Items = append(out.Items, it)
	}
	out.MaxUpdated = maxUpdated(out.Items)
	if next == "" {
		return out, position{}, nil
	}
	np := position{Q: q.hash, S: lastMS}
	if second(lastMS) == second(pos.S) {
		np.X = append(np.X, pos.X...)
	}
	for _, it := range items {
		if ms := it.Updated.UnixMilli(); ms >= second(lastMS) && ms <= lastMS && !containsID(np.X, it.ID) {
			np.X = append(np.X, it.ID)
		}
	}
	if len(np.X) >= len(items) {
		// Every issue the seek would return first has been read: follow
		// the server's page instead.
		// (GitHub's links may name the repository by id:
		// /repositories/1296269/issues?page=2.)
		if !strings.HasPrefix(next, q.base+"/") {
			return PageOutput{}, position{}, nodeerr.Permanent(fmt.Errorf("github: the Link header's next page %q is not under %s", next, q.base))
		}
		np.N = next
	}
	out.NextPageToken = q.encodeToken(np)
	out.HasMore = true
	return out, np, nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// wireIssue is an item of the issues list.
type wireIssue struct {
	ID          int64           `json:"id"`
	NodeID      string          `json:"node_id"`
	Number      int             `json:"number"`
	Title       string          `json:"title"`
	Body        *string         `json:"body"`
	State       string          `json:"state"`
	StateReason *string         `json:"state_reason"`
	Comments    int             `json:"comments"`
	Labels      []wireLabel     `json:"labels"`
	Assignees   []wireUser      `json:"assignees"`
	Milestone   *wireMilestone  `json:"milestone"`
	User        *wireUser       `json:"user"`
	CreatedAt   string          `json:"created_at"`
	UpdatedAt   string          `json:"updated_at"`
	ClosedAt    *string         `json:"closed_at"`
	HTMLURL     string          `json:"html_url"`
	URL         string          `json:"url"`
	PullRequest json.RawMessage `json:"pull_request"`
}

type wireLabel struct {
	Name string `json:"name"`
}

// UnmarshalJSON accepts a label object or, as some endpoints return, a
// bare name.
func (l *wireLabel) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &l.Name)
	}
	type plain wireLabel
	return json.Unmarshal(b, (*plain)(l))
}

type wireUser struct {
	Login string `json:"login"`
}

type wireMilestone struct {
	Title string `json:"title"`
}

func (q *query) decode(w *wireIssue) (Issue, error) {
	it := Issue{
		ID: w.ID, NodeID: w.NodeID, Number: w.Number, Repo: q.repo, Title: w.Title,
		State: w.State, Comments: w.Comments, HTMLURL: w.HTMLURL, URL: w.URL,
		IsPullRequest: len(w.PullRequest) > 0 && string(w.PullRequest) != "null",
	}
	if w.Body != nil {
		it.Body = *w.Body
	}
	if w.StateReason != nil {
		it.StateReason = *w.StateReason
	}
	for _, l := range w.Labels {
		it.Labels = append(it.Labels, l.Name)
	}
	for _, a := range w.Assignees {
		it.Assignees = append(it.Assignees, a.Login)
	}
	if w.Milestone != nil {
		it.Milestone = w.Milestone.Title
	}
	if w.User != nil {
		it.User = w.User.Login
	}
	var err error
	if it.Created, err = parseTime(w.CreatedAt); err != nil {
		return Issue{}, fmt.Errorf("github: issue #%d created_at: %v", w.Number, err)
	}
	if it.Updated, err = parseTime(w.UpdatedAt); err != nil {
		return Issue{}, fmt.Errorf("github: issue #%d updated_at: %v", w.Number, err)
	}
	if w.ClosedAt != nil {
		if it.Closed, err = parseTime(*w.ClosedAt); err != nil {
			return Issue{}, fmt.Errorf("github: issue #%d closed_at: %v", w.Number, err)
		}
	}
	return it, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an ISO 8601 time such as 2026-03-01T09:00:00Z", s)
	}
	return t.UTC(), nil
}

// redactURL removes user information from a URL for use in messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}
