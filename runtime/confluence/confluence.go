package confluence

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/httpsource"
	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// FetchInput is the input of FetchPages.
type FetchInput struct {
	// BaseURL is the site, such as https://your-org.atlassian.net (a
	// trailing /wiki is accepted).
	BaseURL string
	// Email, with APIToken, selects HTTP Basic authentication.
	Email string
	// APIToken is the Atlassian API token (with Email) or, without Email, a
	// personal access token sent as a Bearer token (Data Center).
	APIToken string
	// CQL restricts the search further, such as `space = ENG`; it is ANDed
	// with the node's own clauses and must not have an order by.
	CQL string
	// Since is the cursor: epoch milliseconds or an RFC 3339 time; "" or
	// "0" reads every page.
	Since string
	// TimeZone is the IANA name of the API user's profile time zone, in
	// which CQL dates are read; default UTC.
	TimeZone string
	// PageSize is the limit per request: 1 to 250, default 25.
	PageSize int
	// MaxPages stops after this many requests (FetchOutput.HasMore then
	// says whether more remained); 0 reads every page.
	MaxPages int
	// RequestTimeout is the deadline of each request, body included;
	// default 60s.
	RequestTimeout time.Duration
}

// FetchOutput is the output of FetchPages.
type FetchOutput struct {
	// Items are the pages, oldest modification first; one modified while
	// paging (and so read twice) is returned once, newest version, at its
	// first position.
	Items []Page
	// MaxUpdated is the largest LastModified of Items as epoch
	// milliseconds, or 0 when Items is empty.
	MaxUpdated int64
	// Pages is the number of requests made.
	Pages int
	// HasMore reports that MaxPages stopped the read before the end.
	HasMore bool
}

// PageInput is the input of FetchPage, a paged source: FetchInput without
// MaxPages, plus the token of the result page to read.
type PageInput struct {
	// BaseURL is the site, such as https://your-org.atlassian.net.
	BaseURL string
	// Email, with APIToken, selects HTTP Basic authentication.
	Email string
	// APIToken is the API token (or a Bearer token without Email).
	APIToken string
	// CQL restricts the search further, such as `space = ENG`.
	CQL string
	// Since is the cursor (epoch milliseconds or RFC 3339); the same for
	// every page of one walk.
	Since string
	// TimeZone is the API user's profile time zone; default UTC.
	TimeZone string
	// PageSize is the limit per request: 1 to 250, default 25.
	PageSize int
	// RequestTimeout is the deadline of the request; default 60s.
	RequestTimeout time.Duration
	// PageToken is the NextPageToken of the previous call; empty at first.
	PageToken string
}

// PageOutput is the output of FetchPage.
type PageOutput struct {
	// Items are the Confluence pages of this result page not read before
	// in the walk.
	Items []Page
	// NextPageToken is the token of the next result page; empty on the last.
	NextPageToken string
	// HasMore reports that another result page follows.
	HasMore bool
	// MaxUpdated is the largest LastModified of Items as epoch
	// milliseconds, or 0 when Items is empty.
	MaxUpdated int64
}

// Page is a Confluence page.
type Page struct {
	// ID is the content id ("123456").
	ID string
	// SpaceKey is the space's key ("ENG").
	SpaceKey string
	// SpaceName is the space's name.
	SpaceName string
	// Title is the page title.
	Title string
	// Status is "current", "archived" or "draft".
	Status string
	// Version is the version number, 1 for a new page.
	Version int
	// LastModified is when the version was made, in UTC (millisecond
	// precision).
	LastModified time.Time
	// Author is the display name of the last version's author.
	Author string
	// Created is when the page was created, in UTC; zero when unknown.
	Created time.Time
	// CreatedBy is the creator's display name.
	CreatedBy string
	// Body is the body as plain text: tags stripped, entities decoded,
	// one line per paragraph, heading, list item or table row.
	Body string
	// URL is the page's web address.
	URL string
}

// DefaultPageSize is the limit when PageSize is 0.
const DefaultPageSize = 25

// FetchPages reads every result page (or MaxPages) and returns the pages in
// memory; use FetchPage with the stream construct for large spaces.
func FetchPages(ctx context.Context, in FetchInput) (FetchOutput, error) {
	if in.MaxPages < 0 {
		return FetchOutput{}, nodeerr.Permanent(fmt.Errorf("confluence: MaxPages %d is negative", in.MaxPages))
	}
	q, err := newQuery(in.BaseURL, in.Email, in.APIToken, in.CQL, in.Since, in.TimeZone, in.PageSize, in.RequestTimeout)
	if err != nil {
		return FetchOutput{}, err
	}
	var out FetchOutput
	out.Items, out.Pages, out.HasMore, err = httpsource.Collect("confluence", in.MaxPages, q.first(), func(it Page) string { return it.ID },
		func(pos position) ([]Page, string, position, error) {
			p, next, err := q.page(ctx, pos)
			return p.Items, p.NextPageToken, next, err
		})
	if err != nil {
		return FetchOutput{}, err
	}
	out.MaxUpdated = maxUpdated(out.Items)
	return out, nil
}

