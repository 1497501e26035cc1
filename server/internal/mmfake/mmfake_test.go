package mmfake_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/pluginapi"
	"github.com/mattermost/mattermost/server/public/pluginapi/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/internal/mmfake"
)

const pluginID = "com.example.social-inbox"

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newServer(t *testing.T) (*mmfake.Server, *clock) {
	t.Helper()
	s := mmfake.NewServer()
	c := newClock()
	s.SetNow(c.Now)
	return s, c
}

// ---- KV ----

func TestKVSemantics(t *testing.T) {
	type step struct {
		name    string
		advance time.Duration
		run     func(a *mmfake.API) (bool, *model.AppError)
		wantOK  bool
		wantErr string // AppError id, "" for none
		// after checks the stored value of key "k" (nil: absent).
		after []byte
	}
	set := func(v string) func(a *mmfake.API) (bool, *model.AppError) {
		return func(a *mmfake.API) (bool, *model.AppError) { return true, a.KVSet("k", []byte(v)) }
	}
	opts := func(value []byte, o model.PluginKVSetOptions) func(a *mmfake.API) (bool, *model.AppError) {
		return func(a *mmfake.API) (bool, *model.AppError) { return a.KVSetWithOptions("k", value, o) }
	}
	b := func(s string) []byte { return []byte(s) }

	tests := []struct {
		name  string
		steps []step
	}{
		{"set then overwrite", []step{
			{name: "set", run: set("a"), wantOK: true, after: b("a")},
			{name: "overwrite", run: set("b"), wantOK: true, after: b("b")},
		}},
		{"nil and empty values delete", []step{
			{name: "set", run: set("a"), wantOK: true, after: b("a")},
			{name: "nil", run: func(a *mmfake.API) (bool, *model.AppError) { return true, a.KVSet("k", nil) }, wantOK: true, after: nil},
			{name: "set again", run: set("a"), wantOK: true, after: b("a")},
			{name: "empty", run: set(""), wantOK: true, after: nil},
			{name: "non-atomic options nil", run: set("a"), wantOK: true, after: b("a")},
			{name: "options nil value", run: opts(nil, model.PluginKVSetOptions{}), wantOK: true, after: nil},
		}},
		{"insert if absent", []step{
			{name: "absent inserts", run: opts(b("1"), model.PluginKVSetOptions{Atomic: true}), wantOK: true, after: b("1")},
			{name: "present refuses", run: opts(b("2"), model.PluginKVSetOptions{Atomic: true}), wantOK: false, after: b("1")},
		}},
		{"insert if absent over an expired row", []step{
			{name: "lease", run: opts(b("1"), model.PluginKVSetOptions{Atomic: true, ExpireInSeconds: 15}), wantOK: true, after: b("1")},
			{name: "held", advance: 14 * time.Second, run: opts(b("2"), model.PluginKVSetOptions{Atomic: true}), wantOK: false, after: b("1")},
			// At exactly ExpireAt the row is invisible to KVGet (ExpireAt > now fails) but
			// not yet deleted by the insert (ExpireAt < now fails): the server refuses too.
			{name: "expiry millisecond", advance: time.Second, run: opts(b("2"), model.PluginKVSetOptions{Atomic: true}), wantOK: false, after: nil},
			{name: "expired", advance: time.Millisecond, run: opts(b("2"), model.PluginKVSetOptions{Atomic: true}), wantOK: true, after: b("2")},
		}},
		{"compare and swap is byte exact", []step{
			{name: "seed", run: set(`{"a":1}`), wantOK: true, after: b(`{"a":1}`)},
			{name: "same JSON other bytes", run: opts(b(`{"a":2}`), model.PluginKVSetOptions{Atomic: true, OldValue: b(`{"a": 1}`)}), wantOK: false, after: b(`{"a":1}`)},
			{name: "exact bytes", run: opts(b(`{"a":2}`), model.PluginKVSetOptions{Atomic: true, OldValue: b(`{"a":1}`)}), wantOK: true, after: b(`{"a":2}`)},
			{name: "stale old value", run: opts(b(`{"a":3}`), model.PluginKVSetOptions{Atomic: true, OldValue: b(`{"a":1}`)}), wantOK: false, after: b(`{"a":2}`)},
		}},
		{"compare and swap on a missing or expired key", []step{
			{name: "missing", run: opts(b("2"), model.PluginKVSetOptions{Atomic: true, OldValue: b("1")}), wantOK: false, after: nil},
			{name: "seed with ttl", run: opts(b("1"), model.PluginKVSetOptions{ExpireInSeconds: 5}), wantOK: true, after: b("1")},
			{name: "expired", advance: 5 * time.Second, run: opts(b("2"), model.PluginKVSetOptions{Atomic: true, OldValue: b("1")}), wantOK: false, after: nil},
		}},
		{"compare and delete", []step{
			{name: "seed", run: set("1"), wantOK: true, after: b("1")},
			{name: "mismatch", run: opts(nil, model.PluginKVSetOptions{Atomic: true, OldValue: b("2")}), wantOK: false, after: b("1")},
			{name: "match", run: opts(nil, model.PluginKVSetOptions{Atomic: true, OldValue: b("1")}), wantOK: true, after: nil},
			{name: "wrapper on missing key", run: func(a *mmfake.API) (bool, *model.AppError) { return a.KVCompareAndDelete("k", b("1")) }, wantOK: false, after: nil},
		}},
		{"atomic with both nil does nothing", []step{
			{name: "seed", run: set("1"), wantOK: true, after: b("1")},
			{name: "both nil", run: opts(nil, model.PluginKVSetOptions{Atomic: true}), wantOK: false, after: b("1")},
			{name: "wrapper both nil", run: func(a *mmfake.API) (bool, *model.AppError) { return a.KVCompareAndSet("k", nil, nil) }, wantOK: false, after: b("1")},
		}},
		{"invalid options", []step{
			{name: "old value without atomic", run: opts(b("1"), model.PluginKVSetOptions{OldValue: b("0")}), wantOK: false, wantErr: "model.plugin_kvset_options.is_valid.old_value.app_error", after: nil},
		}},
		{"a write without ExpireInSeconds clears the expiry", []step{
			{name: "set with ttl", run: opts(b("1"), model.PluginKVSetOptions{ExpireInSeconds: 10}), wantOK: true, after: b("1")},
			{name: "cas without ttl", run: opts(b("2"), model.PluginKVSetOptions{Atomic: true, OldValue: b("1")}), wantOK: true, after: b("2")},
			{name: "still there after the old ttl", advance: time.Hour, run: func(a *mmfake.API) (bool, *model.AppError) { return true, nil }, wantOK: true, after: b("2")},
		}},
		{"expiry boundary", []step{
			{name: "set with expiry", run: func(a *mmfake.API) (bool, *model.AppError) { return true, a.KVSetWithExpiry("k", b("1"), 10) }, wantOK: true, after: b("1")},
			{name: "alive before", advance: 9999 * time.Millisecond, run: func(a *mmfake.API) (bool, *model.AppError) { return true, nil }, wantOK: true, after: b("1")},
			{name: "gone at expiry", advance: time.Millisecond, run: func(a *mmfake.API) (bool, *model.AppError) { return true, nil }, wantOK: true, after: nil},
		}},
		{"a negative expiry writes an expired row", []step{
			{name: "set", run: opts(b("1"), model.PluginKVSetOptions{ExpireInSeconds: -1}), wantOK: true, after: nil},
			{name: "insert over it", run: opts(b("2"), model.PluginKVSetOptions{Atomic: true}), wantOK: true, after: b("2")},
		}},
		{"compare and set wrapper", []step{
			{name: "insert", run: func(a *mmfake.API) (bool, *model.AppError) { return a.KVCompareAndSet("k", nil, b("1")) }, wantOK: true, after: b("1")},
			{name: "swap", run: func(a *mmfake.API) (bool, *model.AppError) { return a.KVCompareAndSet("k", b("1"), b("2")) }, wantOK: true, after: b("2")},
			{name: "stale", run: func(a *mmfake.API) (bool, *model.AppError) { return a.KVCompareAndSet("k", b("1"), b("3")) }, wantOK: false, after: b("2")},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newServer(t)
			a := s.API(pluginID)
			for _, st := range tc.steps {
				c.Advance(st.advance)
				ok, appErr := st.run(a)
				if st.wantErr != "" {
					require.NotNil(t, appErr, st.name)
					assert.Equal(t, st.wantErr, appErr.Id, st.name)
					assert.Equal(t, http.StatusBadRequest, appErr.StatusCode, st.name)
				} else {
					require.Nil(t, appErr, st.name)
				}
				assert.Equal(t, st.wantOK, ok, st.name)
				got, appErr := a.KVGet("k")
				require.Nil(t, appErr)
				assert.Equal(t, st.after, got, st.name)
			}
		})
	}
}

