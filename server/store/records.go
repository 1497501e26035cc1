package store

import "time"

// RecordVersion is written into every record. Readers ignore unknown fields, so nodes
// running different plugin versions during a rolling upgrade can share records.
const RecordVersion = 1

// Lease marks a record as being worked on by one node until a deadline, so a retry on
// another node neither doubles the work nor waits forever for a node that died.
type Lease struct {
	Owner string `json:"owner,omitempty"`
	Until int64  `json:"until,omitempty"` // Unix ms
}

// HeldBy reports whether the lease is active and owned by someone other than owner.
func (l Lease) HeldBy(owner string, now time.Time) bool {
	return l.Owner != "" && l.Owner != owner && l.Until > now.UnixMilli()
}

// Contact is a customer, scoped to the Page or Instagram account they wrote to.
type Contact struct {
	V                int    `json:"v"`
	Platform         string `json:"platform"`
	AccountID        string `json:"account_id"`
	CustomerID       string `json:"customer_id"`
	Name             string `json:"name,omitempty"`
	Username         string `json:"username,omitempty"`
	ProfileURL       string `json:"profile_url,omitempty"`
	AvatarURL        string `json:"avatar_url,omitempty"`
	ProfileFetchedAt int64  `json:"profile_fetched_at,omitempty"`
	ProfileFailedAt  int64  `json:"profile_failed_at,omitempty"`
	ProfileError     string `json:"profile_error,omitempty"`
	FirstSeenAt      int64  `json:"first_seen_at"`
	LastSeenAt       int64  `json:"last_seen_at"`
}

// DisplayName is the best name known for the contact.
func (c *Contact) DisplayName() string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Username != "":
		return "@" + c.Username
	}
	return FallbackName(c.Platform, c.CustomerID)
}

// FallbackName is a readable name for a customer whose profile cannot be read.
func FallbackName(platform, customerID string) string {
	suffix := customerID
	if len(suffix) > 4 {
		suffix = suffix[len(suffix)-4:]
	}
	if platform == "instagram" {
		return "Instagram user …" + suffix
	}
	return "Messenger user …" + suffix
}

// Source says where a lead came from.
type Source struct {
	Kind      string `json:"kind"` // dm, comment, ad, link
	PostID    string `json:"post_id,omitempty"`
	CommentID string `json:"comment_id,omitempty"`
	Permalink string `json:"permalink,omitempty"`
	MediaType string `json:"media_type,omitempty"`
	AdID      string `json:"ad_id,omitempty"`
	AdTitle   string `json:"ad_title,omitempty"`
	Ref       string `json:"ref,omitempty"`
}

// Source kinds.
const (
	SourceDM      = "dm"
	SourceComment = "comment"
	SourceAd      = "ad"
	SourceLink    = "link"
)

// PostSlot tracks one Mattermost post that must exist exactly once. Since is written
// before the post is created, so a retry that finds Since set but no PostID looks for
// the post before creating another.
type PostSlot struct {
	PostID string `json:"post_id,omitempty"`
	Since  int64  `json:"since,omitempty"`
}

// Conversation is the thread between the business account and one customer; a lead
// has exactly one.
type Conversation struct {
	V              int    `json:"v"`
	LeadID         string `json:"lead_id"`
	Platform       string `json:"platform"`
	AccountID      string `json:"account_id"`
	CustomerID     string `json:"customer_id"`
	ContactName    string `json:"contact_name"`
	ContactUser    string `json:"contact_username,omitempty"`
	AvatarURL      string `json:"avatar_url,omitempty"`
	ContactRefresh int64  `json:"contact_refresh_at,omitempty"`
	Source         Source `json:"source"`

	ChannelID   string `json:"channel_id,omitempty"`
	ChannelName string `json:"channel_name"`
	// ChannelArchived: the lead was closed long enough for its channel to be archived;
	// a new buyer message restores it.
	ChannelArchived bool  `json:"channel_archived,omitempty"`
	ChannelLease    Lease `json:"channel_lease"`
	// FirstNativeID is the event whose post carries the lead card and which posts the
	// queue notice.
	FirstNativeID string   `json:"first_native_id"`
	Card          PostSlot `json:"card"`
	QueueNotice   PostSlot `json:"queue_notice"`

	// Response windows, Unix ms, anchored on the customer's own actions only.
	LastInboundAt       int64  `json:"last_inbound_at,omitempty"`
	WindowOpenedBy      string `json:"window_opened_by,omitempty"`
	WindowExpiresAt     int64  `json:"window_expires_at,omitempty"`
	HumanAgentExpiresAt int64  `json:"human_agent_expires_at,omitempty"`
	PrivateReplyComment string `json:"private_reply_comment_id,omitempty"`
	PrivateReplyUntil   int64  `json:"private_reply_until,omitempty"`
	LastCustomerAt      int64  `json:"last_customer_at,omitempty"`
	LastExcerpt         string `json:"last_excerpt,omitempty"`
	LastExcerptID       string `json:"last_excerpt_id,omitempty"`
	// CardWindow is the window expiry the lead card was last rendered with.
	CardWindow      int64 `json:"card_window,omitempty"`
	LastOutboundAt  int64 `json:"last_outbound_at,omitempty"`
	FirstResponseAt int64 `json:"first_response_at,omitempty"`
	CustomerReadAt  int64 `json:"customer_read_at,omitempty"`
	DeliveredAt     int64 `json:"delivered_at,omitempty"`
	InboundCount    int   `json:"inbound_count"`

	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
}