// FetchPage reads the result page in.PageToken points to (the first when
// empty). Call it again with NextPageToken until that comes back empty; a
// Confluence page modified while paging may appear twice (de-duplicate by
// ID downstream, as an upsert does).
func FetchPage(ctx context.Context, in PageInput) (PageOutput, error) {
	q, err := newQuery(in.BaseURL, in.Email, in.APIToken, in.CQL, in.Since, in.TimeZone, in.PageSize, in.RequestTimeout)
	if err != nil {
		return PageOutput{}, err
	}
	pos := q.first()
	if in.PageToken != "" {
		if pos, err = q.decodeToken(in.PageToken); err != nil {
			return PageOutput{}, err
		}
	}
	p, _, err := q.page(ctx, pos)
	return p, err
}

func maxUpdated(items []Page) int64 {
	var m int64
	for i := range items {
		m = max(m, items[i].LastModified.UnixMilli())
	}
	return m
}

// query is a validated search.
type query struct {
	wiki     string // site + /wiki
	auth     string
	secrets  []string
	cql      string
	since    int64
	loc      *time.Location
	pageSize int
	timeout  time.Duration
	hash     string
}

func newQuery(baseURL, email, token, cql, since, tz string, pageSize int, timeout time.Duration) (*query, error) {
	if baseURL == "" {
		return nil, nodeerr.Permanent(errors.New("confluence: BaseURL is empty; expected the site, such as https://your-org.atlassian.net"))
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nodeerr.Permanent(fmt.Errorf("confluence: BaseURL %q is not an http(s) URL such as https://your-org.atlassian.net", redactURL(baseURL)))
	}
	if u.User != nil {
		return nil, nodeerr.Permanent(fmt.Errorf("confluence: BaseURL %q must not contain credentials; set Email and APIToken instead", redactURL(baseURL)))
	}
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/wiki") + "/wiki"
	if strings.Contains(strings.ToLower(cql), "order by") {
		return nil, nodeerr.Permanent(errors.New("confluence: CQL must not have an order by: the node orders by lastmodified"))
	}
	switch {
	case pageSize == 0:
		pageSize = DefaultPageSize
	case pageSize < 1 || pageSize > 250:
		return nil, nodeerr.Permanent(fmt.Errorf("confluence: PageSize %d is out of range: 1 to 250", pageSize))
	}
	s, err := ParseSince(since)
	if err != nil {
		return nil, nodeerr.Permanent(fmt.Errorf("confluence: Since: %v", err))
	}
	loc := time.UTC
	if tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, nodeerr.Permanent(fmt.Errorf("confluence: TimeZone %q is not an IANA time zone name such as Europe/Berlin: %v", tz, err))
		}
	}
	if timeout == 0 {
		timeout = 60 * time.Second
	} else if timeout < 0 {
		return nil, nodeerr.Permanent(errors.New("confluence: RequestTimeout is negative"))
	}
	q := &query{wiki: u.String(), cql: strings.TrimSpace(cql), since: s, loc: loc, pageSize: pageSize, timeout: timeout}
	switch {
	case email != "" && token != "":
		cred := base64.StdEncoding.EncodeToString([]byte(email + ":" + token))
		q.auth = "Basic " + cred
		q.secrets = []string{token, cred}
	case email != "":
		return nil, nodeerr.Permanent(errors.New("confluence: Email is set but APIToken is empty; Confluence Cloud needs both (an API token from id.atlassian.com)"))
	case token != "":
		q.auth = "Bearer " + token
		q.secrets = []string{token}
	}
	h := sha256.Sum256([]byte(q.wiki + "\x00" + q.cql + "\x00" + loc.String()))
	q.hash = hex.EncodeToString(h[:4])
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

// minute truncates epoch ms down to the start of its minute in loc, the
// precision of CQL dates.
func (q *query) minute(ms int64) time.Time {
	t := time.UnixMilli(ms).In(q.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, q.loc)
}

// cqlFor returns the query the node sends for a seek from ms.
func (q *query) cqlFor(ms int64) string {
	var b strings.Builder
	b.WriteString("type = page")
	if q.cql != "" {
		b.WriteString(" AND (" + q.cql + ")")
	}
	if ms > 0 {
		b.WriteString(` AND lastmodified >= "` + q.minute(ms).Format("2006-01-02 15:04") + `"`)
	}
	b.WriteString(" order by lastmodified asc")
	return b.String()
}

// position is a page token (see the package doc).
type position struct {
	Q string   `json:"q"`
	S int64    `json:"s"`
	X []string `json:"x,omitempty"`
	N string   `json:"n,omitempty"`
}

func (q *query) first() position { return position{Q: q.hash, S: q.since} }

func (q *query) decodeToken(s string) (position, error) {
	var p position
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		return position{}, nodeerr.Permanent(fmt.Errorf("confluence: PageToken %q is not a token this node returned", trim(s)))
	}
	if p.Q != q.hash {
		return position{}, nodeerr.Permanent(errors.New("confluence: PageToken belongs to another search (BaseURL, CQL or TimeZone differ)"))
	}
	if p.N != "" && !strings.HasPrefix(p.N, "/") {
		return position{}, nodeerr.Permanent(errors.New("confluence: PageToken holds an absolute next link"))
	}
	return p, nil
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

