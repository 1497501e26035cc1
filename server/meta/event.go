package meta

import "time"

// Platform is where a lead talks to the business.
type Platform string

// Platforms. Facebook covers Messenger DMs and Page feed comments.
const (
	Facebook  Platform = "facebook"
	Instagram Platform = "instagram"
)

// Label is the product name an operator knows the platform by.
func (p Platform) Label() string {
	if p == Instagram {
		return "Instagram"
	}
	return "Messenger"
}

// Kind says what an Event is.
type Kind string

// Event kinds. Message, Postback, Referral and Comment are customer actions that start
// or continue a lead and open or refresh the response window.
const (
	KindMessage       Kind = "message"
	KindPostback      Kind = "postback"
	KindReferral      Kind = "referral"
	KindComment       Kind = "comment"
	KindEcho          Kind = "echo"
	KindReaction      Kind = "reaction"
	KindEdit          Kind = "edit"
	KindUnsend        Kind = "unsend"
	KindRead          Kind = "read"
	KindDelivery      Kind = "delivery"
	KindCommentEdit   Kind = "comment_edit"
	KindCommentRemove Kind = "comment_remove"
	KindCommentHide   Kind = "comment_hide"
)

// Inbound reports whether the event is a customer's new message or comment that gets its
// own post in the lead channel.
func (k Kind) Inbound() bool {
	switch k {
	case KindMessage, KindPostback, KindReferral, KindComment:
		return true
	}
	return false
}

// Event is one normalised webhook item.
type Event struct {
	Kind     Kind
	Platform Platform
	// AccountID is the Facebook Page ID or the Instagram professional account ID (entry.id).
	AccountID string
	// CustomerID is the buyer's page-scoped ID (PSID, IGSID, or commenter ID), also for
	// echoes, where Meta swaps sender and recipient.
	CustomerID string
	// NativeID identifies the event for deduplication: the mid, the comment ID, or a
	// deterministic ID built from the event's own fields where Meta gives none.
	NativeID string
	// TargetID is the message or comment an edit, reaction, unsend or read refers to.
	TargetID string
	Time     time.Time
	Standby  bool

	Text        string
	Attachments []MediaRef
	QuickReply  string
	ReplyToMID  string
	StoryReply  *StoryRef
	Referral    *ReferralInfo
	Postback    *PostbackInfo
	Reaction    *ReactionInfo
	Comment     *CommentInfo
	Echo        *EchoInfo
	NumEdit     int64
	Watermark   time.Time
	MIDs        []string
	Unsupported bool
	// Contact hints carried by the payload itself (comments carry a name or username).
	ContactName     string
	ContactUsername string
}

// MediaType classifies an attachment.
type MediaType string

// Attachment kinds after normalisation.
const (
	MediaImage        MediaType = "image"
	MediaVideo        MediaType = "video"
	MediaAudio        MediaType = "audio"
	MediaFile         MediaType = "file"
	MediaSticker      MediaType = "sticker"
	MediaShare        MediaType = "share"
	MediaStoryMention MediaType = "story_mention"
	MediaLocation     MediaType = "location"
	MediaOther        MediaType = "other"
)

// MediaRef is an attachment on an inbound message.
type MediaRef struct {
	Type MediaType
	// RawType is Meta's own type string (ig_reel, fallback, like_heart, ...).
	RawType string
	URL     string
	Title   string
	// Storable is false where Meta forbids keeping the media (story mentions) or where
	// the URL is a link rather than a file (shares, locations).
	Storable bool
}

// StoryRef is the Instagram story a message answers.
type StoryRef struct {
	ID  string
	URL string
}

// ReferralInfo says how the buyer arrived: an ad, an m.me / ig.me link, a QR code.
type ReferralInfo struct {
	Source  string
	Type    string
	Ref     string
	AdID    string
	AdTitle string
	PostID  string
}

// PostbackInfo is a tapped button.
type PostbackInfo struct {
	Title   string
	Payload string
}

// ReactionInfo is a reaction or its removal.
type ReactionInfo struct {
	Action   string // react or unreact
	Reaction string
	Emoji    string
}

// CommentInfo describes a comment on a post or media.
type CommentInfo struct {
	PostID    string // Facebook post ID or Instagram media ID
	ParentID  string
	IsReply   bool
	Permalink string
	MediaType string
	AdID      string
	AdTitle   string
	Photo     string
	Verb      string
	Live      bool
}

// EchoInfo is what Meta tells about a message the business sent.
type EchoInfo struct {
	AppID    string
	Metadata string
}

// Skip is an item the normaliser read but that is not an event for the plugin.
type Skip struct {
	AccountID string
	Reason    string
}

// Skip reasons, named so they can be counted.
const (
	SkipOwnComment     = "own_comment"
	SkipSelfMessage    = "self_message"
	SkipNoSender       = "no_sender"
	SkipUnknownEvent   = "unknown_event"
	SkipUnhandledField = "unhandled_field"
	SkipNotAComment    = "feed_item_not_comment"
	SkipMalformedItem  = "malformed_item"
	SkipUnknownAccount = "unknown_account"
	SkipNoNativeID     = "no_native_id"
	SkipUnknownObject  = "unknown_object"
)

// Batch is a parsed webhook body.
type Batch struct {
	Object string
	Events []Event
	Skips  []Skip
}
