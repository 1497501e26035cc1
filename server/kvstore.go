package main

import (
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/pkg/errors"
)

// pluginKV adapts the plugin API's KV store to store.KV. It calls the API directly
// with raw bytes (no JSON re-encoding), because compare-and-set compares exact bytes.
type pluginKV struct {
	api plugin.API
}

func ttlSeconds(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	s := int64(ttl / time.Second)
	if s == 0 {
		s = 1
	}
	return s
}

func (k pluginKV) Get(key string) ([]byte, error) {
	data, appErr := k.api.KVGet(key)
	if appErr != nil {
		return nil, errors.Wrap(appErr, "KV get")
	}
	return data, nil
}

func (k pluginKV) Set(key string, value []byte, ttl time.Duration) error {
	if value == nil {
		if appErr := k.api.KVDelete(key); appErr != nil {
			return errors.Wrap(appErr, "KV delete")
		}
		return nil
	}
	if _, appErr := k.api.KVSetWithOptions(key, value, model.PluginKVSetOptions{ExpireInSeconds: ttlSeconds(ttl)}); appErr != nil {
		return errors.Wrap(appErr, "KV set")
	}
	return nil
}

func (k pluginKV) CompareAndSet(key string, old, value []byte, ttl time.Duration) (bool, error) {
	if old == nil && value == nil {
		return false, nil
	}
	ok, appErr := k.api.KVSetWithOptions(key, value, model.PluginKVSetOptions{
		Atomic: true, OldValue: old, ExpireInSeconds: ttlSeconds(ttl),
	})
	if appErr != nil {
		return false, errors.Wrap(appErr, "KV compare-and-set")
	}
	return ok, nil
}
