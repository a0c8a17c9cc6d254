// Package redisstore keeps the committed cursors of a resolute program in a
// Redis hash, so that they survive the loss of the machine that runs the
// program.
//
// A generated program uses it with
//
//	runtime.Main(runtime.Program{
//		...
//		CursorStore: redisstore.Open,
//	})
//
// and is given the server with --cursor-store or $RESOLUTE_CURSOR_STORE:
//
//	redis://:secret@cache.internal:6379/0
//	rediss://etl:secret@cache.internal:6380/2?cursor_prefix=etl:cursors:
//	unix:///run/redis.sock?db=1
//
// The URL is read by github.com/redis/go-redis/v9's ParseURL (its query
// options, such as dial_timeout, are accepted), plus one parameter of this
// package, cursor_prefix (default "resolute:cursors:"). The cursors of a
// program are one hash, the prefix followed by the program's namespace
// (--cursor-namespace, by default the program's name): field = cursor name,
// value = committed value. Read them with HGETALL resolute:cursors:NAMESPACE.
//
// A commit is one HSET of all of a run's cursors, so it is atomic; when the
// runtime asks for its compare-and-set check, the hash is WATCHed, read,
// checked and written in MULTI/EXEC, and the whole is retried if another
// client changed the hash in between.
//
// go-redis's own log lines (a connection being retried, say) are
// silenced: they would go to stderr outside the program's log, and what
// matters reaches it as the store's errors.
//
// Redis keeps data in memory: configure persistence (AOF with appendfsync
// everysec or always) on the server, or a restart loses the cursors, and a
// lost cursor means a full resync from the initial values.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
)

// DefaultPrefix starts the key of a namespace's hash when the URL has no
// cursor_prefix parameter.
const DefaultPrefix = "resolute:cursors:"

// opTimeout bounds each operation unless the caller's context ends sooner.
const opTimeout = 30 * time.Second

// maxTxRetries is how often a compare-and-set commit is retried when
// another client changed the hash between the read and the write.
const maxTxRetries = 10

var silence sync.Once

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Store is a cursor store in a Redis hash. Its methods are safe for
// concurrent use.
type Store struct {
	client  *redis.Client
	key     string
	program string
	desc    string
}

// Open connects to the server named by cfg.URL and checks that the
// namespace's key is a hash or does not exist. It has the signature of
// runtime.Program.CursorStore.
func Open(ctx context.Context, cfg cursorstore.Config) (cursorstore.Store, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	typ, err := s.client.Type(ctx, s.key).Result()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("cursor store %s: %w; is the server up and the URL (--cursor-store or RESOLUTE_CURSOR_STORE) right?", s.desc, err)
	}
	if typ != "hash" && typ != "none" {
		s.Close()
		return nil, s.wrongType(fmt.Errorf("it is a %s", typ))
	}
	return s, nil
}

// New returns the store described by cfg without connecting to it.
func New(cfg cursorstore.Config) (*Store, error) {
	if cfg.Namespace == "" {
		return nil, errors.New("redisstore: empty namespace")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
		return nil, errors.New("redisstore: the cursor store URL must look like redis://[USER:PASSWORD@]HOST[:PORT][/DB][?cursor_prefix=PREFIX] (or rediss://, unix://)")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("redisstore: the cursor store URL's query: %w", err)
	}
	prefix := DefaultPrefix
	if q.Has("cursor_prefix") {
		prefix = q.Get("cursor_prefix")
		q.Del("cursor_prefix")
		u.RawQuery = q.Encode()
	}
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	silence.Do(func() { redis.SetLogger(quiet{}) })
	opt.DisableIdentity = true // no CLIENT SETINFO: older servers reject it
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	s := &Store{client: redis.NewClient(opt), key: prefix + cfg.Namespace, program: cfg.Program}
	who := ""
	if opt.Username != "" {
		who = opt.Username + "@"
	}
	where := u.Scheme + "://" + who + opt.Addr
	if u.Scheme == "unix" {
		where = "unix://" + opt.Addr
	}
	s.desc = fmt.Sprintf("%s/%d key %s", where, opt.DB, s.key)
	return s, nil
}

// String describes the store (without the password), such as
// `redis://cache:6379/0 key resolute:cursors:sync`.
func (s *Store) String() string { return s.desc }

// Key returns the hash that holds the cursors.
func (s *Store) Key() string { return s.key }

// Close closes the client's connections.
func (s *Store) Close() error { return s.client.Close() }

func (s *Store) wrongType(err error) error {
	return cursorstore.StateError(fmt.Errorf("cursor store %s: the key %s is not a hash of cursors (%v). "+
		"Choose another key by adding cursor_prefix=PREFIX to the URL or setting --cursor-namespace, or delete the key (DEL %s) and set each cursor with `%s cursor set NAME VALUE`",
		s.desc, s.key, err, s.key, s.program))
}

// opError names the store in err; a key of another type is a state error.
func (s *Store) opError(err error) error {
	if strings.HasPrefix(err.Error(), "WRONGTYPE") {
		return s.wrongType(err)
	}
	return fmt.Errorf("cursor store %s: %w", s.desc, err)
}

// Load returns the committed cursors: the fields of the namespace's hash.
func (s *Store) Load(ctx context.Context) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	m, err := s.client.HGetAll(ctx, s.key).Result()
	if err != nil {
		return nil, s.opError(err)
	}
	return m, nil
}

// Commit sets values with one HSET. With a check, the hash is watched, read
// and checked, and the HSET runs in MULTI/EXEC, so that it is not applied
// if another client changed the hash after it was read.
func (s *Store) Commit(ctx context.Context, values map[string]string, check func(map[string]string) error) error {
	if len(values) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	args := make([]any, 0, 2*len(values))
	for k, v := range values {
		args = append(args, k, v)
	}
	if check == nil {
		if err := s.client.HSet(ctx, s.key, args...).Err(); err != nil {
			return s.opError(err)
		}
		return nil
	}
	var checkErr error
	for range maxTxRetries {
		err := s.client.Watch(ctx, func(tx *redis.Tx) error {
			cur, err := tx.HGetAll(ctx, s.key).Result()
			if err != nil {
				return err
			}
			if checkErr = check(cur); checkErr != nil {
				return checkErr
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, s.key, args...)
				return nil
			})
			return err
		}, s.key)
		switch {
		case checkErr != nil:
			return checkErr
		case errors.Is(err, redis.TxFailedErr):
			continue // the hash changed after it was read: read it again
		case err != nil:
			return s.opError(err)
		}
		return nil
	}
	return fmt.Errorf("cursor store %s: the hash kept changing during the commit (%d attempts); is another program writing to the key %s?", s.desc, maxTxRetries, s.key)
}
