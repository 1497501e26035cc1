// Package command is the /social slash command: it parses what the operator typed,
// checks who may do it and where, calls the plugin through the narrow Leads interface,
// and renders the answer as an ephemeral message. It holds no state and knows nothing
// of the KV store; the plugin implements Leads.
package command

import (
	"fmt"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/handoff"
)

// Trigger is the slash command: /social.
const Trigger = "social"

// Sub-commands.
const (
	cmdClaim       = "claim"
	cmdRelease     = "release"
	cmdClose       = "close"
	cmdReopen      = "reopen"
	cmdTransfer    = "transfer"
	cmdNote        = "note"
	cmdStatus      = "status"
	cmdQueue       = "queue"
	cmdReview      = "review"
	cmdClearReview = "clear-review"
	cmdAudit       = "audit"
	cmdHelp        = "help"
)

// Handoff states, spelled as the handoff records spell them.
const (
	StateOpen    = "open"
	StateClaimed = "claimed"
	StateClosed  = "closed"
)

// Queue filters.
const (
	QueueAll       = "all"
	QueueMine      = "mine"
	QueueUnclaimed = "unclaimed"
)

// leadCommands must run in a lead channel: they act on that channel's lead.
var leadCommands = map[string]bool{
	cmdClaim: true, cmdRelease: true, cmdClose: true, cmdReopen: true, cmdTransfer: true,
	cmdNote: true, cmdStatus: true, cmdReview: true, cmdClearReview: true, cmdAudit: true,
}

// Messages shared by several paths.
const (
	msgFailed       = "Something went wrong; nothing was changed. Try again in a moment."
	msgNoLead       = "This lead no longer exists."
	msgLeadChannel  = "Run this in a lead channel (its name starts with fb- or ig-). Open one from the queue: `/social queue` lists the open leads with links."
	usageTransfer   = "Say who takes the lead over: `/social transfer @username`. They must be in the operator pool."
	usageNote       = "Write the note after the command: `/social note Called back, wants a quote by Friday`. Notes stay in Mattermost; the buyer never sees them."
	usageQueue      = "Use `/social queue` (all open leads), `/social queue mine` or `/social queue unclaimed`."
	maxNoteRunes    = 4000
	maxReasonRunes  = 500
	defaultQueueCap = 25
)

// Handler runs /social commands.
type Handler struct {
	leads Leads
	now   func() time.Time
	// QueueCap is how many leads /social queue shows; the rest are counted.
	QueueCap int
	// AuditCap is how many of the newest audit events /social audit shows.
	AuditCap int
}

// New returns a handler over the plugin's Leads. now is the clock (nil: time.Now).
func New(leads Leads, now func() time.Time) *Handler {
	if now == nil {
		now = time.Now
	}
	return &Handler{leads: leads, now: now, QueueCap: defaultQueueCap, AuditCap: 50}
}

// request is a parsed command line.
type request struct {
	sub  string // lower-cased sub-command, "" for none
	rest string // everything after the sub-command, trimmed, spacing kept
}

func parse(line string) request {
	line = strings.TrimSpace(line)
	// Drop "/social" (any case); a command without the slash is accepted too.
	if first, rest, _ := cut(line); strings.EqualFold(strings.TrimPrefix(first, "/"), Trigger) {
		line = rest
	}
	sub, rest, _ := cut(line)
	return request{sub: strings.ToLower(sub), rest: rest}
}

// cut splits off the first whitespace-separated word and trims the rest.
func cut(s string) (first, rest string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", false
	}
	i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	if i < 0 {
		return s, "", true
	}
	return s[:i], strings.TrimSpace(s[i:]), true
}

// Execute runs one /social command for args.UserId in args.ChannelId. The response is
// always set and ephemeral. The error, when not nil, is for the log: something broke
// and the user was told so.
func (h *Handler) Execute(args *model.CommandArgs) (*model.CommandResponse, error) {
	text, err := h.run(args)
	return &model.CommandResponse{ResponseType: model.CommandResponseTypeEphemeral, Text: text}, err
}

