package mmfake

import (
	"bytes"
	"slices"
	"sort"

	"github.com/mattermost/mattermost/server/public/model"
)

// The KV methods follow srv:app/plugin_api.go (KV section), srv:app/plugin_key_value_store.go,
// srv:app/platform/cluster.go (SetPluginKeyWithOptions, KVList) and
// srv:store/sqlstore/plugin_store.go, Postgres branch.

// defaultPluginKeyFetchLimit is the page size KVList uses when perPage <= 0.
const defaultPluginKeyFetchLimit = 10

// liveAt mirrors "ExpireAt = 0 OR ExpireAt > now".
func (e kvEntry) liveAt(now int64) bool { return e.expireAt == 0 || e.expireAt > now }

// wire turns an empty byte slice into nil: gob, the plugin RPC encoding, does not
// transmit empty slices, so the server receives nil.
func wire(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return slices.Clone(b)
}

// kvCheck runs the KV hook for one operation, without the lock held.
func (s *Server) kvCheck(method, op, key string) *model.AppError {
	s.mu.Lock()
	hook := s.kvHook
	s.mu.Unlock()
	if hook == nil {
		return nil
	}
	return asAppError(method, hook(op, key))
}

// validKV is model.PluginKeyValue.IsValid.
func validKV(pluginID, key string) *model.AppError {
	kv := &model.PluginKeyValue{PluginId: pluginID, Key: key}
	return kv.IsValid()
}

func (s *Server) kvSpace(pluginID string) map[string]kvEntry {
	m := s.kv[pluginID]
	if m == nil {
		m = map[string]kvEntry{}
		s.kv[pluginID] = m
	}
	return m
}

// kvSetWithOptions is SqlPluginStore.SetWithOptions behind
// PlatformService.SetPluginKeyWithOptions. value and options.OldValue must already be
// wire-normalised. s.mu must be held.
func (s *Server) kvSetWithOptions(pluginID, key string, value []byte, opt model.PluginKVSetOptions) (bool, *model.AppError) {
	if appErr := opt.IsValid(); appErr != nil {
		return false, appErr
	}
	now := s.millis()
	expireAt := int64(0)
	if opt.ExpireInSeconds != 0 {
		expireAt = now + opt.ExpireInSeconds*1000
	}
	if appErr := validKV(pluginID, key); appErr != nil {
		return false, appErr
	}
	m := s.kvSpace(pluginID)

	if !opt.Atomic {
		// SaveOrUpdate: nil deletes, anything else upserts value and expiry.
		if value == nil {
			delete(m, key)
		} else {
			m[key] = kvEntry{value: value, expireAt: expireAt}
		}
		return true, nil
	}

	// CompareAndSet.
	if value == nil {
		return s.kvCompareAndDelete(pluginID, key, opt.OldValue)
	}
	if opt.OldValue == nil {
		// Insert if absent: first delete an expired row ("ExpireAt != 0 AND ExpireAt <
		// now"), then INSERT; a unique-key violation means someone holds the key.
		if e, ok := m[key]; ok && e.expireAt != 0 && e.expireAt < now {
			delete(m, key)
		}
		if _, ok := m[key]; ok {
			return false, nil
		}
		m[key] = kvEntry{value: value, expireAt: expireAt}
		return true, nil
	}
	// UPDATE ... WHERE PValue = old AND (ExpireAt = 0 OR ExpireAt > now).
	e, ok := m[key]
	if !ok || !e.liveAt(now) || !bytes.Equal(e.value, opt.OldValue) {
		return false, nil
	}
	m[key] = kvEntry{value: value, expireAt: expireAt}
	return true, nil
}

// kvCompareAndDelete is SqlPluginStore.CompareAndDelete. s.mu must be held.
func (s *Server) kvCompareAndDelete(pluginID, key string, oldValue []byte) (bool, *model.AppError) {
	if appErr := validKV(pluginID, key); appErr != nil {
		return false, appErr
	}
	if oldValue == nil {
		// nil can't be stored: nothing to compare with.
		return false, nil
	}
	m := s.kvSpace(pluginID)
	e, ok := m[key]
	if !ok || !e.liveAt(s.millis()) || !bytes.Equal(e.value, oldValue) {
		return false, nil
	}
	delete(m, key)
	return true, nil
}

// kvGet returns a copy of the live value or nil. s.mu must be held.
func (s *Server) kvGet(pluginID, key string) []byte {
	e, ok := s.kv[pluginID][key]
	if !ok || !e.liveAt(s.millis()) {
		return nil
	}
	return slices.Clone(e.value)
}

