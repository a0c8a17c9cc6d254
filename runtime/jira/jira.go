package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// FetchInput is the input of FetchIssues.
type FetchInput struct {
	// BaseURL is the site, such as https://your-org.atlassian.net. A path
	// prefix (a Data Center context path) is kept.
	BaseURL string
	// Email, with APIToken, selects HTTP Basic authentication (Jira Cloud).
	Email string
	// APIToken is the API token (Cloud, with Email) or, without Email, a
	// personal access token sent as a Bearer token (Data Center).
	APIToken string
	// JQL is the query. It must be bounded (have a search restriction). For
	// an incremental sync use an epoch-milliseconds cursor, for example
	// "project = PLAT AND updated >= 1732877091000 ORDER BY updated ASC, key ASC".
	JQL string
	// PageSize is maxResults per request: 1 to 5000, default 100. Jira may
	// return shorter pages (about 100 issues when many fields are requested).
	PageSize int
	// Fields names fields to request beyond the defaults; their raw JSON is
	// returned in Issue.Extra.
	Fields []string
	// StoryPointsField is the id of the site's story points custom field;
	// default "customfield_10016".
	StoryPointsField string
	// Select names the Issue fields to fill ("Key", "Summary", ...; Go
	// names): only the Jira fields they need are requested, plus updated
	// (see FieldsFor). ID, Key, Self and Updated are always filled. Empty
	// means every field.
	Select []string
	// RequestTimeout bounds each HTTP request (connecting, waiting for the
	// answer and reading it); default 60s. A server that does not answer in
	// time gives a transient (retried) error.
	RequestTimeout time.Duration
	// MaxPages stops after this many pages (FetchOutput.HasMore then says
	// whether more remained); 0 reads every page.
	MaxPages int
}

// FetchOutput is the output of FetchIssues.
type FetchOutput struct {
	// Items are the issues in the order Jira returned them. An issue that
	// appears on two pages (it was updated while paging) is returned once,
	// in its last-returned (newest) version, at its first position.
	Items []Issue
	// MaxUpdated is the largest Updated of Items as epoch milliseconds, or 0
	// when Items is empty (the runtime ignores a zero cursor advance).
	//
	// When an issue came back on a later page (it was updated while paging,
	// which shifts the following pages and can skip an issue), MaxUpdated is
	// held back to the largest Updated read up to the page where that issue
	// first appeared, so that a cursor advanced to it re-reads whatever the
	// shift may have skipped.
	MaxUpdated int64
	// Pages is the number of pages read.
	Pages int
	// HasMore reports that MaxPages stopped the read before the last page.
	HasMore bool
}

// PageInput is the input of FetchPage: FetchInput without MaxPages, plus
// the token of the page to read and a way to stop.
type PageInput struct {
	// BaseURL is the site, such as https://your-org.atlassian.net.
	BaseURL string
	// Email, with APIToken, selects HTTP Basic authentication (Jira Cloud).
	Email string
	// APIToken is the API token (Cloud, with Email) or, without Email, a
	// personal access token sent as a Bearer token (Data Center).
	APIToken string
	// JQL is the query; it must be the same for every page of one read.
	JQL string
	// PageSize is maxResults: 1 to 5000, default 100.
	PageSize int
	// Fields names fields to request beyond the defaults; their raw JSON is
	// returned in Issue.Extra.
	Fields []string
	// StoryPointsField is the id of the story points custom field; default
	// "customfield_10016".
	StoryPointsField string
	// Select names the Issue fields to fill ("Key", "Summary", ...; Go
	// names): only the Jira fields they need are requested, plus updated
	// (see FieldsFor). ID, Key, Self and Updated are always filled. Empty
	// means every field.
	Select []string
	// RequestTimeout bounds each HTTP request (connecting, waiting for the
	// answer and reading it); default 60s. A server that does not answer in
	// time gives a transient (retried) error.
	RequestTimeout time.Duration
	// PageToken is the NextPageToken of the previous page; empty for the
	// first page.
	PageToken string
	// Done makes FetchPage return an empty page at once, without a request.
	// A spec-level loop sets it from the previous page (Done =
	// "${!page.HasMore}") so that fetching "the next page" after the last
	// one ends the loop instead of starting over from the first page.
	Done bool
}

// PageOutput is the output of FetchPage.
type PageOutput struct {
	// Items are the issues of this page.
	Items []Issue
	// NextPageToken is the token for the next page; empty on the last page.
	NextPageToken string
	// HasMore reports that another page follows (NextPageToken is set).
	HasMore bool
	// MaxUpdated is the largest Updated of Items as epoch milliseconds, or 0
	// when Items is empty.
	MaxUpdated int64
}