func (h *Handler) run(args *model.CommandArgs) (string, error) {
	req := parse(args.Command)
	switch {
	case req.sub == "" || req.sub == cmdHelp:
		return helpText(), nil
	case !leadCommands[req.sub] && req.sub != cmdQueue:
		return fmt.Sprintf("`%s` is not a /social command. Here is what it can do:\n\n%s", strings.ReplaceAll(req.sub, "`", ""), helpText()), nil
	}

	// Arguments first: a usage hint needs no lookups.
	var queueFilter, transferTo string
	switch req.sub {
	case cmdTransfer:
		name, _, _ := cut(req.rest)
		transferTo = strings.ToLower(strings.TrimPrefix(name, "@"))
		if transferTo == "" {
			return usageTransfer, nil
		}
	case cmdNote:
		if req.rest == "" {
			return usageNote, nil
		}
		if n := len([]rune(req.rest)); n > maxNoteRunes {
			return fmt.Sprintf("This note is %d characters long; keep it under %d.", n, maxNoteRunes), nil
		}
	case cmdQueue:
		queueFilter = QueueAll
		if req.rest != "" {
			queueFilter = strings.ToLower(req.rest)
		}
		if queueFilter != QueueAll && queueFilter != QueueMine && queueFilter != QueueUnclaimed {
			return usageQueue, nil
		}
	case cmdClose, cmdReview:
		if n := len([]rune(req.rest)); n > maxReasonRunes {
			return fmt.Sprintf("This reason is %d characters long; keep it under %d (use `/social note` for more).", n, maxReasonRunes), nil
		}
	}

	user, err := h.leads.User(args.UserId)
	if err != nil {
		return msgFailed, errors.Wrap(err, "look up the user")
	}
	if !user.Operator && !user.Admin {
		return fmt.Sprintf("Only members of the operator pool (the queue channel) can work leads. Ask an admin to add you to ~%s.", h.leads.QueueChannel()), nil
	}

	if req.sub == cmdQueue {
		return h.queue(user, queueFilter)
	}

	leadID, ok, err := h.leads.LeadOfChannel(args.ChannelId)
	if err != nil {
		return msgFailed, errors.Wrap(err, "find the lead of the channel")
	}
	if !ok {
		return msgLeadChannel, nil
	}

	switch req.sub {
	case cmdClaim:
		return h.transition(user, func() (Change, error) { return h.leads.Claim(leadID, user) },
			func(Change) string { return "You claimed this lead. Answer here: your posts go to the buyer." })
	case cmdRelease:
		return h.transition(user, func() (Change, error) { return h.leads.Release(leadID, user) }, func(c Change) string {
			if c.Before.OwnerID != user.ID {
				return fmt.Sprintf("You released this lead from %s. It is back in the queue for any operator to claim.", h.leads.Name(c.Before.OwnerID))
			}
			return "You released this lead. It is back in the queue for any operator to claim."
		})
	case cmdClose:
		return h.transition(user, func() (Change, error) { return h.leads.Close(leadID, user, req.rest) }, func(Change) string {
			if req.rest != "" {
				return fmt.Sprintf("Lead closed (%s). It reopens if the buyer writes again.", clean(req.rest))
			}
			return "Lead closed. It reopens if the buyer writes again."
		})
	case cmdReopen:
		return h.transition(user, func() (Change, error) { return h.leads.Reopen(leadID, user) }, func(c Change) string {
			msg := "Lead reopened: it is back in the queue, unclaimed. Claim it to answer the buyer."
			if c.After.UnderReview {
				msg += " It is still under policy review, so nothing reaches the buyer until the review is cleared."
			}
			return msg
		})
	case cmdTransfer:
		return h.transfer(user, leadID, transferTo)
	case cmdReview:
		return h.transition(user, func() (Change, error) { return h.leads.Review(leadID, user, req.rest) }, func(Change) string {
			return "This lead is now under policy review: nothing can be sent to the buyer until another operator or an admin clears it with `/social clear-review`."
		})
	case cmdClearReview:
		return h.transition(user, func() (Change, error) { return h.leads.ClearReview(leadID, user) }, func(Change) string {
			return "Policy review cleared. Answers from this channel reach the buyer again."
		})
	case cmdNote:
		if err := h.leads.AddNote(leadID, user, req.rest); err != nil {
			return h.failure(user, err)
		}
		return "Note added to the channel. The buyer does not see it.", nil
	case cmdStatus:
		st, err := h.leads.Status(leadID)
		if err != nil {
			return h.failure(user, err)
		}
		return h.renderStatus(st), nil
	case cmdAudit:
		trail, err := h.leads.AuditTrail(leadID)
		if err != nil {
			return h.failure(user, err)
		}
		return h.renderAudit(trail), nil
	}
	return helpText(), nil
}

