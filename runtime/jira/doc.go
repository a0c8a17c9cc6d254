// Package jira is resolute-gen's built-in node for reading issues from Jira
// Cloud through the enhanced search API (GET /rest/api/3/search/jql with
// nextPageToken pagination; the removed /rest/api/3/search is never used).
//
// FetchPage reads one page of a JQL query: a paged source for the stream
// step. Ordered by "updated ASC, key ASC", its pages are walked by seek
// position, so that issues changing during the walk never make it skip one
// (see FetchPage). FetchIssues reads every page into memory, for small
// result sets. Both return typed issues
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
// The node makes one request per page and never retries: the step's retry
// policy (runtime.Retry) is the one owner of retries, so every retry is
// logged and counted there. Its errors are classified for that policy:
//
//   - transient (plain errors, retried): 5xx, 408, 429, refused or reset
//     connections, and timeouts. A 429 or 5xx with Retry-After (seconds or
//     an HTTP date) has a RetryAfter() time.Duration method, which the
//     runtime honours as the next delay.
//   - permanent (a Permanent() bool method returning true, not retried):
//     every other 4xx with Jira's errorMessages (400 for a JQL error, 401
//     saying it is a credentials problem, 403, 404, 410), a host name not
//     found in DNS, a TLS handshake answered in plain HTTP (or the reverse),
//     an invalid certificate, and a 2xx whose body is not the expected JSON
//     (the message gives the status, the Content-Type and the first 200
//     bytes of the body).
//
// Every request has a deadline, RequestTimeout (default 60s): a server that
// accepts the connection and never answers is a transient timeout error,
// not a hang.
//
// Package jiratest provides an in-process fake of the search API for tests.
package jira