func TestKVKeyLengthAndCopies(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)

	for _, tc := range []struct {
		key     string
		wantErr bool
	}{
		{strings.Repeat("é", 150), false},
		{strings.Repeat("é", 151), true},
		{"", true},
	} {
		appErr := a.KVSet(tc.key, []byte("v"))
		assert.Equal(t, tc.wantErr, appErr != nil, "len %d", len([]rune(tc.key)))
		_, appErr = a.KVSetWithOptions(tc.key, []byte("v"), model.PluginKVSetOptions{Atomic: true})
		assert.Equal(t, tc.wantErr, appErr != nil, "atomic, len %d", len([]rune(tc.key)))
	}

	in := []byte("value")
	require.Nil(t, a.KVSet("copy", in))
	in[0] = 'X'
	out, _ := a.KVGet("copy")
	assert.Equal(t, "value", string(out), "the store must not alias the caller's slice")
	out[0] = 'Y'
	again, _ := a.KVGet("copy")
	assert.Equal(t, "value", string(again), "KVGet must return a copy")
}

func TestKVList(t *testing.T) {
	s, c := newServer(t)
	a := s.API(pluginID)
	for _, k := range []string{"d", "b", "a", "c", "e"} {
		require.Nil(t, a.KVSet(k, []byte(k)))
	}
	require.Nil(t, a.KVSetWithExpiry("c", []byte("c"), 1))
	for i := range 12 {
		require.Nil(t, a.KVSet("z"+string(rune('a'+i)), []byte("z")))
	}

	tests := []struct {
		name          string
		page, perPage int
		advance       time.Duration
		want          []string
	}{
		{"first page", 0, 2, 0, []string{"a", "b"}},
		{"second page", 1, 2, 0, []string{"c", "d"}},
		{"expired keys are skipped", 1, 2, time.Second, []string{"d", "e"}},
		{"perPage 0 means 10 from offset 0", 3, 0, 0, []string{"a", "b", "d", "e", "za", "zb", "zc", "zd", "ze", "zf"}},
		{"past the end", 9, 10, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.Advance(tc.advance)
			got, appErr := a.KVList(tc.page, tc.perPage)
			require.Nil(t, appErr)
			assert.Equal(t, tc.want, got)
		})
	}

	require.Nil(t, a.KVDeleteAll())
	got, _ := a.KVList(0, 100)
	assert.Empty(t, got)
	assert.Empty(t, s.KVKeys(pluginID))
}

func TestKVNamespacesArePerPlugin(t *testing.T) {
	s, _ := newServer(t)
	a, other := s.API(pluginID), s.API("other.plugin")
	require.Nil(t, a.KVSet("k", []byte("mine")))
	got, _ := other.KVGet("k")
	assert.Nil(t, got)
	v, ok := s.KVValue(pluginID, "k")
	assert.True(t, ok)
	assert.Equal(t, "mine", string(v))
}

