// Package mmfake is an in-memory fake of the Mattermost plugin API (plugin.API from
// github.com/mattermost/mattermost/server/public v0.4.4) with the semantics of a real
// server, for flow tests and benchmarks of the plugin.
//
// One Server holds the shared state of a "cluster": the plugin KV store, users, bots,
// teams, channels, members, posts, files, logs and websocket events. Server.API returns
// one *API per plugin instance ("HA node"); several nodes share one Server and may be
// driven concurrently. Every method is goroutine-safe.
//
// The *API embeds the plugin.API interface, left nil, and overrides the methods defined
// on *API in this package. Calling any other method panics with a nil-pointer
// dereference, on purpose: a test must never silently depend on behaviour the fake does
// not model.
//
// # Server behaviours reproduced
//
// References are to the project notes (/work/shared/plugin-notes.md); "pub:" is
// server/public v0.4.4, "srv:" the server source.
//
//   - KV store (notes B3; srv:store/sqlstore/plugin_store.go,
//     srv:app/platform/cluster.go:65, pub:model/plugin_kvset_options.go:18-47,
//     pub:model/plugin_key_value.go:13): KVSet and non-atomic KVSetWithOptions upsert,
//     a nil value deletes; options.IsValid runs first (Atomic false with OldValue set is
//     an error); Atomic with OldValue nil is insert-if-absent (an expired row is deleted
//     first, like the server's "DELETE ... WHERE ExpireAt != 0 AND ExpireAt < now"),
//     Atomic with OldValue is a byte-exact compare-and-swap that fails on a missing or
//     expired row, value nil with OldValue is compare-and-delete, and both nil returns
//     (false, nil). Every write sets ExpireAt = now + ExpireInSeconds*1000, or clears it
//     when ExpireInSeconds is 0, so a write without expiry clears a TTL (a negative
//     ExpireInSeconds writes an already expired row, as on the server). Keys are 1..150
//     runes. KVGet and KVList hide expired rows (ExpireAt <= now) while insert-if-absent
//     only replaces rows with ExpireAt < now, so at the exact expiry millisecond a key is
//     both invisible and taken, as on the server. KVList orders keys ascending (byte
//     order; a real Postgres orders by the database collation), starts at offset
//     page*perPage and reads 10 keys when perPage <= 0. Values cross the boundary as
//     copies, and an empty []byte arrives as nil because gob (the plugin RPC encoding)
//     drops empty slices: KVSet(k, []byte{}) deletes.
//   - RPC boundary (notes B11; pub:plugin/client_rpc_generated.go:6429-6446): arguments
//     and results are copied with a gob round trip, as the plugin RPC does. A value that
//     gob cannot encode (e.g. a post prop of an unregistered type such as
//     map[string]string) makes the call fail the way it does in production: the method
//     returns its zero values, "RPC call to X API failed" is logged to stderr and to
//     Logs (Source "rpc"). DropNextKVSet and FailNext(method, n, nil) reproduce the
//     other RPC failure mode, a call that returns zero values without being applied.
//   - Configuration (notes B1; srv:app/plugin_api.go:41,82,92): LoadPluginConfiguration
//     starts from the manifest defaults (SetPluginManifest), overlays the stored values,
//     lower-cases all keys and JSON-decodes into dest; a decode error is only logged and
//     nil is returned, like the server. GetConfig and GetPluginConfig return the
//     sanitised config: settings marked secret in the manifest read as model.FakeSetting.
//     SavePluginConfig stores the map as given (a sanitised map overwrites the secrets).
//   - Bots (notes B5; pub:plugin/api.go:1234): EnsureBotUser follows app.EnsureBot: the
//     bot id is remembered in the plugin's KV under "mmi_botid", an existing bot is
//     patched, an existing user with the username is reused, otherwise a bot is created
//     with OwnerId = plugin id. Bot users have IsBot set.
//   - Teams and channels (notes B5; srv:app/channel.go:177,196-197,1479): CreateTeam
//     creates the default channels town-square and off-topic; CreateTeamMember joins
//     both and posts "system_join_team" in town-square. CreateChannel validates with
//     Channel.IsValid, refuses a preset Id, enforces TeamSettings.MaxChannelsPerTeam
//     (open and private, not archived), and on a duplicate name in the team returns the
//     existing channel together with store.sql_channel.save_channel.exists.app_error
//     (400). The creator is not added. AddChannelMember is idempotent, requires team
//     membership (404 app.team.get_member.missing.app_error, or 400 when the user left
//     the team), refuses archived channels and posts "system_join_channel";
//     DeleteChannelMember posts "system_leave_channel" and refuses the last member of a
//     private channel. DeleteChannel archives (sets DeleteAt).
//   - Posts (notes B6; srv:app/plugin_api.go:622-629, app/post.go): CreatePost stamps
//     props.from_plugin="true" (and from_bot for bot authors), rejects a preset Id with
//     app.post.save.existing.app_error (400), requires the channel (404) and the author
//     (404), checks the thread root, sets CreateAt (unless given) and UpdateAt from the
//     clock and validates with Post.IsValid. It returns the post with the props as the
//     caller typed them, but stores a copy whose props went through JSON, as the
//     database column does: reads (GetPost, GetPostThread, ...) return an attachment
//     slice as []any and numbers as float64. Posting to an archived channel is allowed
//     on the plugin path, as on the server. UpdatePost replaces message, props, file
//     ids, IsPinned and HasReactions, bumps UpdateAt and sets EditAt when the message,
//     files or attachments change. DeletePost soft-deletes the post and its replies.
//   - Websocket events (notes B9): recorded with type custom_<pluginid>_<event>.
//   - Cluster events (notes B4; pub:plugin/api.go:1219): PublishPluginClusterEvent
//     delivers synchronously to the handlers of the other nodes of the same plugin,
//     never to the sender.
//   - Slash commands (notes B7; srv:app/plugin_commands.go:16-62): registration is per
//     node, the trigger is lower-cased and re-registering replaces the entry.
//
// # Deliberate differences
//
//   - CreatePost fails (400 mmfake.create_post.invalid_file_ids) when FileIds name a
//     file that was not uploaded to the same channel or is already attached; the server
//     silently drops such ids. Valid ids are attached (FileInfo.PostId is set).
//   - Hooks (MessageHasBeenPosted, OnConfigurationChange, ...) are not invoked; the
//     test drives the plugin's hooks itself.
//   - Permissions are approximated: HasPermissionTo is true only for system admins,
//     HasPermissionToTeam for admins and active team members, HasPermissionToChannel for
//     admins and channel members, whatever the permission.
//   - The database is not lagging: reads always see the latest write, so replica lag is
//     not simulated (use SetKVHook or FailNext to provoke retries).
//   - CreateBot does not send the owner the "add me to teams" DM, and CreateTeam and
//     the join/leave messages are the only system posts the fake writes.
//   - The RPC copies reuse one gob stream per Go type (as an RPC connection does), so a
//     copy costs microseconds; the fake's own CPU time is still not the server's.
//
// # Test controls
//
// Calls, ResetCalls and TotalCalls count every call of an overridden API method (the
// benchmark's "plugin API round trips"). FailNext, SetKVHook and DropNextKVSet inject
// faults. SetNow installs a clock used for every timestamp and every expiry.
package mmfake
