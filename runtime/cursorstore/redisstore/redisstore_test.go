package redisstore_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/cursorstore/internal/storetest"
	"github.com/resolute/resolute-gen/runtime/cursorstore/redisstore"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// baseURL returns $RESOLUTE_TEST_REDIS or skips the test.
func baseURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("RESOLUTE_TEST_REDIS")
	if u == "" {
		t.Skip("RESOLUTE_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0); skipping the Redis cursor store tests")
	}
	return u
}

// prefixURL returns the test server's URL with a key prefix of this test;
// the keys under it are deleted when the test ends.
func prefixURL(t *testing.T) (string, string) {
	t.Helper()
	base := baseURL(t)
	prefix := storetest.Unique("resolute-test:") + ":"
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("cursor_prefix", prefix)
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		c := client(t, base)
		ctx := context.Background()
		keys, err := c.Keys(ctx, prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = c.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("clean up %s*: %v", prefix, err)
		}
	})
	return u.String(), prefix
}

func client(t *testing.T, base string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(base)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

func opener(u string) storetest.Opener {
	return func(t *testing.T, ns string) cursorstore.Store {
		t.Helper()
		s, err := redisstore.Open(context.Background(), cursorstore.Config{URL: u, Namespace: ns, Program: "prog"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.(*redisstore.Store).Close() })
		return s
	}
}

func TestContract(t *testing.T) {
	u, _ := prefixURL(t)
	storetest.Contract(t, opener(u))
}

func TestOneHashPerNamespace(t *testing.T) {
	u, prefix := prefixURL(t)
	s := opener(u)(t, "sync")
	if err := s.Commit(context.Background(), map[string]string{"a": "1", "b": "2"}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := client(t, baseURL(t)).HGetAll(context.Background(), prefix+"sync").Result()
	if err != nil || len(got) != 2 || got["a"] != "1" || got["b"] != "2" {
		t.Errorf("HGETALL %ssync = %v %v", prefix, got, err)
	}
	if desc := s.(*redisstore.Store).String(); !strings.Contains(desc, "key "+prefix+"sync") {
		t.Errorf("description %q", desc)
	}
}

func TestWrongTypeIsAStateError(t *testing.T) {
	u, prefix := prefixURL(t)
	if err := client(t, baseURL(t)).Set(context.Background(), prefix+"ns", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := redisstore.Open(context.Background(), cursorstore.Config{URL: u, Namespace: "ns", Program: "prog"})
	if err == nil || !strings.Contains(err.Error(), "is not a hash of cursors") || !strings.Contains(err.Error(), "DEL "+prefix+"ns") {
		t.Fatalf("Open over a string key: %v", err)
	}
	m := storetest.NewMachine(t, "TP_STORE=redis", "RESOLUTE_CURSOR_STORE="+u, "RESOLUTE_CURSOR_NAMESPACE=ns")
	r := m.Run(nil, "cursor", "get", "c")
	if r.Code != 2 || !strings.Contains(r.Stderr, "testprog cursor set NAME VALUE") {
		t.Errorf("cursor get over a string key: exit %d, want 2\n%s", r.Code, r.Stderr)
	}
}

func TestBadURL(t *testing.T) {
	for _, u := range []string{"postgres://x/y", "redis://x/y/z", "redis://x/0?nope=1", "redis://x/0?a;b"} {
		if _, err := redisstore.New(cursorstore.Config{URL: u, Namespace: "ns"}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestProgram(t *testing.T) {
	u, _ := prefixURL(t)
	storetest.Program(t, opener(u), []string{"TP_STORE=redis", "RESOLUTE_CURSOR_STORE=" + u},
		"redis://:s3cret-pw@127.0.0.1:1/0?dial_timeout=1s&max_retries=-1", "redis://")
}

func TestShapes(t *testing.T) {
	u, _ := prefixURL(t)
	storetest.Shapes(t, opener(u), []string{"TP_STORE=redis", "RESOLUTE_CURSOR_STORE=" + u})
}
