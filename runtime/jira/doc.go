// Package jira is resolute-gen's built-in node for reading issues from Jira
// Cloud through the enhanced search API (GET /rest/api/3/search/jql with
// nextPageToken pagination; the removed /rest/api/3/search is never used).
//
// FetchIssues reads every page of a JQL query; FetchPage reads one page, for
// flows that paginate with a spec-level while loop. Both return typed issues
// with timestamps in UTC, null assignee/priority/story points handled and the
// description (Atlassian Document Format) flattened to text, plus the
// largest updated timestamp seen as epoch milliseconds, ready to advance a
// cursor:
//
//	[cursor.jira_sync]
//	initial = "0"   # epoch milliseconds
//
//	[[step]]
//	id = "issues"
//	call = "jira.FetchIssues"
//	advance = { cursor = "jira_sync", to = "issues.MaxUpdated" }
//	[step.with]
//	BaseURL  = "${env.JIRA_BASE_URL}"
//	Email    = "${env.JIRA_EMAIL}"
//	APIToken = "${env.JIRA_API_TOKEN}"
//	JQL      = "project = PLATFORM AND updated >= ${cursor.jira_sync} ORDER BY updated ASC, key ASC"
//	PageSize = 100
//
// # The cursor
//
// Use an unquoted epoch-milliseconds number in the JQL, not a date literal:
// JQL date literals have minute precision and are read in the searching
// user's profile time zone, which skips or repeats issues. Compare with >=
// (issues updated in the same millisecond as the cursor are fetched again;
// de-duplicate by key downstream) and order by updated, then key, so that the
// cursor only moves forward. Advance the cursor from the data (MaxUpdated),
// never from the clock: Jira's search index is eventually consistent, and an
// issue updated a moment ago may not be visible yet.
//
// # Authentication
//
// With Email and APIToken set, requests use HTTP Basic authentication (Jira
// Cloud API tokens). With only APIToken, they use a Bearer token (Data
// Center personal access tokens). With neither, requests are anonymous.
// The token never appears in errors.
//
// # Errors and retries
//
// Each page request is retried inside the node on 429, 5xx and network
// errors, honouring Retry-After (seconds or an HTTP date) and otherwise
// backing off exponentially from 5 s to 30 s with jitter (0.7-1.3), four
// times, per Atlassian's guidance. A Retry-After longer than a minute is not
// slept through: the node returns at once with an error whose RetryAfter
// method reports the delay, for the runtime's own retry to honour. Bad
// requests (400, e.g. a JQL syntax error), authentication failures (401, 403),
// 404 and 410 are permanent errors: their Permanent method reports true.
//
// Package jiratest provides an in-process fake of the search API for tests.
package jira