// Issue is a Jira issue with the commonly synced fields decoded.
type Issue struct {
	// ID is the numeric issue id, as a string ("10001").
	ID string
	// Key is the issue key ("PLAT-7").
	Key string
	// Self is the issue's REST URL.
	Self string
	// Project is the project key ("PLAT").
	Project string
	// ProjectName is the project's name ("Platform").
	ProjectName string
	// Summary is the issue's title.
	Summary string
	// Status is the workflow status name ("In Progress").
	Status string
	// StatusCategory is the status category key: "new", "indeterminate" or
	// "done".
	StatusCategory string
	// Priority is the priority name, or "" when the issue has none.
	Priority string
	// IssueType is the issue type name ("Bug").
	IssueType string
	// Assignee is the assignee's display name, or "" when unassigned.
	Assignee string
	// AssigneeEmail is the assignee's email address, or "" when unassigned
	// or hidden by the user's privacy settings.
	AssigneeEmail string
	// Created is when the issue was created, in UTC.
	Created time.Time
	// Updated is when the issue was last updated, in UTC, with millisecond
	// precision.
	Updated time.Time
	// Labels are the issue's labels (nil when it has none).
	Labels []string
	// StoryPoints is the value of the story points field; nil when unset.
	StoryPoints *float64
	// Description is the description flattened from Atlassian Document
	// Format to plain text: one line per paragraph, heading or list item.
	Description string
	// Extra holds the raw JSON of the fields requested through Fields, by
	// field id; nil when none were requested.
	Extra map[string]json.RawMessage `json:",omitempty"`
}

// DefaultPageSize is the page size used when PageSize is 0.
const DefaultPageSize = 100

// DefaultStoryPointsField is the story points field used when
// StoryPointsField is empty.
const DefaultStoryPointsField = "customfield_10016"

// defaultFields are always requested; the story points field is added.
var defaultFields = []string{
	"summary", "project", "status", "priority", "issuetype", "assignee",
	"created", "updated", "labels", "description",
}

// FetchIssues reads every page of in.JQL (or in.MaxPages pages) and returns
// the issues, walking the pages as FetchPage does. It holds every issue of
// the result in memory (a few KB each, so about 0.5 GB per 100,000 issues)
// and the runtime journals them as one record: use it for small result
// sets, and a stream step over FetchPage for a backlog. An error from any
// page fails the whole call, returning no issues; the runtime's step retry
// policy retries it (see the package doc).
func FetchIssues(ctx context.Context, in FetchInput) (FetchOutput, error) {
	q, err := newQuery(in.BaseURL, in.Email, in.APIToken, in.JQL, in.PageSize, in.Fields, in.StoryPointsField, in.RequestTimeout, in.Select)
	if err != nil {
		return FetchOutput{}, err
	}
	if in.MaxPages < 0 {
		return FetchOutput{}, nodeerr.Permanent(fmt.Errorf("jira: MaxPages %d is negative", in.MaxPages))
	}
	var out FetchOutput
	index := make(map[string]int) // key -> position in out.Items
	firstPage := []int{}          // position -> page (0-based) the key was first read on
	maxThrough := []int64{}       // page -> largest updated read through that page
	holdAt := -1                  // see MaxUpdated
	var running int64
	pos := position{seek: q.seek, query: -1}
	seen := make(map[string]bool)
	for {
		p, next, err := q.walk(ctx, pos)
		if err != nil {
			return FetchOutput{}, err
		}
		page := out.Pages
		out.Pages++
		for _, it := range p.Items {
			running = max(running, it.Updated.UnixMilli())
			if i, ok := index[it.Key]; ok {
				out.Items[i] = it
				if j := firstPage[i]; j < page && (holdAt < 0 || j < holdAt) {
					holdAt = j
				}
				continue
			}
			index[it.Key] = len(out.Items)
			out.Items = append(out.Items, it)
			firstPage = append(firstPage, page)
		}
		maxThrough = append(maxThrough, running)
		if next == nil {
			break
		}
		if in.MaxPages > 0 && out.Pages >= in.MaxPages {
			out.HasMore = true
			break
		}
		tok := next.encode()
		if seen[tok] {
			return FetchOutput{}, fmt.Errorf("jira: page %d: the walk came back to a position it had read before; stopping to avoid a loop", out.Pages)
		}
		seen[tok] = true
		pos = *next
	}
	out.MaxUpdated = maxUpdated(out.Items)
	if holdAt >= 0 && !q.seek {
		out.MaxUpdated = maxThrough[holdAt]
	}
	return out, nil
}

