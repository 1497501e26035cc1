// Package relay decides whether and how an operator's post may reach the buyer, and
// delivers accepted replies through a durable outbox. It enforces Meta's windows
// before the post exists (DESIGN invariant 6) and never sends to anyone who has not
// written first (invariant 5). It imports nothing from Mattermost.
package relay

import (
	"fmt"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// Mode is how a reply is sent.
type Mode string

// Modes.
const (
	// Blocked: the reply may not be sent; Decision.Reason says why.
	Blocked Mode = "blocked"
	// Standard: inside the 24-hour window, messaging_type RESPONSE.
	Standard Mode = "response"
	// HumanAgent: 24 hours to 7 days, messaging_type MESSAGE_TAG with tag HUMAN_AGENT.
	HumanAgent Mode = "human_agent"
	// PrivateReply: the one private reply to a comment, within 7 days of it.
	PrivateReply Mode = "private_reply"
)

// Messaging types and tags of the Send API.
const (
	MessagingResponse   = "RESPONSE"
	MessagingMessageTag = "MESSAGE_TAG"
	TagHumanAgent       = "HUMAN_AGENT"
)

// Decision is the outcome of Decide.
type Decision struct {
	Mode          Mode
	MessagingType string
	Tag           string
	// CommentID is the comment a private reply answers.
	CommentID string
	// Reason tells the operator, in plain words, why a reply is blocked and what to do.
	Reason string
	// OwnerID is set when the lead is claimed by someone else.
	OwnerID string
	// Claim is true when the lead is unclaimed: posting claims it for the author.
	Claim bool
}

// Policy is the admin's choice that affects sending.
type Policy struct {
	HumanAgentEnabled bool
}

// Decide says whether authorID may answer the lead now, and how. ho may be nil for a
// lead without a handoff record yet.
func Decide(conv *store.Conversation, ho *store.Handoff, authorID string, policy Policy, now time.Time) Decision {
	if ho != nil {
		switch {
		case ho.Reason == store.ReasonPolicyReview:
			return Decision{Mode: Blocked, Reason: "This lead is under policy review, so nothing can be sent to the buyer. A reviewer must clear it first (/social clear-review)."}
		case ho.State == store.HandoffClosed:
			return Decision{Mode: Blocked, Reason: "This lead is closed. Reopen it with /social reopen before answering; it also reopens by itself when the buyer writes again."}
		case ho.State == store.HandoffClaimed && ho.OwnerID != authorID:
			return Decision{Mode: Blocked, OwnerID: ho.OwnerID, Reason: "This lead is claimed by someone else, so your message was not sent to the buyer. Ask the owner to release or transfer it, or use /social note for an internal note."}
		}
	}
	claim := ho == nil || ho.State == store.HandoffOpen
	ms := now.UnixMilli()
	switch {
	case conv.WindowExpiresAt != 0 && ms < conv.WindowExpiresAt:
		return Decision{Mode: Standard, MessagingType: MessagingResponse, Claim: claim}
	case policy.HumanAgentEnabled && conv.HumanAgentExpiresAt != 0 && ms < conv.HumanAgentExpiresAt:
		return Decision{Mode: HumanAgent, MessagingType: MessagingMessageTag, Tag: TagHumanAgent, Claim: claim}
	case conv.PrivateReplyComment != "" && ms < conv.PrivateReplyUntil:
		return Decision{Mode: PrivateReply, CommentID: conv.PrivateReplyComment, Claim: claim}
	}
	return Decision{Mode: Blocked, Reason: windowClosedReason(conv, policy, now)}
}

func windowClosedReason(conv *store.Conversation, policy Policy, now time.Time) string {
	if conv.LastInboundAt == 0 {
		if conv.PrivateReplyComment == "" && conv.PrivateReplyUntil != 0 {
			return "This comment already got its one private reply. Meta allows nothing more until the buyer writes to the page."
		}
		return "Meta only allows one private reply to a comment within 7 days, and that time has passed. You can answer when the buyer writes to the page."
	}
	since := now.Sub(time.UnixMilli(conv.LastInboundAt)).Round(time.Minute)
	switch {
	case policy.HumanAgentEnabled:
		return fmt.Sprintf("The buyer last wrote %s ago. Meta allows replies for 7 days at most (with the Human Agent tag), so this can no longer be sent. You can answer when the buyer writes again.", human(since))
	case now.UnixMilli() < conv.HumanAgentExpiresAt:
		return fmt.Sprintf("The buyer last wrote %s ago and Meta's 24-hour reply window has closed. Replies up to 7 days need the Human Agent tag, which an admin can enable in System Console > Plugins > Social Inbox if the Meta app was approved for it.", human(since))
	}
	return fmt.Sprintf("The buyer last wrote %s ago and Meta's 24-hour reply window has closed. You can answer when the buyer writes again.", human(since))
}

func human(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= time.Hour:
		return "1 hour"
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}
