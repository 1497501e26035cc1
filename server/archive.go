package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// restoreChannelMinVersion is the first server whose plugin API has RestoreChannel.
// On older servers the call fails silently (the RPC layer only logs), so the plugin
// does not archive there: an archived lead channel could not be restored when the
// buyer writes again.
const restoreChannelMinVersion = "11.10.0"

// canArchive reports whether this server can restore channels the plugin archives.
func (p *Plugin) canArchive() bool {
	version := p.API.GetServerVersion()
	if p.serverVersion != nil {
		version = p.serverVersion()
	}
	return versionAtLeast(version, restoreChannelMinVersion)
}

func versionAtLeast(version, min string) bool {
	parse := func(v string) [3]int {
		var out [3]int
		for i, part := range strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3) {
			n, _ := strconv.Atoi(strings.TrimFunc(part, func(r rune) bool { return r < '0' || r > '9' }))
			out[i] = n
		}
		return out
	}
	a, b := parse(version), parse(min)
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return true
}

// RestoreLeadChannel unarchives a lead channel (intake.Workspace).
func (w *workspace) RestoreLeadChannel(channelID string) error {
	if appErr := w.p.API.RestoreChannel(channelID); appErr != nil {
		return errors.Wrap(appErr, "restore lead channel")
	}
	return nil
}

// sweepArchive archives the channels of leads closed longer than the grace period.
// Mattermost caps non-archived channels per team (MaxChannelsPerTeam, 2000 by
// default), and every lead has one. Archiving keeps the whole history; the channel is
// restored when the buyer writes again. It runs as part of the cluster job.
func (p *Plugin) sweepArchive() {
	hours := p.getConfiguration().ArchiveClosedAfterHours
	if hours <= 0 {
		return
	}
	ids, err := p.store.ArchiveCandidates()
	if err != nil || len(ids) == 0 {
		return
	}
	if !p.canArchive() {
		p.archiveUnsupported.Do(func() {
			p.API.LogWarn("closed lead channels are not archived: restoring them when the buyer writes again needs Mattermost "+restoreChannelMinVersion+" or later. Raise TeamSettings.MaxChannelsPerTeam instead.", "closed_leads", len(ids))
		})
		return
	}
	grace := time.Duration(hours) * time.Hour
	now := p.now()
	for _, leadID := range ids {
		if err := p.archiveIfDue(leadID, grace, now); err != nil {
			p.API.LogWarn("could not archive a closed lead channel; the job tries again", "lead", leadID, "error", err.Error())
		}
	}
}

func (p *Plugin) archiveIfDue(leadID string, grace time.Duration, now time.Time) error {
	conv, ho, err := p.loadLead(leadID)
	if err != nil {
		return err
	}
	if ho == nil || ho.State != store.HandoffClosed || conv.ChannelID == "" || conv.ChannelArchived {
		return p.store.RemoveArchiveCandidate(leadID)
	}
	if now.Before(time.UnixMilli(ho.ClosedAt).Add(grace)) {
		return nil
	}
	if appErr := p.API.DeleteChannel(conv.ChannelID); appErr != nil {
		return errors.Wrap(appErr, "archive lead channel")
	}
	if _, err := store.Modify(p.store, store.ConversationKey(leadID), 0, func(c *store.Conversation, exists bool) (bool, error) {
		if !exists || c.ChannelArchived {
			return false, nil
		}
		c.ChannelArchived = true
		return true, nil
	}); err != nil {
		return err
	}
	// The buyer may have written between the check and the archive: then the lead is
	// open again and its channel must be too.
	if _, again, err := p.loadLead(leadID); err == nil && again != nil && again.State != store.HandoffClosed {
		if err := p.workspace.RestoreLeadChannel(conv.ChannelID); err != nil {
			return err
		}
		if _, err := store.Modify(p.store, store.ConversationKey(leadID), 0, func(c *store.Conversation, _ bool) (bool, error) {
			c.ChannelArchived = false
			return true, nil
		}); err != nil {
			return err
		}
	}
	if err := p.store.AppendAudit(leadID, store.AuditEvent{
		ID: fmt.Sprintf("archived:%d", ho.ClosedAt), At: now.UnixMilli(), Actor: store.ActorSystem,
		Action: "lead.channel_archived", Detail: fmt.Sprintf("closed for %s", grace),
	}); err != nil {
		return err
	}
	return p.store.RemoveArchiveCandidate(leadID)
}