// FetchPage reads the page of in.JQL that in.PageToken points to (the first
// page when it is empty). Loop while HasMore, passing NextPageToken back, to
// read all pages; the concatenated Items equal FetchIssues' when nothing
// changes in between. It is a paged source for the stream step.
//
// When in.JQL is ordered by "updated ASC" or "updated ASC, key ASC" (the
// incremental-sync order), the walk is by seek position, not by Jira's
// page tokens: page k+1 is a fresh search
//
//	(<filter part of JQL>) AND updated >= <last updated of page k> ORDER BY updated ASC, key ASC
//
// that skips the issues of page k at that millisecond. An issue updated,
// created or moved during the walk therefore never shifts a later page: an
// issue not yet read is still found, and a changed issue comes back at the
// end with its new version. A cursor advanced to each page's MaxUpdated
// never passes an issue the walk has not returned. When a whole page is
// one millisecond (more ties than a page), the walk goes on inside that
// search with Jira's nextPageToken. The tokens are FetchPage's own,
// versioned strings ("s1:<ms>:<keys>[:<Jira token>]"), so a walk can be
// resumed days later from a stored token, after Jira's own tokens have
// expired (an expired Jira token restarts the search at that millisecond).
//
// With any other ORDER BY (or none) the walk follows Jira's nextPageToken
// ("j1:<Jira token>"), which Jira may implement as an offset: an issue that
// changes during such a walk shifts later pages, so an issue can be skipped,
// and a cursor advanced from such a walk is not safe when issues change.
func FetchPage(ctx context.Context, in PageInput) (PageOutput, error) {
	if in.Done {
		return PageOutput{}, nil
	}
	q, err := newQuery(in.BaseURL, in.Email, in.APIToken, in.JQL, in.PageSize, in.Fields, in.StoryPointsField, in.RequestTimeout, in.Select)
	if err != nil {
		return PageOutput{}, err
	}
	pos, err := decodePosition(in.PageToken, q.seek)
	if err != nil {
		return PageOutput{}, err
	}
	p, next, err := q.walk(ctx, pos)
	if err != nil {
		return PageOutput{}, err
	}
	if next != nil {
		p.NextPageToken, p.HasMore = next.encode(), true
	}
	return p, nil
}

func maxUpdated(items []Issue) int64 {
	var m int64
	for i := range items {
		if ms := items[i].Updated.UnixMilli(); ms > m {
			m = ms
		}
	}
	return m
}

// query is a validated search: everything a page request needs but the
// page token.
type query struct {
	endpoint string // base URL + /rest/api/3/search/jql
	auth     string // Authorization header value, or ""
	secrets  []string
	jql      string
	filter   string // jql without its top-level ORDER BY
	seek     bool   // ordered by updated ASC[, key ASC]: walk by seek position
	pageSize int
	timeout  time.Duration // per request
	fields   []string      // all fields requested, in order
	spField  string
	extra    []string // in.Fields, de-duplicated
}

func newQuery(baseURL, email, token, jql string, pageSize int, extra []string, spField string, timeout time.Duration, sel []string) (*query, error) {
	switch {
	case timeout == 0:
		timeout = DefaultRequestTimeout
	case timeout < 0:
		return nil, nodeerr.Permanent(fmt.Errorf("jira: RequestTimeout %s is negative", timeout))
	}
	if baseURL == "" {
		return nil, nodeerr.Permanent(errors.New("jira: BaseURL is empty"))
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nodeerr.Permanent(fmt.Errorf("jira: BaseURL %q is not an http(s) URL such as https://your-org.atlassian.net", redactURL(baseURL)))
	}
	if u.User != nil {
		return nil, nodeerr.Permanent(fmt.Errorf("jira: BaseURL %q must not contain credentials; set Email and APIToken instead", redactURL(baseURL)))
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/") + "/rest/api/3/search/jql"
	u.RawPath = ""
	if strings.TrimSpace(jql) == "" {
		return nil, nodeerr.Permanent(errors.New("jira: JQL is empty; Jira requires a bounded query such as \"project = KEY ORDER BY key\""))
	}
	switch {
	case pageSize == 0:
		pageSize = DefaultPageSize
	case pageSize < 1 || pageSize > 5000:
		return nil, nodeerr.Permanent(fmt.Errorf("jira: PageSize %d is out of range: Jira accepts maxResults from 1 to 5000", pageSize))
	}
	if spField == "" {
		spField = DefaultStoryPointsField
	}
	q := &query{endpoint: u.String(), jql: jql, pageSize: pageSize, spField: spField, timeout: timeout}
	var order string
	q.filter, order = splitOrder(jql)
	q.seek = seekable(order)
	switch {
	case email != "" && token != "":
		q.auth = "Basic " + basicCredential(email, token)
		q.secrets = []string{token, basicCredential(email, token)}
	case email != "":
		return nil, nodeerr.Permanent(errors.New("jira: Email is set but APIToken is empty; Jira Cloud needs both (an API token from id.atlassian.com)"))
	case token != "":
		q.auth = "Bearer " + token
		q.secrets = []string{token}
	}
	if len(sel) > 0 {
		if q.fields, err = fieldsFor(sel, spField); err != nil {
			return nil, nodeerr.Permanent(err)
		}
	} else {
		q.fields = append(q.fields, defaultFields...)
		q.fields = append(q.fields, spField)
	}
	for _, f := range extra {
		f = strings.TrimSpace(f)
		if f == "" || slices.Contains(q.extra, f) {
			continue
		}
		q.extra = append(q.extra, f)
		if !slices.Contains(q.fields, f) {
			q.fields = append(q.fields, f)
		}
	}
	return q, nil
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