func TestInsertIfAbsentRaceHasOneWinner(t *testing.T) {
	s, _ := newServer(t)
	nodes := []*mmfake.API{s.API(pluginID), s.API(pluginID)}
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 50 {
		wg.Go(func() {
			<-start
			ok, appErr := nodes[i%2].KVSetWithOptions("in:msg-1", []byte{byte(i)}, model.PluginKVSetOptions{Atomic: true, ExpireInSeconds: 3600})
			if appErr != nil {
				t.Error(appErr)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
	assert.Equal(t, 50, s.Calls()["KVSetWithOptions"])
}

func TestDropNextKVSet(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	s.DropNextKVSet(2)
	for range 2 {
		ok, appErr := a.KVSetWithOptions("k", []byte("v"), model.PluginKVSetOptions{Atomic: true})
		assert.False(t, ok)
		assert.Nil(t, appErr)
		got, _ := a.KVGet("k")
		assert.Nil(t, got, "a dropped set must not be applied")
	}
	ok, appErr := a.KVSetWithOptions("k", []byte("v"), model.PluginKVSetOptions{Atomic: true})
	assert.True(t, ok)
	assert.Nil(t, appErr)
	assert.Equal(t, 3, s.Calls()["KVSetWithOptions"])
}

func TestKVHook(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	boom := errors.New("db down")
	var seen []string
	var mu sync.Mutex
	s.SetKVHook(func(op, key string) error {
		mu.Lock()
		seen = append(seen, op+":"+key)
		mu.Unlock()
		if strings.HasPrefix(key, "bad") {
			return boom
		}
		return nil
	})
	require.Nil(t, a.KVSet("good", []byte("1")))
	appErr := a.KVSet("bad", []byte("1"))
	require.NotNil(t, appErr)
	assert.Equal(t, http.StatusInternalServerError, appErr.StatusCode)
	assert.Contains(t, appErr.Error(), "db down")
	_, ok := s.KVValue(pluginID, "bad")
	assert.False(t, ok, "a failed write must not be applied")

	_, appErr = a.KVGet("bad-read")
	assert.NotNil(t, appErr)
	_, _ = a.KVList(0, 10)
	_ = a.KVDelete("good")
	_, _ = a.KVCompareAndDelete("x", []byte("1"))
	assert.Equal(t, []string{"set:good", "set:bad", "get:bad-read", "list:", "delete:good", "delete:x"}, seen)

	// An AppError from the hook is passed through unchanged.
	s.SetKVHook(func(op, key string) error {
		return model.NewAppError("hook", "custom.id", nil, "", http.StatusTeapot)
	})
	_, appErr = a.KVGet("k")
	require.NotNil(t, appErr)
	assert.Equal(t, "custom.id", appErr.Id)
	s.SetKVHook(nil)
	_, appErr = a.KVGet("k")
	assert.Nil(t, appErr)
}

func TestMethodsNotModelledPanic(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	assert.Panics(t, func() { _, _ = a.GetDirectChannel(model.NewId(), model.NewId()) })
}

// ---- fault injection and call counting ----

func TestFailNext(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	team := s.AddTeam("sales")

	tests := []struct {
		name    string
		err     error
		wantID  string
		wantNil bool // RPC-style failure: zero values, nil error
	}{
		{"plain error is wrapped", errors.New("boom"), "mmfake.injected", false},
		{"app error passes through", model.NewAppError("x", "some.id", nil, "", http.StatusConflict), "some.id", false},
		{"nil error drops the call", nil, "", true},
		{"typed nil app error drops the call", (*model.AppError)(nil), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.FailNext("GetTeam", 2, tc.err)
			for range 2 {
				got, appErr := a.GetTeam(team.Id)
				assert.Nil(t, got)
				if tc.wantNil {
					assert.Nil(t, appErr)
				} else {
					require.NotNil(t, appErr)
					assert.Equal(t, tc.wantID, appErr.Id)
				}
			}
			got, appErr := a.GetTeam(team.Id)
			require.Nil(t, appErr)
			assert.Equal(t, team.Id, got.Id)
		})
	}

	// Methods returning error get the error itself.
	s.FailNext("EnsureBotUser", 1, errors.New("nope"))
	_, err := a.EnsureBotUser(&model.Bot{Username: "inbox"})
	assert.EqualError(t, err, "nope")

	// n <= 0 clears a pending fault.
	s.FailNext("KVGet", 5, errors.New("x"))
	s.FailNext("KVGet", 0, nil)
	_, appErr := a.KVGet("k")
	assert.Nil(t, appErr)

	// A KV write dropped by FailNext(nil) is not applied.
	s.FailNext("KVSet", 1, nil)
	assert.Nil(t, a.KVSet("k", []byte("v")))
	_, ok := s.KVValue(pluginID, "k")
	assert.False(t, ok)
}

func TestCallCounting(t *testing.T) {
	s, _ := newServer(t)
	a, b := s.API(pluginID), s.API(pluginID)
	_ = a.KVSet("k", []byte("v"))
	_, _ = a.KVGet("k")
	_, _ = b.KVGet("k")
	a.LogInfo("hello")
	s.FailNext("KVGet", 1, errors.New("x"))
	_, _ = b.KVGet("k")

	assert.Equal(t, map[string]int{"KVSet": 1, "KVGet": 3, "LogInfo": 1}, s.Calls())
	assert.Equal(t, 5, s.TotalCalls())
	s.ResetCalls()
	assert.Equal(t, 0, s.TotalCalls())
	assert.Empty(t, s.Calls())

	// Seeding and inspection helpers are not API calls.
	s.AddUser("alice", false)
	_ = s.KVKeys(pluginID)
	assert.Equal(t, 0, s.TotalCalls())
}

func TestEnsureBotUser(t *testing.T) {
	s, _ := newServer(t)
	a, b := s.API(pluginID), s.API(pluginID)
	id, err := a.EnsureBotUser(&model.Bot{Username: "inbox", DisplayName: "Inbox"})
	require.NoError(t, err)
	v, ok := s.KVValue(pluginID, "mmi_botid")
	require.True(t, ok, "the bot id is remembered in the plugin's KV like app.EnsureBot does")
	assert.Equal(t, id, string(v))

	again, err := b.EnsureBotUser(&model.Bot{Username: "inbox", DisplayName: "Social Inbox", Description: "d"})
	require.NoError(t, err)
	assert.Equal(t, id, again)
	bot, appErr := a.GetBot(id, false)
	require.Nil(t, appErr)
	assert.Equal(t, "Social Inbox", bot.DisplayName, "an existing bot is patched")
	assert.Equal(t, pluginID, bot.OwnerId)

	// The remembered bot is renamed, so taking a person's username fails...
	s.AddUser("helpdesk", false)
	_, err = a.EnsureBotUser(&model.Bot{Username: "helpdesk"})
	require.ErrorContains(t, err, "app.user.save.username_exists.app_error")
	// ...while a plugin without a bot yet reuses the person's account, never converted.
	other := s.API("other.plugin")
	hid, err := other.EnsureBotUser(&model.Bot{Username: "helpdesk"})
	require.NoError(t, err)
	u, _ := other.GetUser(hid)
	assert.False(t, u.IsBot)

	_, appErr = a.UpdateBotActive(id, false)
	require.Nil(t, appErr)
	_, appErr = a.GetBot(id, false)
	assert.NotNil(t, appErr)
	bots, _ := a.GetBots(&model.BotGetOptions{PerPage: 10, IncludeDeleted: true})
	assert.Len(t, bots, 1)
}

// ---- channels ----

func TestCreateChannel(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	team := s.AddTeam("sales")
	creator := s.AddUser("bot-owner", false)

	ch, appErr := a.CreateChannel(&model.Channel{TeamId: team.Id, Name: "lead-abc", DisplayName: "Lead", Type: model.ChannelTypePrivate, CreatorId: creator.Id})
	require.Nil(t, appErr)
	assert.True(t, model.IsValidId(ch.Id))
	assert.Empty(t, s.ChannelMembers(ch.Id), "the creator is not added on the plugin path")

	tests := []struct {
		name     string
		channel  *model.Channel
		wantID   string
		wantCode int
		wantDup  bool
	}{
		{"duplicate name", &model.Channel{TeamId: team.Id, Name: "lead-abc", DisplayName: "Again", Type: model.ChannelTypePrivate}, "store.sql_channel.save_channel.exists.app_error", http.StatusBadRequest, true},
		{"preset id", &model.Channel{Id: model.NewId(), TeamId: team.Id, Name: "lead-x", DisplayName: "X", Type: model.ChannelTypeOpen}, "store.sql_channel.save_channel.existing.app_error", http.StatusBadRequest, false},
		{"invalid name", &model.Channel{TeamId: team.Id, Name: "Upper Case", DisplayName: "X", Type: model.ChannelTypeOpen}, "model.channel.is_valid.1_or_more.app_error", http.StatusBadRequest, false},
		{"missing type", &model.Channel{TeamId: team.Id, Name: "lead-y", DisplayName: "Y"}, "model.channel.is_valid.type.app_error", http.StatusBadRequest, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, appErr := a.CreateChannel(tc.channel)
			require.NotNil(t, appErr)
			assert.Equal(t, tc.wantID, appErr.Id)
			assert.Equal(t, tc.wantCode, appErr.StatusCode)
			if tc.wantDup {
				require.NotNil(t, got, "the server returns the existing channel with the error")
				assert.Equal(t, ch.Id, got.Id)
			}
		})
	}

	// Archiving keeps the name taken; the channel is found with includeDeleted only.
	require.Nil(t, a.DeleteChannel(ch.Id))
	_, appErr = a.GetChannelByName(team.Id, "lead-abc", false)
	require.NotNil(t, appErr)
	assert.Equal(t, http.StatusNotFound, appErr.StatusCode)
	got, appErr := a.GetChannelByName(team.Id, "lead-abc", true)
	require.Nil(t, appErr)
	assert.NotZero(t, got.DeleteAt)
	_, appErr = a.CreateChannel(&model.Channel{TeamId: team.Id, Name: "lead-abc", DisplayName: "Lead", Type: model.ChannelTypePrivate})
	require.NotNil(t, appErr)
	assert.Equal(t, "store.sql_channel.save_channel.exists.app_error", appErr.Id)
	require.Nil(t, a.RestoreChannel(ch.Id))

	// The per-team limit counts open and private, unarchived channels (the two
	// default channels included).
	s.UpdateConfig(func(cfg *model.Config) { cfg.TeamSettings.MaxChannelsPerTeam = model.NewPointer(int64(3)) })
	_, appErr = a.CreateChannel(&model.Channel{TeamId: team.Id, Name: "lead-over", DisplayName: "Over", Type: model.ChannelTypePrivate})
	require.NotNil(t, appErr)
	assert.Equal(t, "store.sql_channel.save_channel.limit.app_error", appErr.Id)
}

func TestAddChannelMemberRequiresTeamMembership(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	team := s.AddTeam("sales")
	user := s.AddUser("alice", false)
	ch, appErr := a.CreateChannel(&model.Channel{TeamId: team.Id, Name: "lead-1", DisplayName: "Lead 1", Type: model.ChannelTypePrivate})
	require.Nil(t, appErr)

	_, appErr = a.AddChannelMember(ch.Id, user.Id)
	require.NotNil(t, appErr)
	assert.Equal(t, "app.team.get_member.missing.app_error", appErr.Id)
	assert.Equal(t, http.StatusNotFound, appErr.StatusCode)

	_, appErr = a.AddChannelMember(ch.Id, model.NewId())
	require.NotNil(t, appErr)
	assert.Equal(t, http.StatusNotFound, appErr.StatusCode, "unknown user")

	_, appErr = a.CreateTeamMember(team.Id, user.Id)
	require.Nil(t, appErr)
	cm, appErr := a.AddChannelMember(ch.Id, user.Id)
	require.Nil(t, appErr)
	assert.Equal(t, user.Id, cm.UserId)
	_, appErr = a.AddChannelMember(ch.Id, user.Id)
	require.Nil(t, appErr, "adding a member again is a no-op")
	assert.Equal(t, []string{user.Id}, s.ChannelMembers(ch.Id))
	assert.True(t, a.HasPermissionToChannel(user.Id, ch.Id, model.PermissionCreatePost))
	assert.True(t, a.HasPermissionToTeam(user.Id, team.Id, model.PermissionViewTeam))
	assert.False(t, a.HasPermissionTo(user.Id, model.PermissionManageSystem))

	posts := s.PostsInChannel(ch.Id)
	require.Len(t, posts, 1, "exactly one join message")
	assert.Equal(t, model.PostTypeJoinChannel, posts[0].Type)
	assert.Equal(t, user.Id, posts[0].UserId)

	// Team join: default channels and a join message in town-square.
	ts, appErr := a.GetChannelByName(team.Id, model.DefaultChannelName, false)
	require.Nil(t, appErr)
	assert.Contains(t, s.ChannelMembers(ts.Id), user.Id)
	tsPosts := s.PostsInChannel(ts.Id)
	require.Len(t, tsPosts, 1)
	assert.Equal(t, model.PostTypeJoinTeam, tsPosts[0].Type)

	// Leaving: the last member of a private channel cannot leave.
	appErr = a.DeleteChannelMember(ch.Id, user.Id)
	require.NotNil(t, appErr)
	assert.Equal(t, "api.channel.leave.last_member.app_error", appErr.Id)

	// An archived channel refuses new members.
	other := s.AddUser("bob", false)
	s.AddTeamMember(team.Id, other.Id)
	require.Nil(t, a.DeleteChannel(ch.Id))
	_, appErr = a.AddChannelMember(ch.Id, other.Id)
	require.NotNil(t, appErr)
	assert.Equal(t, "api.channel.add_user_to_channel.deleted.app_error", appErr.Id)

	// Admins may do anything.
	admin := s.AddUser("root", true)
	assert.True(t, a.HasPermissionTo(admin.Id, model.PermissionManageSystem))
	assert.True(t, a.HasPermissionToChannel(admin.Id, ch.Id, model.PermissionReadChannel))
}

// ---- posts ----

func TestCreatePost(t *testing.T) {
	s, c := newServer(t)
	a := s.API(pluginID)
	team := s.AddTeam("sales")
	user := s.AddUser("alice", false)
	ch, appErr := a.CreateChannel(&model.Channel{TeamId: team.Id, Name: "lead-1", DisplayName: "Lead 1", Type: model.ChannelTypeOpen})
	require.Nil(t, appErr)

	tests := []struct {
		name     string
		post     *model.Post
		wantID   string
		wantCode int
	}{
		{"preset id", &model.Post{Id: model.NewId(), UserId: user.Id, ChannelId: ch.Id, Message: "hi"}, "app.post.save.existing.app_error", http.StatusBadRequest},
		{"unknown channel", &model.Post{UserId: user.Id, ChannelId: model.NewId(), Message: "hi"}, "app.channel.get.existing.app_error", http.StatusNotFound},
		{"unknown user", &model.Post{UserId: model.NewId(), ChannelId: ch.Id, Message: "hi"}, "app.user.missing_account.const", http.StatusNotFound},
		{"unknown root", &model.Post{UserId: user.Id, ChannelId: ch.Id, RootId: model.NewId(), Message: "hi"}, "api.post.create_post.root_id.app_error", http.StatusBadRequest},
		{"unknown file", &model.Post{UserId: user.Id, ChannelId: ch.Id, Message: "hi", FileIds: []string{model.NewId()}}, "mmfake.create_post.invalid_file_ids", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, appErr := a.CreatePost(tc.post)
			assert.Nil(t, got)
			require.NotNil(t, appErr)
			assert.Equal(t, tc.wantID, appErr.Id)
			assert.Equal(t, tc.wantCode, appErr.StatusCode)
		})
	}
	assert.Empty(t, s.PostsInChannel(ch.Id))

	in := &model.Post{UserId: user.Id, ChannelId: ch.Id, Message: "hello"}
	in.AddProp("lead_id", "L1")
	created, appErr := a.CreatePost(in)
	require.Nil(t, appErr)
	assert.Empty(t, in.Id, "the caller's post is not modified")
	assert.Nil(t, in.GetProp(model.PostPropsFromPlugin))
	assert.True(t, model.IsValidId(created.Id))
	assert.Equal(t, "true", created.GetProp(model.PostPropsFromPlugin))
	assert.Equal(t, c.Now().UnixMilli(), created.CreateAt)
	assert.Equal(t, created.CreateAt, created.UpdateAt)

	// The stored post is independent of the returned one.
	created.Message = "changed locally"
	created.AddProp("lead_id", "changed")
	got, appErr := a.GetPost(created.Id)
	require.Nil(t, appErr)
	assert.Equal(t, "hello", got.Message)
	assert.Equal(t, "L1", got.GetProp("lead_id"))

	// A bot author also gets from_bot.
	botID, err := a.EnsureBotUser(&model.Bot{Username: "inbox", DisplayName: "Inbox"})
	require.NoError(t, err)
	botPost, appErr := a.CreatePost(&model.Post{UserId: botID, ChannelId: ch.Id, Message: "from the bot"})
	require.Nil(t, appErr)
	assert.Equal(t, "true", botPost.GetProp(model.PostPropsFromBot))

	// Replies bump the root's UpdateAt; the thread comes back whole.
	c.Advance(time.Second)
	reply, appErr := a.CreatePost(&model.Post{UserId: user.Id, ChannelId: ch.Id, RootId: got.Id, Message: "reply"})
	require.Nil(t, appErr)
	root, _ := a.GetPost(got.Id)
	assert.Equal(t, reply.CreateAt, root.UpdateAt)
	thread, appErr := a.GetPostThread(reply.Id)
	require.Nil(t, appErr)
	assert.Equal(t, []string{reply.Id, got.Id}, thread.Order)

	// A user-side post has no from_plugin prop.
	human, appErr := s.PostAsUser(&model.Post{UserId: user.Id, ChannelId: ch.Id, Message: "typed by a person"})
	require.Nil(t, appErr)
	assert.Nil(t, human.GetProp(model.PostPropsFromPlugin))

	posts := s.PostsInChannel(ch.Id)
	require.Len(t, posts, 4)
	assert.Equal(t, []string{"hello", "from the bot", "reply", "typed by a person"}, []string{posts[0].Message, posts[1].Message, posts[2].Message, posts[3].Message})
}

func TestCreatePostPropsCrossTheRPCBoundary(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	team := s.AddTeam("sales")
	user := s.AddUser("alice", false)
	ch, _ := a.CreateChannel(&model.Channel{TeamId: team.Id, Name: "lead-1", DisplayName: "Lead 1", Type: model.ChannelTypeOpen})

	// Attachments survive; like the database, the stored props are JSON.
	p := &model.Post{UserId: user.Id, ChannelId: ch.Id}
	p.AddProp("attachments", []*model.MessageAttachment{{Text: "card", Actions: []*model.PostAction{{Id: "claim", Name: "Claim", Type: "button"}}}})
	p.AddProp("count", 3)
	created, appErr := a.CreatePost(p)
	require.Nil(t, appErr)
	assert.IsType(t, []*model.MessageAttachment{}, created.GetProp("attachments"), "CreatePost returns the typed props")
	assert.Equal(t, 3, created.GetProp("count"))
	got, _ := a.GetPost(created.Id)
	assert.IsType(t, []any{}, got.GetProp("attachments"), "reads come from the JSON column")
	assert.Equal(t, float64(3), got.GetProp("count"))
	require.Len(t, got.Attachments(), 1)
	assert.Equal(t, "card", got.Attachments()[0].Text)

	// A prop type gob cannot send fails like the real plugin RPC: zero values, a log line.
	bad := &model.Post{UserId: user.Id, ChannelId: ch.Id, Message: "x"}
	bad.AddProp("meta", map[string]string{"k": "v"})
	created, appErr = a.CreatePost(bad)
	assert.Nil(t, created)
	assert.Nil(t, appErr)
	logs := s.Logs()
	require.NotEmpty(t, logs)
	last := logs[len(logs)-1]
	assert.Equal(t, "rpc", last.Source)
	assert.Contains(t, last.Message, "RPC call to CreatePost API failed")

	// The next call goes through.
	created, appErr = a.CreatePost(&model.Post{UserId: user.Id, ChannelId: ch.Id, Message: "ok"})
	require.Nil(t, appErr)
	require.NotNil(t, created)
}

func TestUpdateAndDeletePost(t *testing.T) {
	s, c := newServer(t)
	a := s.API(pluginID)
	team := s.AddTeam("sales")
	user := s.AddUser("alice", false)
	ch, _ := a.CreateChannel(&model.Channel{TeamId: team.Id, Name: "lead-1", DisplayName: "Lead 1", Type: model.ChannelTypeOpen})
	created, appErr := a.CreatePost(&model.Post{UserId: user.Id, ChannelId: ch.Id, Message: "v1"})
	require.Nil(t, appErr)
	since := c.Now().UnixMilli()

	c.Advance(time.Minute)
	edit := created.Clone()
	edit.Message = "v2"
	edit.CreateAt = 1
	edit.AddProp("state", "claimed")
	updated, appErr := a.UpdatePost(edit)
	require.Nil(t, appErr)
	assert.Equal(t, created.Id, updated.Id)
	assert.Equal(t, created.CreateAt, updated.CreateAt, "CreateAt is kept")
	assert.Equal(t, c.Now().UnixMilli(), updated.UpdateAt)
	assert.Equal(t, c.Now().UnixMilli(), updated.EditAt)
	assert.Equal(t, "claimed", updated.GetProp("state"))

	list, appErr := a.GetPostsSince(ch.Id, since)
	require.Nil(t, appErr)
	assert.Equal(t, []string{created.Id}, list.Order)

	page, appErr := a.GetPostsForChannel(ch.Id, 0, 10)
	require.Nil(t, appErr)
	assert.Equal(t, []string{created.Id}, page.Order)

	require.Nil(t, a.DeletePost(created.Id))
	_, appErr = a.GetPost(created.Id)
	require.NotNil(t, appErr)
	assert.Equal(t, http.StatusNotFound, appErr.StatusCode)
	_, appErr = a.UpdatePost(edit)
	require.NotNil(t, appErr)
	assert.Equal(t, http.StatusBadRequest, appErr.StatusCode)
	list, _ = a.GetPostsSince(ch.Id, since)
	require.Len(t, list.Order, 1, "deleted posts are reported by GetPostsSince")
	assert.NotZero(t, list.Posts[created.Id].DeleteAt)
}

func TestFilesAndReactions(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	team := s.AddTeam("sales")
	user := s.AddUser("alice", false)
	ch1, _ := a.CreateChannel(&model.Channel{TeamId: team.Id, Name: "lead-1", DisplayName: "Lead 1", Type: model.ChannelTypeOpen})
	ch2, _ := a.CreateChannel(&model.Channel{TeamId: team.Id, Name: "lead-2", DisplayName: "Lead 2", Type: model.ChannelTypeOpen})

	info, appErr := a.UploadFile([]byte("hello"), ch1.Id, "note.txt")
	require.Nil(t, appErr)
	assert.Equal(t, "txt", info.Extension)
	data, appErr := a.GetFile(info.Id)
	require.Nil(t, appErr)
	assert.Equal(t, "hello", string(data))

	_, appErr = a.CreatePost(&model.Post{UserId: user.Id, ChannelId: ch2.Id, FileIds: []string{info.Id}})
	require.NotNil(t, appErr, "a file of another channel is refused")
	p, appErr := a.CreatePost(&model.Post{UserId: user.Id, ChannelId: ch1.Id, FileIds: []string{info.Id}})
	require.Nil(t, appErr)
	fi, _ := a.GetFileInfo(info.Id)
	assert.Equal(t, p.Id, fi.PostId)

	_, appErr = a.UploadFile([]byte("x"), model.NewId(), "x.txt")
	require.NotNil(t, appErr)
	assert.Equal(t, http.StatusBadRequest, appErr.StatusCode)

	r, appErr := a.AddReaction(&model.Reaction{UserId: user.Id, PostId: p.Id, EmojiName: "white_check_mark"})
	require.Nil(t, appErr)
	assert.Equal(t, ch1.Id, r.ChannelId)
	rs, _ := a.GetReactions(p.Id)
	assert.Len(t, rs, 1)
	got, _ := a.GetPost(p.Id)
	assert.True(t, got.HasReactions)
	require.Nil(t, a.RemoveReaction(r))
	rs, _ = a.GetReactions(p.Id)
	assert.Empty(t, rs)
}

func TestEphemeralPosts(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	user := s.AddUser("alice", false)
	sent := a.SendEphemeralPost(user.Id, &model.Post{ChannelId: model.NewId(), Message: "already claimed"})
	require.NotNil(t, sent)
	assert.Equal(t, model.PostTypeEphemeral, sent.Type)
	assert.True(t, model.IsValidId(sent.Id))

	sent.Message = "updated"
	a.UpdateEphemeralPost(user.Id, sent)
	got := s.EphemeralPosts(user.Id)
	require.Len(t, got, 1)
	assert.Equal(t, "updated", got[0].Message)

	a.DeleteEphemeralPost(user.Id, sent.Id)
	assert.Empty(t, s.EphemeralPosts(user.Id))
}

// ---- cluster, websocket, commands ----

func TestClusterEventsReachOtherNodesOnly(t *testing.T) {
	s, _ := newServer(t)
	n1, n2, n3 := s.API(pluginID), s.API(pluginID), s.API(pluginID)
	foreign := s.API("other.plugin")
	var mu sync.Mutex
	got := map[string][]string{}
	record := func(name string) func(model.PluginClusterEvent) {
		return func(ev model.PluginClusterEvent) {
			mu.Lock()
			got[name] = append(got[name], ev.Id+":"+string(ev.Data))
			mu.Unlock()
		}
	}
	n1.SetClusterEventHandler(record("n1"))
	n2.SetClusterEventHandler(record("n2"))
	n3.SetClusterEventHandler(record("n3"))
	foreign.SetClusterEventHandler(record("foreign"))

	require.NoError(t, n1.PublishPluginClusterEvent(model.PluginClusterEvent{Id: "invalidate", Data: []byte("c1")}, model.PluginClusterEventSendOptions{SendType: model.PluginClusterEventSendTypeReliable}))
	assert.Equal(t, map[string][]string{"n2": {"invalidate:c1"}, "n3": {"invalidate:c1"}}, got)

	require.NoError(t, n2.PublishPluginClusterEvent(model.PluginClusterEvent{Id: "direct"}, model.PluginClusterEventSendOptions{TargetId: n3.NodeID()}))
	assert.Equal(t, []string{"invalidate:c1", "direct:"}, got["n3"])
	assert.Len(t, got["n1"], 0)

	assert.Error(t, n1.PublishPluginClusterEvent(model.PluginClusterEvent{Id: "x"}, model.PluginClusterEventSendOptions{TargetId: "nobody"}))
}

func TestWebSocketEventsAndCommands(t *testing.T) {
	s, _ := newServer(t)
	a, b := s.API(pluginID), s.API(pluginID)
	a.PublishWebSocketEvent("lead_updated", map[string]any{"lead_id": "L1"}, &model.WebsocketBroadcast{ChannelId: "c"})
	evs := s.WebSocketEvents()
	require.Len(t, evs, 1)
	assert.Equal(t, "custom_"+pluginID+"_lead_updated", evs[0].Type)
	assert.Equal(t, "L1", evs[0].Payload["lead_id"])
	assert.Equal(t, "c", evs[0].Broadcast.ChannelId)

	require.NoError(t, a.RegisterCommand(&model.Command{Trigger: "Inbox", AutoComplete: true}))
	require.NoError(t, a.RegisterCommand(&model.Command{Trigger: "inbox", AutoComplete: true, AutoCompleteDesc: "v2"}))
	assert.Error(t, a.RegisterCommand(&model.Command{}))
	cmds := a.Commands()
	require.Len(t, cmds, 1)
	assert.Equal(t, "inbox", cmds[0].Trigger)
	assert.Equal(t, "v2", cmds[0].AutoCompleteDesc)
	assert.Empty(t, b.Commands(), "registration is per node")
	require.NoError(t, a.UnregisterCommand("", "INBOX"))
	assert.Empty(t, a.Commands())

	ac := model.NewAutocompleteData("lead", "[id]", "Lead actions")
	ac.AddDynamicListArgument("lead", "api/v1/autocomplete/leads", true)
	require.NoError(t, a.RegisterCommand(&model.Command{Trigger: "lead", AutocompleteData: ac}))
	arg := a.Commands()[0].AutocompleteData.Arguments[0].Data.(*model.AutocompleteDynamicListArg)
	assert.Equal(t, "/plugins/"+pluginID+"/api/v1/autocomplete/leads", arg.FetchURL)
}

// ---- configuration ----

func TestConfiguration(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	s.SetSiteURL("https://chat.example.com")
	s.SetPluginManifest(&model.Manifest{Id: pluginID, SettingsSchema: &model.PluginSettingsSchema{Settings: []*model.PluginSetting{
		{Key: "AppSecret", Type: "text", Secret: true},
		{Key: "MaxLeads", Type: "number", Default: 25},
		{Key: "Greeting", Type: "text", Default: "hi"},
	}}})
	s.SetPluginConfig(pluginID, map[string]any{"AppSecret": "s3cret", "Greeting": "hello"})

	var cfg struct {
		AppSecret string
		MaxLeads  int
		Greeting  string
	}
	require.NoError(t, a.LoadPluginConfiguration(&cfg))
	assert.Equal(t, "s3cret", cfg.AppSecret)
	assert.Equal(t, 25, cfg.MaxLeads, "manifest default")
	assert.Equal(t, "hello", cfg.Greeting)

	cfg1 := a.GetConfig()
	assert.Equal(t, "https://chat.example.com", *cfg1.ServiceSettings.SiteURL)
	*cfg1.ServiceSettings.SiteURL = "mutated"
	assert.Equal(t, "https://chat.example.com", *a.GetConfig().ServiceSettings.SiteURL, "GetConfig returns copies")
	assert.Equal(t, model.FakeSetting, a.GetPluginConfig()["AppSecret"], "secrets are masked")
	assert.Equal(t, model.FakeSetting, a.GetConfig().PluginSettings.Plugins[pluginID]["AppSecret"])
	assert.Equal(t, "s3cret", a.GetUnsanitizedConfig().PluginSettings.Plugins[pluginID]["AppSecret"])

	require.Nil(t, a.SavePluginConfig(map[string]any{"AppSecret": "new", "Greeting": "yo"}))
	require.NoError(t, a.LoadPluginConfiguration(&cfg))
	assert.Equal(t, "new", cfg.AppSecret)

	var wrong struct{ MaxLeads string }
	require.NoError(t, a.LoadPluginConfiguration(&wrong), "like the server, a decode error is only logged")
	logs := s.Logs()
	require.NotEmpty(t, logs)
	assert.Equal(t, "server", logs[len(logs)-1].Source)

	assert.Equal(t, mmfake.ServerVersion, a.GetServerVersion())
	dir, err := a.GetBundlePath()
	require.NoError(t, err)
	assert.Equal(t, ".", dir)
	assert.Equal(t, pluginID, a.GetPluginID())
}

func TestLogs(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { a.LogWarn("careful", "err", errors.New("e"), "n", 1) })
	}
	wg.Wait()
	logs := s.Logs()
	require.Len(t, logs, 20)
	assert.Equal(t, "warn", logs[0].Level)
	assert.Equal(t, []any{"err", "e", "n", "1"}, logs[0].KeyValues)
}

