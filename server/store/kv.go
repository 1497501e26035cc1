// Package store keeps the plugin's records in a key-value store with the semantics of
// the Mattermost plugin KV store: plain reads (possibly from a lagging replica),
// insert-if-absent, and byte-exact compare-and-set. Every record that several nodes
// can change is changed with compare-and-set and re-read when the swap loses, so the
// store stays correct in a High Availability cluster. It imports nothing from
// Mattermost; the plugin layer adapts the plugin API to KV.
package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"time"

	"github.com/pkg/errors"
)

// KV is the part of the Mattermost plugin KV store the plugin relies on.
type KV interface {
	// Get returns nil for a missing or expired key.
	Get(key string) ([]byte, error)
	// Set writes unconditionally; a nil value deletes. ttl 0 means no expiry.
	Set(key string, value []byte, ttl time.Duration) error
	// CompareAndSet inserts when old is nil and the key is absent, swaps when the stored
	// bytes equal old, and deletes when value is nil and the stored bytes equal old. It
	// returns false when nothing was written — which, over the plugin RPC, can also mean
	// the call was lost, so callers re-read rather than conclude someone else won.
	CompareAndSet(key string, old, value []byte, ttl time.Duration) (bool, error)
}

// ErrContention is returned when a compare-and-set loop gives up.
var ErrContention = errors.New("record kept changing under concurrent updates")

// maxCASAttempts bounds compare-and-set loops. Contention on one record comes from a
// handful of nodes at most; a lagging replica burns a few attempts.
const maxCASAttempts = 25

// Store gives typed access to records over a KV.
type Store struct {
	kv KV
}

// New wraps a KV.
func New(kv KV) *Store { return &Store{kv: kv} }

// KV returns the underlying key-value store.
func (s *Store) KV() KV { return s.kv }

// Get decodes the record at key into dst and reports whether it existed.
func (s *Store) Get(key string, dst any) (bool, error) {
	raw, err := s.kv.Get(key)
	if err != nil {
		return false, errors.Wrapf(err, "read %s", key)
	}
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return true, errors.Wrapf(err, "decode %s", key)
	}
	return true, nil
}

// Put writes a record unconditionally. Use it only for records with a single writer
// or whose content is deterministic (idempotent writes).
func (s *Store) Put(key string, v any, ttl time.Duration) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return errors.Wrapf(err, "encode %s", key)
	}
	return errors.Wrapf(s.kv.Set(key, raw, ttl), "write %s", key)
}

// Delete removes a key.
func (s *Store) Delete(key string) error {
	return errors.Wrapf(s.kv.Set(key, nil, 0), "delete %s", key)
}

// Insert writes v at key only if the key is absent. When it is present, the stored
// record is decoded into existing (if non-nil) and inserted is false.
func (s *Store) Insert(key string, v any, ttl time.Duration, existing any) (inserted bool, err error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return false, errors.Wrapf(err, "encode %s", key)
	}
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		ok, err := s.kv.CompareAndSet(key, nil, raw, ttl)
		if err != nil {
			return false, errors.Wrapf(err, "insert %s", key)
		}
		if ok {
			return true, nil
		}
		cur, err := s.kv.Get(key)
		if err != nil {
			return false, errors.Wrapf(err, "read %s", key)
		}
		if cur == nil {
			// Not inserted yet not present: a lost RPC or a replica that has not seen
			// the winner yet. Try again.
			backoff(attempt)
			continue
		}
		if existing != nil {
			if err := json.Unmarshal(cur, existing); err != nil {
				return false, errors.Wrapf(err, "decode %s", key)
			}
		}
		return false, nil
	}
	return false, errors.Wrapf(ErrContention, "insert %s", key)
}

// Modify applies fn to the record at key with compare-and-set, retrying on conflict.
// fn gets a fresh copy of the current record (zero value and exists=false when the
// key is absent) and returns whether to write it; fn may run several times and must
// not have side effects outside the record. Modify returns the record as written (or
// as read, when fn chose not to write).
func Modify[T any](s *Store, key string, ttl time.Duration, fn func(cur *T, exists bool) (write bool, err error)) (*T, error) {
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		raw, err := s.kv.Get(key)
		if err != nil {
			return nil, errors.Wrapf(err, "read %s", key)
		}
		cur := new(T)
		if raw != nil {
			if err := json.Unmarshal(raw, cur); err != nil {
				return nil, errors.Wrapf(err, "decode %s", key)
			}
		}
		write, err := fn(cur, raw != nil)
		if err != nil {
			return nil, err
		}
		if !write {
			return cur, nil
		}
		next, err := json.Marshal(cur)
		if err != nil {
			return nil, errors.Wrapf(err, "encode %s", key)
		}
		ok, err := s.kv.CompareAndSet(key, raw, next, ttl)
		if err != nil {
			return nil, errors.Wrapf(err, "update %s", key)
		}
		if ok {
			return cur, nil
		}
		backoff(attempt)
	}
	return nil, errors.Wrapf(ErrContention, "update %s", key)
}

func backoff(attempt int) {
	if attempt == 0 {
		return
	}
	d := time.Duration(attempt) * 2 * time.Millisecond
	if d > 50*time.Millisecond {
		d = 50 * time.Millisecond
	}
	time.Sleep(d/2 + time.Duration(rand.Int64N(int64(d/2)+1)))
}

// Hash returns the hex SHA-256 of the parts, separated so that ("ab","c") and
// ("a","bc") differ. KV keys are limited to 150 characters and Instagram message IDs
// alone can be longer, so native IDs are hashed into keys; records keep the originals.
func Hash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