// Attachment is a stored attachment of a message.
type Attachment struct {
	Type   string `json:"type"`
	Title  string `json:"title,omitempty"`
	URL    string `json:"url,omitempty"` // kept only for links, never for stored media
	FileID string `json:"file_id,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Message directions.
const (
	Inbound  = "inbound"
	Outbound = "outbound"
)

// Message states.
const (
	MessageReceived = "received"
	MessageDone     = "done"
	MessageSkipped  = "skipped"
)

// Message is one native event that has (or will have) a post: a message, comment,
// postback, referral, or an echo of a reply sent from another tool.
type Message struct {
	V           int          `json:"v"`
	NativeID    string       `json:"native_id"`
	LeadID      string       `json:"lead_id"`
	Kind        string       `json:"kind"`
	Direction   string       `json:"direction"`
	State       string       `json:"state"`
	Lease       Lease        `json:"lease"`
	Event       []byte       `json:"event,omitempty"` // the normalised event, for resuming
	Text        string       `json:"text,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	FilesDone   bool         `json:"files_done,omitempty"`
	Post        PostSlot     `json:"post"`
	ChannelID   string       `json:"channel_id,omitempty"`
	NumEdit     int64        `json:"num_edit,omitempty"`
	Edited      bool         `json:"edited,omitempty"`
	Deleted     bool         `json:"deleted,omitempty"`
	Hidden      bool         `json:"hidden,omitempty"`
	Reactions   []string     `json:"reactions,omitempty"`
	// WindowAt is the standard window expiry right after this message (Unix ms).
	WindowAt   int64  `json:"window_at,omitempty"`
	Standby    bool   `json:"standby,omitempty"`
	SentAt     int64  `json:"sent_at"`
	ReceivedAt int64  `json:"received_at"`
	Skip       string `json:"skip,omitempty"`
}

// Lead stages.
const StageNew = "new"

// Lead is the sales view of a conversation.
type Lead struct {
	V         int      `json:"v"`
	ID        string   `json:"id"`
	Platform  string   `json:"platform"`
	Source    Source   `json:"source"`
	Stage     string   `json:"stage"`
	Tags      []string `json:"tags,omitempty"`
	Intents   []string `json:"intents,omitempty"`
	Value     float64  `json:"value,omitempty"`
	CreatedAt int64    `json:"created_at"`
	UpdatedAt int64    `json:"updated_at"`
}

// Handoff reasons.
const (
	ReasonFollowUp     = "social_dm_follow_up_needed"
	ReasonPolicyReview = "social_dm_policy_review"
)

// Handoff states.
const (
	HandoffOpen    = "open"
	HandoffClaimed = "claimed"
	HandoffClosed  = "closed"
)

// Handoff records who works a lead and where it stands.
type Handoff struct {
	V           int    `json:"v"`
	LeadID      string `json:"lead_id"`
	Reason      string `json:"reason"`
	State       string `json:"state"`
	OwnerID     string `json:"owner_id,omitempty"`
	OpenedAt    int64  `json:"opened_at"`
	ClaimedAt   int64  `json:"claimed_at,omitempty"`
	ClosedAt    int64  `json:"closed_at,omitempty"`
	CloseReason string `json:"close_reason,omitempty"`
	ClosedBy    string `json:"closed_by,omitempty"`
	Reopens     int    `json:"reopens,omitempty"`
	// LastReopenBy is the native ID of the message that last reopened the handoff, so a
	// resumed message does not reopen twice.
	LastReopenBy string `json:"last_reopen_by,omitempty"`
	UpdatedAt    int64  `json:"updated_at"`
}

// Actor types of audit events.
const (
	ActorWebhook = "webhook"
	ActorUser    = "user"
	ActorSystem  = "system"
)

// AuditEvent is one append-only audit record.
type AuditEvent struct {
	ID      string `json:"id"`
	At      int64  `json:"at"`
	Actor   string `json:"actor"`
	ActorID string `json:"actor_id,omitempty"`
	Action  string `json:"action"`
	Subject string `json:"subject,omitempty"`
	Before  string `json:"before,omitempty"`
	After   string `json:"after,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// AuditHead is the newest, still growing chunk of a lead's audit trail.
type AuditHead struct {
	V      int          `json:"v"`
	Chunk  int          `json:"chunk"`
	Events []AuditEvent `json:"events"`
	// Recent holds the IDs of the chunk sealed last, so a retried event is recognised
	// right after a rollover too.
	Recent []string `json:"recent,omitempty"`
}

// OpenIndex is one shard of the list of open leads.
type OpenIndex struct {
	V     int      `json:"v"`
	Leads []string `json:"leads"`
}

// Pending holds events that were acknowledged to Meta but not yet applied.
type Pending struct {
	V          int      `json:"v"`
	ID         string   `json:"id"`
	Events     [][]byte `json:"events"`
	ReceivedAt int64    `json:"received_at"`
	Attempts   int      `json:"attempts"`
	LastError  string   `json:"last_error,omitempty"`
}

// PendingIndex lists the pending batches.
type PendingIndex struct {
	V   int      `json:"v"`
	IDs []string `json:"ids"`
}

// IntakeStats counts what the webhook received but did not turn into posts.
type IntakeStats struct {
	V       int              `json:"v"`
	Skipped map[string]int64 `json:"skipped"`
	Updated int64            `json:"updated"`
}
