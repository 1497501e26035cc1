package main

import (
	"fmt"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/sla"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

const (
	alertJobEvery = time.Minute
	prefixAlert   = "alert_"
)

func (c *configuration) slaSettings() sla.Settings {
	return sla.Settings{
		UnansweredAfter:  time.Duration(c.UnansweredAlertMinutes) * time.Minute,
		WindowWarnBefore: time.Duration(c.WindowWarningMinutes) * time.Minute,
	}
}

// sweepAlerts raises due alerts for open leads. It runs as a cluster job; each alert is
// claimed with compare-and-set on the lead's alert record before it is posted, so it
// is raised once even if the job runs twice.
func (p *Plugin) sweepAlerts() {
	p.sweepArchive()
	settings := p.getConfiguration().slaSettings()
	if settings.UnansweredAfter == 0 && settings.WindowWarnBefore == 0 {
		return
	}
	leads, err := p.store.OpenLeads()
	if err != nil {
		p.API.LogWarn("the alert job could not read the open queue", "error", err.Error())
		return
	}
	now := p.now()
	for _, leadID := range leads {
		conv, ho, err := p.loadLead(leadID)
		if err != nil || conv.LeadID == "" {
			continue
		}
		var st sla.State
		if _, err := p.store.Get(prefixAlert+leadID, &st); err != nil {
			continue
		}
		for _, a := range sla.Due(conv, ho, &st, settings, now) {
			if !p.claimAlert(leadID, a) {
				continue
			}
			p.raiseAlert(conv, a)
		}
	}
}

func (p *Plugin) claimAlert(leadID string, a sla.Alert) bool {
	claimed := false
	_, err := store.Modify(p.store, prefixAlert+leadID, 0, func(st *sla.State, _ bool) (bool, error) {
		claimed = false
		if st.Fired(a) {
			return false, nil
		}
		st.V = store.RecordVersion
		st.Mark(a)
		claimed = true
		return true, nil
	})
	if err != nil {
		p.API.LogWarn("could not record an alert", "lead", leadID, "error", err.Error())
		return false
	}
	return claimed
}

func (p *Plugin) raiseAlert(conv *store.Conversation, a sla.Alert) {
	who := conv.ContactName
	var text string
	switch a.Kind {
	case sla.Unanswered:
		text = fmt.Sprintf("⏰ %s has waited %s for an answer.", who, roundDuration(a.Waiting))
	case sla.WindowClosing:
		after := "after that Meta blocks replies until they write again."
		if p.getConfiguration().EnableHumanAgentTag {
			after = "after that replies go out with the Human Agent tag, for up to 7 days."
		}
		text = fmt.Sprintf("⌛ The 24-hour reply window with %s closes in %s; %s", who, roundDuration(a.Left), after)
	}
	channelID := conv.ChannelID
	if a.OwnerID != "" {
		text = p.workspace.username(a.OwnerID) + " " + text
	} else {
		queueID, err := p.workspace.QueueChannelID()
		if err != nil {
			p.API.LogWarn("could not find the queue channel for an alert", "error", err.Error())
			return
		}
		channelID = queueID
		text += " Nobody has claimed it: ~" + conv.ChannelName
	}
	if _, appErr := p.API.CreatePost(&model.Post{
		UserId: p.botUserID, ChannelId: channelID, Message: text,
		Props: model.StringInterface{propKind: "alert_" + a.Kind, propLeadID: conv.LeadID},
	}); appErr != nil {
		p.API.LogWarn("could not post an alert", "lead", conv.LeadID, "error", appErr.Error())
	}
	if err := p.store.AppendAudit(conv.LeadID, store.AuditEvent{
		ID: fmt.Sprintf("alert:%s:%d", a.Kind, a.About), At: p.now().UnixMilli(), Actor: store.ActorSystem,
		Action: "alert." + a.Kind, After: a.OwnerID, Detail: text,
	}); err != nil {
		p.API.LogWarn("could not audit an alert", "error", err.Error())
	}
}

func roundDuration(d time.Duration) string {
	switch {
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= time.Hour:
		return fmt.Sprintf("1 hour %d minutes", int(d.Minutes())-60)
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return "a minute"
}