func TestPluginHTTP(t *testing.T) {
	s, _ := newServer(t)
	a := s.API(pluginID)
	s.SetPluginHTTPHandler("mattermost-ai", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Path+" from "+r.Header.Get("Mattermost-Plugin-ID")+" user="+r.Header.Get("Mattermost-User-Id"))
	}))
	req, _ := http.NewRequest(http.MethodPost, "/mattermost-ai/bridge/v1/completion", nil)
	req.Header.Set("Mattermost-User-Id", "spoofed")
	resp := a.PluginHTTP(req)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "/bridge/v1/completion from "+pluginID+" user=", string(body))

	req, _ = http.NewRequest(http.MethodGet, "/missing/x", nil)
	assert.Equal(t, http.StatusNotFound, a.PluginHTTP(req).StatusCode)
}

// ---- pluginapi on top of the fake ----

func TestPluginAPIClient(t *testing.T) {
	s, _ := newServer(t)
	n1, n2 := s.API(pluginID), s.API(pluginID)
	c1, c2 := pluginapi.NewClient(n1, nil), pluginapi.NewClient(n2, nil)
	team := s.AddTeam("sales")

	// EnsureBot from two nodes at once: one bot.
	var wg sync.WaitGroup
	ids := make([]string, 2)
	for i, c := range []*pluginapi.Client{c1, c2} {
		wg.Go(func() {
			id, err := c.Bot.EnsureBot(&model.Bot{Username: "inbox", DisplayName: "Inbox"}, pluginapi.ProfileImageBytes(onePixelPNG(t)))
			assert.NoError(t, err)
			ids[i] = id
		})
	}
	wg.Wait()
	require.NotEmpty(t, ids[0])
	assert.Equal(t, ids[0], ids[1])
	bot, err := c1.Bot.Get(ids[0], false)
	require.NoError(t, err)
	assert.Equal(t, pluginID, bot.OwnerId)
	user, err := c1.User.Get(ids[0])
	require.NoError(t, err)
	assert.True(t, user.IsBot)

	// KV through pluginapi.
	type rec struct{ N int }
	ok, err := c1.KV.Set("rec", rec{N: 1}, pluginapi.SetAtomic(nil), pluginapi.SetExpiry(time.Hour))
	require.NoError(t, err)
	assert.True(t, ok)
	require.NoError(t, c2.KV.SetAtomicWithRetries("rec", func(old []byte) (any, error) { return rec{N: 2}, nil }))
	var got rec
	require.NoError(t, c1.KV.Get("rec", &got))
	assert.Equal(t, 2, got.N)
	_, err = c1.KV.Set("mmi_x", 1)
	assert.Error(t, err, "pluginapi refuses the internal prefix")

	// A cluster mutex.
	m, err := cluster.NewMutex(n1, "migrate")
	require.NoError(t, err)
	m.Lock()
	m2, _ := cluster.NewMutex(n2, "migrate")
	ctx, cancel := contextWithTimeout(50 * time.Millisecond)
	defer cancel()
	assert.Error(t, m2.LockWithContext(ctx), "held by the other node")
	m.Unlock()

	// Channels and posts.
	ch := &model.Channel{TeamId: team.Id, Name: "lead-p", DisplayName: "Lead", Type: model.ChannelTypePrivate}
	require.NoError(t, c1.Channel.Create(ch))
	_, err = c1.Team.CreateMember(team.Id, ids[0])
	require.NoError(t, err)
	_, err = c1.Channel.AddMember(ch.Id, ids[0])
	require.NoError(t, err)
	post := &model.Post{UserId: ids[0], ChannelId: ch.Id, Message: "new lead"}
	require.NoError(t, c1.Post.CreatePost(post))
	assert.True(t, model.IsValidId(post.Id))
	_, err = c2.Post.GetPost(model.NewId())
	assert.ErrorIs(t, err, pluginapi.ErrNotFound)

	// A scheduled job runs.
	ran := make(chan struct{}, 1)
	job, err := cluster.Schedule(n2, "sweep", cluster.MakeWaitForInterval(time.Millisecond), func() {
		select {
		case ran <- struct{}{}:
		default:
		}
	})
	require.NoError(t, err)
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("scheduled job did not run")
	}
	require.NoError(t, job.Close())
}

func onePixelPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))))
	return buf.Bytes()
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// ---- benchmarks of the fake itself ----

func BenchmarkKVSetWithOptions(b *testing.B) {
	s := mmfake.NewServer()
	a := s.API(pluginID)
	val := []byte(`{"state":"open","v":1}`)
	for i := 0; b.Loop(); i++ {
		_, _ = a.KVSetWithOptions("k", val, model.PluginKVSetOptions{Atomic: true, OldValue: nil})
		_ = a.KVDelete("k")
	}
}

func BenchmarkCreatePost(b *testing.B) {
	s := mmfake.NewServer()
	a := s.API(pluginID)
	team := s.AddTeam("sales")
	user := s.AddUser("alice", false)
	ch, _ := a.CreateChannel(&model.Channel{TeamId: team.Id, Name: "lead-1", DisplayName: "Lead 1", Type: model.ChannelTypeOpen})
	for b.Loop() {
		p := &model.Post{UserId: user.Id, ChannelId: ch.Id, Message: "hello"}
		p.AddProp("lead_id", "L1")
		if _, appErr := a.CreatePost(p); appErr != nil {
			b.Fatal(appErr)
		}
	}
}
