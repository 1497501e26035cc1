package meta

import "encoding/json"

// Objects a webhook body can be about.
const (
	ObjectPage      = "page"
	ObjectInstagram = "instagram"
)

// Webhook is the body of one webhook delivery. It can carry up to 1000 updates spread
// over many entries.
type Webhook struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one entry of a delivery. Exactly one of Messaging, Standby or Changes is
// usually present; Field/Value appear directly on the entry in one Instagram-Login
// documentation variant.
type Entry struct {
	ID        FlexString      `json:"id"`
	Time      FlexInt         `json:"time"`
	Messaging []Messaging     `json:"messaging,omitempty"`
	Standby   []Messaging     `json:"standby,omitempty"`
	Changes   []Change        `json:"changes,omitempty"`
	Field     string          `json:"field,omitempty"`
	Value     json.RawMessage `json:"value,omitempty"`
}

// Party is a sender or recipient.
type Party struct {
	ID FlexString `json:"id"`
}

// Messaging is one messaging (or standby) item.
type Messaging struct {
	Sender      *Party       `json:"sender,omitempty"`
	Recipient   *Party       `json:"recipient,omitempty"`
	Timestamp   FlexInt      `json:"timestamp"`
	Message     *Message     `json:"message,omitempty"`
	Postback    *Postback    `json:"postback,omitempty"`
	Referral    *Referral    `json:"referral,omitempty"`
	Reaction    *Reaction    `json:"reaction,omitempty"`
	MessageEdit *MessageEdit `json:"message_edit,omitempty"`
	Read        *Read        `json:"read,omitempty"`
	Delivery    *Delivery    `json:"delivery,omitempty"`
}

// Message is a message, an echo (IsEcho) or an Instagram unsend (IsDeleted).
type Message struct {
	MID           string       `json:"mid"`
	Text          string       `json:"text,omitempty"`
	Attachments   []Attachment `json:"attachments,omitempty"`
	QuickReply    *QuickReply  `json:"quick_reply,omitempty"`
	ReplyTo       *ReplyTo     `json:"reply_to,omitempty"`
	Referral      *Referral    `json:"referral,omitempty"`
	IsEcho        bool         `json:"is_echo,omitempty"`
	IsDeleted     bool         `json:"is_deleted,omitempty"`
	IsSelf        bool         `json:"is_self,omitempty"`
	IsUnsupported bool         `json:"is_unsupported,omitempty"`
	AppID         FlexString   `json:"app_id,omitempty"`
	Metadata      string       `json:"metadata,omitempty"`
	StickerID     FlexString   `json:"sticker_id,omitempty"`
}

// Attachment is one message attachment.
type Attachment struct {
	Type    string             `json:"type"`
	Payload *AttachmentPayload `json:"payload,omitempty"`
	// Title and URL appear at the top level on Messenger "fallback" (link share) attachments.
	Title string `json:"title,omitempty"`
	URL   string `json:"url,omitempty"`
}

// AttachmentPayload is the payload of an attachment; which fields are set depends on
// the type.
type AttachmentPayload struct {
	URL           string       `json:"url,omitempty"`
	Title         string       `json:"title,omitempty"`
	StickerID     FlexString   `json:"sticker_id,omitempty"`
	IGPostMediaID string       `json:"ig_post_media_id,omitempty"`
	ReelVideoID   FlexString   `json:"reel_video_id,omitempty"`
	Coordinates   *Coordinates `json:"coordinates,omitempty"`
}

// Coordinates of a location attachment.
type Coordinates struct {
	Lat  float64 `json:"lat"`
	Long float64 `json:"long"`
}

// QuickReply is the payload of a tapped quick reply.
type QuickReply struct {
	Payload string `json:"payload"`
}

// ReplyTo points at the message or Instagram story a message answers.
type ReplyTo struct {
	MID   string `json:"mid,omitempty"`
	Story *Story `json:"story,omitempty"`
}

// Story is an Instagram story reference.
type Story struct {
	URL string     `json:"url,omitempty"`
	ID  FlexString `json:"id,omitempty"`
}

