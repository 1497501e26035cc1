// Package memkv is an in-memory store.KV with the semantics of the Mattermost plugin KV
// store (insert-if-absent, byte-exact compare-and-set, compare-and-delete, expiry that
// every write resets), plus fault injection, for tests of code that must be correct
// when several nodes share one store.
package memkv

import (
	"bytes"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pkg/errors"
)

type entry struct {
	value    []byte
	expireAt time.Time
}

// KV is a goroutine-safe in-memory KV.
type KV struct {
	mu    sync.Mutex
	data  map[string]entry
	now   func() time.Time
	fail  func(op, key string) error
	ops   map[string]int
	drops int
}

// New returns an empty KV.
func New() *KV {
	return &KV{data: map[string]entry{}, now: time.Now, ops: map[string]int{}}
}

// SetNow replaces the clock used for expiry.
func (k *KV) SetNow(now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = now
}

// FailWith makes operations fail when fn returns an error; op is get, set or cas.
func (k *KV) FailWith(fn func(op, key string) error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fail = fn
}

// DropNextCAS makes the next n compare-and-set calls return false without writing, as
// a lost plugin RPC does.
func (k *KV) DropNextCAS(n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.drops = n
}

// Ops returns how many calls of each operation were made.
func (k *KV) Ops() map[string]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]int{}
	for op, n := range k.ops {
		out[op] = n
	}
	return out
}

// Keys lists live keys with the prefix, sorted.
func (k *KV) Keys(prefix string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for key, e := range k.data {
		if strings.HasPrefix(key, prefix) && k.live(e) {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

func (k *KV) live(e entry) bool {
	return e.expireAt.IsZero() || k.now().Before(e.expireAt)
}

func (k *KV) begin(op, key string) error {
	k.ops[op]++
	if len(key) > 150 {
		return errors.Errorf("key %q is longer than 150 characters", key)
	}
	if k.fail != nil {
		return k.fail(op, key)
	}
	return nil
}

func (k *KV) get(key string) []byte {
	e, ok := k.data[key]
	if !ok || !k.live(e) {
		return nil
	}
	return e.value
}

func (k *KV) put(key string, value []byte, ttl time.Duration) {
	if value == nil {
		delete(k.data, key)
		return
	}
	e := entry{value: bytes.Clone(value)}
	if ttl > 0 {
		e.expireAt = k.now().Add(ttl)
	}
	k.data[key] = e
}

// Get returns a copy of the value, or nil when the key is missing or expired.
func (k *KV) Get(key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.begin("get", key); err != nil {
		return nil, err
	}
	return bytes.Clone(k.get(key)), nil
}

// Set upserts; a nil value deletes.
func (k *KV) Set(key string, value []byte, ttl time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.begin("set", key); err != nil {
		return err
	}
	k.put(key, value, ttl)
	return nil
}

// CompareAndSet follows the plugin API's KVSetWithOptions with Atomic set.
func (k *KV) CompareAndSet(key string, old, value []byte, ttl time.Duration) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.begin("cas", key); err != nil {
		return false, err
	}
	if k.drops > 0 {
		k.drops--
		return false, nil
	}
	cur := k.get(key)
	switch {
	case old == nil && value == nil:
		return false, nil
	case old == nil:
		if cur != nil {
			return false, nil
		}
	default:
		if cur == nil || !bytes.Equal(cur, old) {
			return false, nil
		}
	}
	k.put(key, value, ttl)
	return true, nil
}
