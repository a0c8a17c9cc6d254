// Package confluence is resolute-gen's built-in node for reading pages from
// Confluence Cloud through the CQL search API:
// GET /wiki/rest/api/content/search?cql=...&expand=body.storage,version,space,history
// with `type = page AND lastmodified >= "yyyy-MM-dd HH:mm" order by
// lastmodified asc`, paginated through _links.next.
//
// FetchPages reads every page of results into memory (small result sets:
// an incremental sync); FetchPage reads one and follows the paged-source
// contract (PageToken in, NextPageToken out) for the stream construct. Both
// return typed pages (id, space key, title, version number, last modified
// time parsed with its offset and returned in UTC, author, and the body as
// plain text converted from the storage format) and the largest last
// modified time as epoch milliseconds, ready to advance a cursor:
//
//	[cursor.confluence_sync]
//	initial = "0"   # epoch milliseconds
//
//	[[step]]
//	id = "pages"
//	call = "confluence.FetchPages"
//	advance = { cursor = "confluence_sync", to = "pages.MaxUpdated" }
//	[step.with]
//	BaseURL  = "${env.CONFLUENCE_BASE_URL}"   # https://your-org.atlassian.net
//	Email    = "${env.CONFLUENCE_EMAIL}"
//	APIToken = "${env.CONFLUENCE_API_TOKEN}"
//	CQL      = "space = ENG"
//	Since    = "${cursor.confluence_sync}"
//	TimeZone = "Asia/Kolkata"                 # the API user's profile time zone
//
// # How the cursor stays exact
//
// CQL dates have minute precision and are read in the time zone of the
// user the API token belongs to (their profile setting), like JQL. The
// node converts Since (epoch milliseconds or RFC 3339) to TimeZone (an IANA
// name; default UTC), truncates it down to the minute, and asks
// lastmodified >= that minute: an overlap of up to a minute, never a gap.
// It then drops the pages whose last modified time is before Since, so the
// overlap is never returned. A cursor advanced to MaxUpdated re-reads only
// the pages modified in its very millisecond (upserts make that harmless).
// A wrong TimeZone shifts the query by the offset difference: behind, it
// only reads more; ahead, it would miss pages, so when unsure use a zone
// west of the real one.
//
// Pages are not walked by the server's cursor alone: the token is a seek
// position of the node's own (the last modified time read and the ids read
// since the start of that minute), restartable later and unaffected by
// pages modified while paging. Only when more pages fall in one minute than
// fit on a result page does the token carry _links.next as well.
//
// # Errors and retries
//
// The node does not retry: the step's retry policy does. Network errors,
// 5xx and 408 are plain (transient) errors, except a host not found in DNS,
// a TLS handshake answered in plain HTTP (or the reverse) and an invalid
// certificate, which are permanent; 429 carries the Retry-After
// delay in the error's RetryAfter method (a minute when absent); other 4xx
// (400 CQL errors, 401, 403, 404) are permanent (their Permanent method
// reports true) with Confluence's message. Each request has a deadline,
// RequestTimeout (default 60s). The token never appears in errors.
//
// Package confluencetest provides an in-process fake of the API for tests.
package confluence