// Postback is a tapped button (Get Started, persistent menu, ice breaker, template).
type Postback struct {
	MID      string    `json:"mid,omitempty"`
	Title    string    `json:"title,omitempty"`
	Payload  string    `json:"payload,omitempty"`
	Referral *Referral `json:"referral,omitempty"`
}

// Referral says how a person reached the thread: an ad, an m.me or ig.me link, a QR code.
type Referral struct {
	Ref            string          `json:"ref,omitempty"`
	Source         string          `json:"source,omitempty"`
	Type           string          `json:"type,omitempty"`
	AdID           FlexString      `json:"ad_id,omitempty"`
	AdsContextData *AdsContextData `json:"ads_context_data,omitempty"`
}

// AdsContextData describes the ad behind a Click-to-Messenger/Direct referral.
type AdsContextData struct {
	AdTitle   string     `json:"ad_title,omitempty"`
	PhotoURL  string     `json:"photo_url,omitempty"`
	VideoURL  string     `json:"video_url,omitempty"`
	PostID    FlexString `json:"post_id,omitempty"`
	ProductID FlexString `json:"product_id,omitempty"`
}

// Reaction to a message. An unreact carries only MID and Action.
type Reaction struct {
	MID      string `json:"mid"`
	Action   string `json:"action"`
	Reaction string `json:"reaction,omitempty"`
	Emoji    string `json:"emoji,omitempty"`
}

// MessageEdit is an edit of an earlier message.
type MessageEdit struct {
	MID     string  `json:"mid"`
	Text    string  `json:"text"`
	NumEdit FlexInt `json:"num_edit"`
}

// Read is a read receipt: a watermark on Messenger, a mid on Instagram.
type Read struct {
	Watermark FlexInt `json:"watermark,omitempty"`
	MID       string  `json:"mid,omitempty"`
}

// Delivery is a Messenger delivery receipt.
type Delivery struct {
	MIDs      []string `json:"mids,omitempty"`
	Watermark FlexInt  `json:"watermark"`
}

// Change is one item of entry.changes (feed, comments, live_comments, mentions).
type Change struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// Author of a comment.
type Author struct {
	ID       FlexString `json:"id"`
	Name     string     `json:"name,omitempty"`
	Username string     `json:"username,omitempty"`
}

// FeedValue is the value of a Page `feed` change.
type FeedValue struct {
	Item        string     `json:"item"`
	Verb        string     `json:"verb"`
	From        *Author    `json:"from,omitempty"`
	SenderID    FlexString `json:"sender_id,omitempty"`
	SenderName  string     `json:"sender_name,omitempty"`
	PostID      string     `json:"post_id,omitempty"`
	CommentID   string     `json:"comment_id,omitempty"`
	ParentID    string     `json:"parent_id,omitempty"`
	Message     string     `json:"message,omitempty"`
	CreatedTime FlexInt    `json:"created_time,omitempty"`
	Photo       string     `json:"photo,omitempty"`
	Post        *FeedPost  `json:"post,omitempty"`
}

// FeedPost describes the post a feed comment belongs to.
type FeedPost struct {
	ID              string `json:"id,omitempty"`
	StatusType      string `json:"status_type,omitempty"`
	PermalinkURL    string `json:"permalink_url,omitempty"`
	PromotionStatus string `json:"promotion_status,omitempty"`
}

// IGCommentValue is the value of an Instagram `comments` or `live_comments` change.
type IGCommentValue struct {
	From      *Author    `json:"from,omitempty"`
	Media     *IGMedia   `json:"media,omitempty"`
	ID        FlexString `json:"id,omitempty"`
	CommentID FlexString `json:"comment_id,omitempty"`
	ParentID  FlexString `json:"parent_id,omitempty"`
	Text      string     `json:"text,omitempty"`
}

// IGMedia is the media an Instagram comment is on.
type IGMedia struct {
	ID               FlexString `json:"id"`
	MediaProductType string     `json:"media_product_type,omitempty"`
	AdID             FlexString `json:"ad_id,omitempty"`
	AdTitle          string     `json:"ad_title,omitempty"`
	OriginalMediaID  FlexString `json:"original_media_id,omitempty"`
}
