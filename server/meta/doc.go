// Package meta holds Meta's webhook payload types, the signature check and the
// normaliser that turns a webhook body into a flat list of platform-neutral events.
//
// It follows the fact sheet in shared/meta-platform.md: branch on which array an
// entry carries (messaging, standby, changes), never on `object`; loop over every
// entry and every item; decode IDs and timestamps tolerantly (strings or numbers,
// seconds or milliseconds). It imports nothing from Mattermost.
package meta
