// Package github is resolute-gen's built-in node for reading a repository's
// issues (and pull requests) from the GitHub REST API:
// GET /repos/{owner}/{repo}/issues with state=all, sort=updated,
// direction=asc and since=, paginated by the Link header.
//
// FetchIssues reads every page into memory (meant for small result sets:
// an incremental sync of one repository); FetchPage reads one page and
// follows the paged-source contract (PageToken in, NextPageToken out) for
// the stream construct. Both return typed issues with timestamps in UTC and
// the largest updated_at seen as epoch milliseconds, ready to advance a
// cursor:
//
//	[cursor.github_sync]
//	initial = "0"   # epoch milliseconds
//
//	[[step]]
//	id = "issues"
//	call = "github.FetchIssues"
//	advance = { cursor = "github_sync", to = "issues.MaxUpdated" }
//	[step.with]
//	Token = "${env.GITHUB_TOKEN}"
//	Owner = "octo"
//	Repo  = "hello"
//	Since = "${cursor.github_sync}"
//
// # The cursor
//
// since has second precision and is inclusive in practice: issues updated
// in the cursor's second come back again. The node drops those older than
// Since (a millisecond cursor) and FetchIssues returns each issue once, so a
// cursor advanced to MaxUpdated re-reads only the issues of its last second;
// upserts make that harmless. Advance from the data (MaxUpdated), never from
// the clock.
//
// Pages are not followed by page number (issues updated while paging would
// shift the pages and skip one). The page token is a seek position of the
// node's own: the updated_at of the last issue read plus the ids read at
// that instant; the next request asks since= that instant and drops what
// it has read. A token is restartable days later. Only when more issues
// share one second than fit on a page does the token carry the Link
// header's next URL as well (the seek cannot get past them); such a page
// number can shift if those issues change while paging.
//
// # Rate limits
//
// Every response's x-ratelimit-remaining and x-ratelimit-reset are
// remembered per BaseURL and token. When remaining falls below
// MinRemaining (default 5), the next request waits until the reset time if
// that is within MaxRateLimitWait (default 1m) and before the context's
// deadline; otherwise the node returns at once with an error whose
// RetryAfter method reports the wait. A primary limit hit (403 or 429 with
// x-ratelimit-remaining: 0) reports the wait until x-ratelimit-reset; a
// secondary limit (403 or 429 with retry-after) reports retry-after; a
// rate-limit 403 or 429 with neither header reports one minute, as GitHub
// advises.
//
// # Errors and retries
//
// The node does not retry: the step's retry policy does. Network errors,
// 5xx and 408 are plain (transient) errors, except a host not found in DNS,
// a TLS handshake answered in plain HTTP (or the reverse) and an invalid
// certificate, which are permanent; rate limits carry RetryAfter;
// other 4xx (401 bad credentials, 404 unknown repository or no access,
// 422 validation failed) are permanent (their Permanent method reports
// true) and quote GitHub's message. Each request has a deadline,
// RequestTimeout (default 60s), including reading the body. The token
// never appears in errors.
//
// # GitHub Enterprise Server
//
// Set BaseURL to the instance's API root, such as
// https://ghe.example.com/api/v3; the default is https://api.github.com.
//
// Package githubtest provides an in-process fake of the API for tests.
package github
