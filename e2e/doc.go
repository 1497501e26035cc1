// Package e2e holds the real-server end-to-end tests of the Social Inbox plugin.
//
// The tests start a Mattermost server in-process against a real PostgreSQL, upload
// the plugin bundle through the REST API and drive the plugin's public webhook and
// post actions the way Meta and operators would. Run them with `bash e2e/run.sh`
// (or `make e2e`); see README.md in this folder.
package e2e