const expand = "body.storage,version,space,history"

// page reads the result page at pos and returns the position of the next.
func (q *query) page(ctx context.Context, pos position) (PageOutput, position, error) {
	var target string
	if pos.N != "" {
		target = q.wiki + pos.N
	} else {
		v := url.Values{}
		v.Set("cql", q.cqlFor(pos.S))
		v.Set("limit", strconv.Itoa(q.pageSize))
		v.Set("expand", expand)
		target = q.wiki + "/rest/api/content/search?" + v.Encode()
	}
	wp, err := q.get(ctx, target)
	if err != nil {
		return PageOutput{}, position{}, err
	}
	var out PageOutput
	pages := make([]Page, 0, len(wp.Results))
	last := pos.S
	for i := range wp.Results {
		p, err := q.decode(&wp.Results[i], wp.Links.Base)
		if err != nil {
			return PageOutput{}, position{}, err
		}
		pages = append(pages, p)
		ms := p.LastModified.UnixMilli()
		last = max(last, ms)
		if ms < pos.S || (ms == pos.S && slices.Contains(pos.X, p.ID)) {
			continue
		}
		out.Items = append(out.Items, p)
	}
	out.MaxUpdated = maxUpdated(out.Items)
	next := wp.Links.Next
	if next == "" {
		return out, position{}, nil
	}
	np := position{Q: q.hash, S: last}
	floor := q.minute(last)
	if q.minute(pos.S).Equal(floor) {
		np.X = append(np.X, pos.X...)
	}
	for _, p := range pages {
		if !p.LastModified.Before(floor) && p.LastModified.UnixMilli() <= last && !slices.Contains(np.X, p.ID) {
			np.X = append(np.X, p.ID)
		}
	}
	if len(np.X) >= len(pages) {
		// The seek would return only pages already read: follow the
		// server's cursor instead.
		if u, err := url.Parse(next); err == nil && u.IsAbs() {
			next = u.RequestURI()
			next = strings.TrimPrefix(next, strings.TrimSuffix(wp.Links.Context, "/"))
		}
		np.N = next
	}
	b, _ := json.Marshal(np)
	out.NextPageToken = base64.RawURLEncoding.EncodeToString(b)
	out.HasMore = true
	return out, np, nil
}

// wirePage is a response of /wiki/rest/api/content/search.
type wirePage struct {
	Results []wireContent `json:"results"`
	Links   struct {
		Base    string `json:"base"`
		Context string `json:"context"`
		Next    string `json:"next"`
	} `json:"_links"`
}

type wireUser struct {
	DisplayName string `json:"displayName"`
}

type wireContent struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Title  string `json:"title"`
	Space  *struct {
		Key  string `json:"key"`
		Name string `json:"name"`
	} `json:"space"`
	History *struct {
		CreatedBy   *wireUser `json:"createdBy"`
		CreatedDate string    `json:"createdDate"`
	} `json:"history"`
	Version *struct {
		By     *wireUser `json:"by"`
		When   string    `json:"when"`
		Number int       `json:"number"`
	} `json:"version"`
	Body *struct {
		Storage *struct {
			Value string `json:"value"`
		} `json:"storage"`
	} `json:"body"`
	Links struct {
		WebUI string `json:"webui"`
	} `json:"_links"`
}

func (q *query) decode(w *wireContent, base string) (Page, error) {
	p := Page{ID: w.ID, Title: w.Title, Status: w.Status}
	if w.Space != nil {
		p.SpaceKey, p.SpaceName = w.Space.Key, w.Space.Name
	}
	if w.Version == nil {
		return Page{}, fmt.Errorf("confluence: content %s has no version; the search must expand version", w.ID)
	}
	p.Version = w.Version.Number
	if w.Version.By != nil {
		p.Author = w.Version.By.DisplayName
	}
	var err error
	if p.LastModified, err = ParseTime(w.Version.When); err != nil {
		return Page{}, fmt.Errorf("confluence: content %s version.when: %v", w.ID, err)
	}
	if w.History != nil {
		if w.History.CreatedBy != nil {
			p.CreatedBy = w.History.CreatedBy.DisplayName
		}
		if w.History.CreatedDate != "" {
			if p.Created, err = ParseTime(w.History.CreatedDate); err != nil {
				return Page{}, fmt.Errorf("confluence: content %s history.createdDate: %v", w.ID, err)
			}
		}
	}
	if w.Body != nil && w.Body.Storage != nil {
		p.Body = StorageToText(w.Body.Storage.Value)
	}
	if w.Links.WebUI != "" {
		if base == "" {
			base = q.wiki
		}
		p.URL = strings.TrimRight(base, "/") + w.Links.WebUI
	}
	return p, nil
}

// ParseTime reads a Confluence timestamp (ISO 8601 with an offset, such as
// 2026-03-01T14:30:05.123+05:30 or ...Z) and returns it in UTC.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 time with an offset such as 2026-03-01T14:30:05.123+05:30", s)
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