// liveKeys returns the plugin's unexpired keys in ascending order. s.mu must be held.
func (s *Server) liveKeys(pluginID string) []string {
	now := s.millis()
	keys := make([]string, 0, len(s.kv[pluginID]))
	for k, e := range s.kv[pluginID] {
		if e.liveAt(now) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// KVSet stores value under key without expiry; a nil or empty value deletes the key.
func (a *API) KVSet(key string, value []byte) *model.AppError {
	const m = "KVSet"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	if appErr := a.s.kvCheck(m, "set", key); appErr != nil {
		return appErr
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	_, appErr := a.s.kvSetWithOptions(a.pluginID, key, wire(value), model.PluginKVSetOptions{})
	return appErr
}

// KVSetWithExpiry stores value under key, expiring after expireInSeconds (0: never).
func (a *API) KVSetWithExpiry(key string, value []byte, expireInSeconds int64) *model.AppError {
	const m = "KVSetWithExpiry"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	if appErr := a.s.kvCheck(m, "set", key); appErr != nil {
		return appErr
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	_, appErr := a.s.kvSetWithOptions(a.pluginID, key, wire(value), model.PluginKVSetOptions{ExpireInSeconds: expireInSeconds})
	return appErr
}

// KVSetWithOptions is the plugin KV store's only atomic primitive: see the package
// documentation for the exact semantics.
func (a *API) KVSetWithOptions(key string, value []byte, options model.PluginKVSetOptions) (bool, *model.AppError) {
	const m = "KVSetWithOptions"
	if failed, err := a.enter(m); failed {
		return false, asAppError(m, err)
	}
	a.s.mu.Lock()
	drop := a.s.dropKVSet > 0
	if drop {
		a.s.dropKVSet--
	}
	a.s.mu.Unlock()
	if drop {
		return false, nil
	}
	if appErr := a.s.kvCheck(m, "set", key); appErr != nil {
		return false, appErr
	}
	options.OldValue = wire(options.OldValue)
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.kvSetWithOptions(a.pluginID, key, wire(value), options)
}

// KVCompareAndSet is KVSetWithOptions with Atomic set and OldValue oldValue.
func (a *API) KVCompareAndSet(key string, oldValue, newValue []byte) (bool, *model.AppError) {
	const m = "KVCompareAndSet"
	if failed, err := a.enter(m); failed {
		return false, asAppError(m, err)
	}
	if appErr := a.s.kvCheck(m, "set", key); appErr != nil {
		return false, appErr
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.kvSetWithOptions(a.pluginID, key, wire(newValue), model.PluginKVSetOptions{Atomic: true, OldValue: wire(oldValue)})
}

// KVCompareAndDelete deletes key if its live value equals oldValue byte for byte.
func (a *API) KVCompareAndDelete(key string, oldValue []byte) (bool, *model.AppError) {
	const m = "KVCompareAndDelete"
	if failed, err := a.enter(m); failed {
		return false, asAppError(m, err)
	}
	if appErr := a.s.kvCheck(m, "delete", key); appErr != nil {
		return false, appErr
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.kvCompareAndDelete(a.pluginID, key, wire(oldValue))
}

// KVGet returns a copy of the value, or nil for a missing or expired key.
func (a *API) KVGet(key string) ([]byte, *model.AppError) {
	const m = "KVGet"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	if appErr := a.s.kvCheck(m, "get", key); appErr != nil {
		return nil, appErr
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.kvGet(a.pluginID, key), nil
}

// KVDelete removes key; a missing key is not an error.
func (a *API) KVDelete(key string) *model.AppError {
	const m = "KVDelete"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	if appErr := a.s.kvCheck(m, "delete", key); appErr != nil {
		return appErr
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	delete(a.s.kv[a.pluginID], key)
	return nil
}

// KVDeleteAll removes every key of the plugin.
func (a *API) KVDeleteAll() *model.AppError {
	const m = "KVDeleteAll"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	if appErr := a.s.kvCheck(m, "delete", ""); appErr != nil {
		return appErr
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	delete(a.s.kv, a.pluginID)
	return nil
}

// KVList returns one page of live keys in ascending order: offset page*perPage, at most
// perPage keys, 10 when perPage <= 0.
func (a *API) KVList(page, perPage int) ([]string, *model.AppError) {
	const m = "KVList"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	if appErr := a.s.kvCheck(m, "list", ""); appErr != nil {
		return nil, appErr
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	offset := max(page*perPage, 0)
	limit := perPage
	if limit <= 0 {
		limit = defaultPluginKeyFetchLimit
	}
	keys := a.s.liveKeys(a.pluginID)
	if offset >= len(keys) {
		return nil, nil
	}
	return slices.Clone(keys[offset:min(offset+limit, len(keys))]), nil
}
