// Package intake applies normalised Meta events: it records contacts, conversations,
// messages, leads, handoffs and audit events in the store, exactly once per native ID,
// and asks the workspace (Mattermost, through the plugin layer) for the lead channel
// and its posts. It never imports the Mattermost API.
package intake

import (
	"context"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

// Post kinds, stored in the post's props so operators' tools and tests can tell them apart.
const (
	PostInbound         = "inbound"
	PostOutboundContext = "outbound_context"
	PostQueueNotice     = "queue_notice"
)

// Post is a bot post the engine wants in a channel.
type Post struct {
	ChannelID string
	Message   string
	// NativeID is stored on the post so that a resumed event can find a post it created
	// before a crash instead of creating a second one.
	NativeID string
	Kind     string
	LeadID   string
	FileIDs  []string
	// Card, when set, is rendered as the lead card with its buttons. On UpdatePost a nil
	// Card keeps the card the post already has.
	Card *Card
	// KeepMessage, on UpdatePost, leaves the post's message as it is.
	KeepMessage bool
}

// Card is the lead summary shown on the first post of a lead and on the queue notice.
type Card struct {
	LeadID          string
	ContactName     string
	ContactUsername string
	AvatarURL       string
	Platform        meta.Platform
	Source          string
	ChannelName     string
	Excerpt         string
	WindowExpiresAt time.Time
	HandoffState    string
	OwnerID         string
	// UnderReview: the lead is flagged for policy review and cannot be answered.
	UnderReview bool
	// Compact cards (the queue notice) only show the summary and a Claim button.
	Compact bool
}

// ChannelSpec describes a lead channel.
type ChannelSpec struct {
	LeadID      string
	Name        string
	DisplayName string
	Purpose     string
	Header      string
}

// Workspace is what the engine needs from Mattermost.
type Workspace interface {
	// CreateLeadChannel creates the private lead channel with the bot and the operator
	// pool as members. When a channel with that name already exists (a previous attempt
	// created it and then failed), it returns that channel and makes sure of the members.
	CreateLeadChannel(ctx context.Context, spec ChannelSpec) (string, error)
	// RestoreLeadChannel unarchives a lead channel the archive job archived.
	RestoreLeadChannel(channelID string) error
	CreatePost(p *Post) (string, error)
	UpdatePost(postID string, p *Post) error
	// FindPost looks for a post carrying nativeID created in the channel since the time.
	FindPost(channelID, nativeID string, since time.Time) (string, bool, error)
	UploadFile(channelID, name string, data []byte) (string, error)
	QueueChannelID() (string, error)
	// LeadUpdated tells connected clients that a lead changed. Best effort.
	LeadUpdated(leadID, channelID string)
}

// Profile is what the Graph API tells about a customer.
type Profile struct {
	Name       string
	Username   string
	AvatarURL  string
	ProfileURL string
}

// Profiles looks customers up in the Graph API.
type Profiles interface {
	Profile(ctx context.Context, platform meta.Platform, customerID string) (Profile, error)
}

// Download is a fetched media file.
type Download struct {
	Name        string
	ContentType string
	Data        []byte
}

// Media fetches attachment URLs (Meta's CDN links expire, so files are copied).
type Media interface {
	Download(ctx context.Context, url string) (Download, error)
}

// Logger is the structured logger the engine writes to. Never pass secrets.
type Logger interface {
	Debug(msg string, keyValuePairs ...any)
	Warn(msg string, keyValuePairs ...any)
	Error(msg string, keyValuePairs ...any)
}

// Config is the part of the plugin configuration the engine reads.
type Config struct {
	PageID             string
	InstagramAccountID string
	AppID              string
}

// Knows reports whether events for the account are ours to handle.
func (c Config) Knows(platform meta.Platform, accountID string) bool {
	switch platform {
	case meta.Facebook:
		return c.PageID != "" && accountID == c.PageID
	case meta.Instagram:
		return c.InstagramAccountID != "" && accountID == c.InstagramAccountID
	}
	return false
}