func (h *Handler) transfer(user User, leadID, username string) (string, error) {
	to, found, err := h.leads.UserByName(username)
	if err != nil {
		return msgFailed, errors.Wrap(err, "look up the transfer target")
	}
	if !found {
		return fmt.Sprintf("There is no user @%s. Check the spelling; `/social transfer @` suggests the operators.", clean(username)), nil
	}
	if !to.Operator {
		return fmt.Sprintf("@%s is not in the operator pool, so they cannot work leads. An admin can add them to ~%s first.", to.Username, h.leads.QueueChannel()), nil
	}
	return h.transition(user, func() (Change, error) { return h.leads.Transfer(leadID, user, to) }, func(c Change) string {
		if to.ID == user.ID {
			return "You now own this lead. Answer here: your posts go to the buyer."
		}
		return fmt.Sprintf("@%s now owns this lead; they were mentioned in the channel.", to.Username)
	})
}

// transition runs a handoff change and renders its outcome.
func (h *Handler) transition(user User, do func() (Change, error), done func(Change) string) (string, error) {
	c, err := do()
	if err != nil {
		return h.failure(user, err)
	}
	return done(c), nil
}

// failure turns an error from Leads into what the operator reads. Refusals are
// answers, not failures, so only unexpected errors are returned for the log.
func (h *Handler) failure(user User, err error) (string, error) {
	var se *handoff.StateError
	switch {
	case errors.As(err, &se):
		if se.State == StateClaimed && se.OwnerID != "" && se.OwnerID != user.ID {
			return se.Reason + " Owner: " + h.leads.Name(se.OwnerID) + ".", nil
		}
		return se.Reason, nil
	case errors.Is(err, handoff.ErrNoLead):
		return msgNoLead, nil
	case errors.Is(err, handoff.ErrNoTarget):
		return usageTransfer, nil
	}
	return msgFailed, err
}

func helpText() string {
	return strings.Join([]string{
		"#### /social: work Facebook and Instagram leads",
		"In a lead channel (its name starts with fb- or ig-):",
		"- `/social claim`: take the lead; your posts in the channel go to the buyer",
		"- `/social release`: give the lead back to the queue",
		"- `/social transfer @username`: hand the lead to another operator",
		"- `/social close [reason]`: close the lead; it reopens when the buyer writes again",
		"- `/social reopen`: reopen a closed lead",
		"- `/social note <text>`: post an internal note; the buyer never sees it",
		"- `/social review [reason]`: hold the lead for a policy review; nothing reaches the buyer until it is cleared",
		"- `/social clear-review`: clear the policy review (another operator or an admin, not the owner)",
		"- `/social status`: contact, source, owner, response window and whether the buyer waits for an answer",
		"- `/social audit`: the lead's audit trail, newest last",
		"",
		"Anywhere:",
		"- `/social queue [mine|unclaimed|all]`: open leads, the ones whose reply window closes soonest first",
		"- `/social help`: this list",
	}, "\n")
}
