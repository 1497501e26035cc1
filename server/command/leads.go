package command

import "time"

//go:generate go tool mockgen -source=leads.go -destination=mocks/mock_leads.go -package=mocks

// Leads is everything the /social command needs from the plugin: who the user is, which
// lead a channel belongs to, the handoff transitions, notes, and read-only views of
// leads, as plain values. The plugin implements it over the KV store and the Mattermost
// API; tests use the generated mock.
//
// Transitions return the errors of package handoff unchanged (*handoff.StateError,
// handoff.ErrNoLead, handoff.ErrNoTarget), which the command turns into sentences; any
// other error means something broke and nothing is known to have changed.
type Leads interface {
	// User describes a user by ID. An unknown ID is an error.
	User(userID string) (User, error)
	// UserByName finds a user by username (without the @); found is false when no
	// such user exists.
	UserByName(username string) (user User, found bool, err error)
	// Name is how a message names a user: "@name", or a description when the user is
	// gone. It never fails.
	Name(userID string) string
	// QueueChannel is the name of the queue channel, whose members are the operator pool.
	QueueChannel() string

	// LeadOfChannel returns the lead whose channel this is; ok is false for any other
	// channel.
	LeadOfChannel(channelID string) (leadID string, ok bool, err error)

	Claim(leadID string, by User) (Change, error)
	Release(leadID string, by User) (Change, error)
	// Transfer makes to the owner; the command has checked that to is an operator.
	Transfer(leadID string, by User, to User) (Change, error)
	// Close closes the lead; reason may be empty.
	Close(leadID string, by User, reason string) (Change, error)
	Reopen(leadID string, by User) (Change, error)
	// Review holds the lead for a policy review; reason may be empty.
	Review(leadID string, by User, reason string) (Change, error)
	ClearReview(leadID string, by User) (Change, error)
	// AddNote posts an internal note in the lead channel. Notes are never sent to the
	// buyer.
	AddNote(leadID string, by User, text string) error

	// Status is the current picture of one lead.
	Status(leadID string) (Status, error)
	// OpenLeads lists the leads in the open queue, in no particular order.
	OpenLeads() ([]Summary, error)
	// AuditTrail returns the lead's audit events, oldest first.
	AuditTrail(leadID string) ([]AuditEntry, error)
}

// User is a Mattermost user as the command sees them.
type User struct {
	ID       string
	Username string
	// Operator: an active, human member of the operator pool (the queue channel).
	Operator bool
	// Admin: a system admin.
	Admin bool
}

// Handoff is where a lead stands: who works it and whether it is held for review.
type Handoff struct {
	State       string // open, claimed or closed
	OwnerID     string
	UnderReview bool
}

// Change is a handoff transition that happened.
type Change struct {
	Before Handoff
	After  Handoff
}

// Window holds the facts that decide whether, and until when, the page may answer.
// Zero times mean "never" or "not applicable".
type Window struct {
	// LastCustomerAt is the buyer's last message or comment.
	LastCustomerAt time.Time
	// LastReplyAt is the page's last answer, from Mattermost or another tool.
	LastReplyAt time.Time
	// StandardUntil ends Meta's 24-hour messaging window.
	StandardUntil time.Time
	// HumanAgentUntil ends the 7-day window in which replies need the HUMAN_AGENT tag.
	HumanAgentUntil time.Time
	// HumanAgentEnabled: an admin enabled the Human Agent tag.
	HumanAgentEnabled bool
	// PrivateReplyUntil ends the time for the one private reply to a comment; zero
	// when there is no unused private reply.
	PrivateReplyUntil time.Time
}

// Status is the current picture of a lead.
type Status struct {
	LeadID          string
	ChannelName     string
	Contact         string // the buyer's display name
	ContactUsername string // the buyer's Instagram username, if any
	Platform        string // Messenger or Instagram
	Source          string // where the lead came from, in words (may hold a markdown link)
	Handoff         Handoff
	// ReviewReason is why the lead was put under review, when it is and one was given.
	ReviewReason string
	OpenedAt     time.Time
	ClaimedAt    time.Time
	ClosedAt     time.Time
	ClosedBy     string // user ID
	CloseReason  string
	Reopens      int
	Window       Window
}

// Summary is one lead in the queue.
type Summary struct {
	LeadID      string
	ChannelName string
	Contact     string
	Platform    string
	Handoff     Handoff
	Window      Window
}

// AuditEntry is one event of a lead's audit trail.
type AuditEntry struct {
	At      time.Time
	Actor   string // user, webhook or system
	ActorID string
	Action  string
	Before  string
	After   string
	Detail  string
}
