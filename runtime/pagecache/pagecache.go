// Package pagecache is the contract between a stream's page fetch and the
// runtime's page cache: the runtime puts a Cache in the context of each page
// fetch of a stream, and a source that reads the page over HTTP (the jira,
// github and confluence nodes, or a user node) may look its request up there
// before sending it, and store the answer's body there after reading it.
//
// The cache keeps what the source answered for the pages a stream has
// fetched but not yet finished, so that a run killed while the body handles
// page n and page n+1 is read ahead takes both from the cache when it
// resumes instead of asking the source for them again. A hit is the answer
// the source gave to the same request in the same run before the process
// died: the source is not asked twice for one page.
//
// Like the nodeerr contract, this package imports only the standard library;
// a node that never looks at it loses nothing but the saved requests.
package pagecache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
)

// Cache is the page cache of one page fetch.
type Cache interface {
	// Get returns what Put stored for key in an earlier process of the
	// same run fetching the same page; ok is false when there is none (the
	// usual case). meta is the source's own data about the answer (an
	// HTTP source keeps its status line and headers there).
	Get(key string) (meta, body []byte, ok bool)
	// Put stores the successful answer to the request key. It never
	// fails: an answer that cannot be stored (it holds a secret's value,
	// the disk is full) is simply not stored, and nothing is stored when
	// the page's fetch returns an error (an answer the source refused is
	// not kept). Put keeps meta and body until the fetch returns: the
	// caller must not change them.
	Put(key string, meta, body []byte)
}

type ctxKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c Cache) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the Cache of ctx, or nil outside a stream's page
// fetch.
func FromContext(ctx context.Context) Cache {
	c, _ := ctx.Value(ctxKey{}).(Cache)
	return c
}

// Key is the key of a request: a hash of its method, URL and body (the
// headers, credentials among them, are not part of it).
func Key(method, url string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(url))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}
