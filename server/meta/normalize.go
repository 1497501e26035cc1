package meta

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pkg/errors"
)

// ErrMalformed is returned for a body that is not a Meta webhook at all.
var ErrMalformed = errors.New("malformed webhook body")

// rawWebhook mirrors Webhook but keeps items raw, so that one odd item is skipped and
// counted instead of failing the other 999 in the batch.
type rawWebhook struct {
	Object string     `json:"object"`
	Entry  []rawEntry `json:"entry"`
}

type rawEntry struct {
	ID        FlexString        `json:"id"`
	Time      FlexInt           `json:"time"`
	Messaging []json.RawMessage `json:"messaging"`
	Standby   []json.RawMessage `json:"standby"`
	Changes   []json.RawMessage `json:"changes"`
	Field     string            `json:"field"`
	Value     json.RawMessage   `json:"value"`
}

// Parse decodes and normalises a webhook body. It fails only when the body is not a
// Meta webhook envelope; items it cannot use are returned as Skips with a reason.
func Parse(body []byte) (*Batch, error) {
	var w rawWebhook
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return nil, errors.Wrap(ErrMalformed, err.Error())
	}
	if dec.More() {
		return nil, errors.Wrap(ErrMalformed, "trailing data after the JSON object")
	}
	if w.Object == "" {
		return nil, errors.Wrap(ErrMalformed, "no \"object\" field")
	}
	b := &Batch{Object: w.Object}
	var platform Platform
	switch w.Object {
	case ObjectPage:
		platform = Facebook
	case ObjectInstagram:
		platform = Instagram
	default:
		for _, e := range w.Entry {
			b.Skips = append(b.Skips, Skip{AccountID: string(e.ID), Reason: SkipUnknownObject})
		}
		return b, nil
	}
	for _, e := range w.Entry {
		n := entryNormaliser{batch: b, platform: platform, account: string(e.ID), entryTime: int64(e.Time)}
		for _, raw := range e.Messaging {
			n.messaging(raw, false)
		}
		for _, raw := range e.Standby {
			n.messaging(raw, true)
		}
		for _, raw := range e.Changes {
			var c Change
			if err := json.Unmarshal(raw, &c); err != nil {
				n.skip(SkipMalformedItem)
				continue
			}
			n.change(c.Field, c.Value)
		}
		if e.Field != "" && len(e.Value) > 0 {
			n.change(e.Field, e.Value)
		}
	}
	return b, nil
}

type entryNormaliser struct {
	batch     *Batch
	platform  Platform
	account   string
	entryTime int64
}

func (n *entryNormaliser) skip(reason string) {
	n.batch.Skips = append(n.batch.Skips, Skip{AccountID: n.account, Reason: reason})
}

func (n *entryNormaliser) emit(ev Event) {
	ev.Platform = n.platform
	ev.AccountID = n.account
	if ev.Time.IsZero() {
		ev.Time = EventTime(n.entryTime)
	}
	n.batch.Events = append(n.batch.Events, ev)
}

func (n *entryNormaliser) messaging(raw json.RawMessage, standby bool) {
	var m Messaging
	if err := json.Unmarshal(raw, &m); err != nil {
		n.skip(SkipMalformedItem)
		return
	}
	sender, recipient := "", ""
	if m.Sender != nil {
		sender = string(m.Sender.ID)
	}
	if m.Recipient != nil {
		recipient = string(m.Recipient.ID)
	}
	ts := int64(m.Timestamp)
	base := Event{Time: EventTime(ts), Standby: standby, CustomerID: sender}

	switch {
	case m.Message != nil:
		n.message(base, m.Message, sender, recipient, ts)
	case sender == "":
		// Instagram Login sends message_edit items with no sender for new messages.
		n.skip(SkipNoSender)
	case m.Postback != nil:
		ev := base
		ev.Kind = KindPostback
		ev.Postback = &PostbackInfo{Title: m.Postback.Title, Payload: m.Postback.Payload}
		ev.Referral = referralInfo(m.Postback.Referral)
		ev.NativeID = m.Postback.MID
		if ev.NativeID == "" {
			ev.NativeID = synthetic("postback", n.account, sender, ts, m.Postback.Title, m.Postback.Payload)
		}
		n.emit(ev)
	case m.Referral != nil:
		ev := base
		ev.Kind = KindReferral
		ev.Referral = referralInfo(m.Referral)
		ev.NativeID = synthetic("referral", n.account, sender, ts, m.Referral.Ref, string(m.Referral.AdID))
		n.emit(ev)
	case m.Reaction != nil:
		if m.Reaction.MID == "" {
			n.skip(SkipNoNativeID)
			return
		}
		ev := base
		ev.Kind = KindReaction
		ev.TargetID = m.Reaction.MID
		ev.Reaction = &ReactionInfo{Action: m.Reaction.Action, Reaction: m.Reaction.Reaction, Emoji: m.Reaction.Emoji}
		if ev.Reaction.Action == "" {
			ev.Reaction.Action = "react"
		}
		ev.NativeID = synthetic("reaction", n.account, m.Reaction.MID, ts, ev.Reaction.Action, m.Reaction.Reaction)
		n.emit(ev)
	case m.MessageEdit != nil:
		if m.MessageEdit.MID == "" {
			n.skip(SkipNoNativeID)
			return
		}
		ev := base
		ev.Kind = KindEdit
		ev.TargetID = m.MessageEdit.MID
		ev.Text = m.MessageEdit.Text
		ev.NumEdit = int64(m.MessageEdit.NumEdit)
		ev.NativeID = synthetic("edit", n.account, m.MessageEdit.MID, ev.NumEdit, m.MessageEdit.Text)
		n.emit(ev)
	case m.Read != nil:
		ev := base
		ev.Kind = KindRead
		ev.TargetID = m.Read.MID
		ev.Watermark = EventTime(int64(m.Read.Watermark))
		ev.NativeID = synthetic("read", n.account, sender, int64(m.Read.Watermark), m.Read.MID)
		n.emit(ev)
	case m.Delivery != nil:
		ev := base
		ev.Kind = KindDelivery
		ev.MIDs = m.Delivery.MIDs
		ev.Watermark = EventTime(int64(m.Delivery.Watermark))
		ev.NativeID = synthetic("delivery", n.account, sender, int64(m.Delivery.Watermark), strings.Join(m.Delivery.MIDs, ","))
		n.emit(ev)
	default:
		n.skip(SkipUnknownEvent)
	}
}

func (n *entryNormaliser) message(base Event, msg *Message, sender, recipient string, ts int64) {
	if msg.MID == "" {
		n.skip(SkipNoNativeID)
		return
	}
	ev := base
	switch {
	case msg.IsSelf:
		n.skip(SkipSelfMessage)
		return
	case msg.IsEcho:
		// Echoes swap sender and recipient: the customer is the recipient.
		if recipient == "" {
			n.skip(SkipNoSender)
			return
		}
		ev.Kind = KindEcho
		ev.CustomerID = recipient
		ev.NativeID = msg.MID
		ev.Text = msg.Text
		ev.Attachments = mediaRefs(msg)
		ev.Echo = &EchoInfo{AppID: string(msg.AppID), Metadata: msg.Metadata}
	case sender == "":
		n.skip(SkipNoSender)
		return
	case msg.IsDeleted:
		ev.Kind = KindUnsend
		ev.TargetID = msg.MID
		ev.NativeID = synthetic("unsend", n.account, msg.MID, 0)
	default:
		ev.Kind = KindMessage
		ev.NativeID = msg.MID
		ev.Text = msg.Text
		ev.Attachments = mediaRefs(msg)
		ev.Unsupported = msg.IsUnsupported
		if msg.QuickReply != nil {
			ev.QuickReply = msg.QuickReply.Payload
		}
		if msg.ReplyTo != nil {
			ev.ReplyToMID = msg.ReplyTo.MID
			if msg.ReplyTo.Story != nil {
				ev.StoryReply = &StoryRef{ID: string(msg.ReplyTo.Story.ID), URL: msg.ReplyTo.Story.URL}
			}
		}
		ev.Referral = referralInfo(msg.Referral)
	}
	n.emit(ev)
}

func (n *entryNormaliser) change(field string, value json.RawMessage) {
	switch {
	case n.platform == Facebook && field == "feed":
		n.feed(value)
	case n.platform == Instagram && (field == "comments" || field == "live_comments"):
		n.igComment(value, field == "live_comments")
	default:
		n.skip(SkipUnhandledField)
	}
}

func (n *entryNormaliser) feed(raw json.RawMessage) {
	var v FeedValue
	if err := json.Unmarshal(raw, &v); err != nil {
		n.skip(SkipMalformedItem)
		return
	}
	if v.Item != "comment" {
		n.skip(SkipNotAComment)
		return
	}
	author, name := string(v.SenderID), v.SenderName
	if v.From != nil {
		author, name = string(v.From.ID), v.From.Name
	}
	if v.CommentID == "" {
		n.skip(SkipNoNativeID)
		return
	}
	if author == "" {
		n.skip(SkipNoSender)
		return
	}
	// The Page's own comments (its public replies) come back through the same webhook.
	if author == n.account {
		n.skip(SkipOwnComment)
		return
	}
	info := &CommentInfo{
		PostID:   v.PostID,
		ParentID: v.ParentID,
		IsReply:  v.ParentID != "" && v.ParentID != v.PostID,
		Photo:    v.Photo,
		Verb:     v.Verb,
	}
	if v.Post != nil {
		info.Permalink = v.Post.PermalinkURL
		info.MediaType = v.Post.StatusType
	}
	ev := Event{
		CustomerID:  author,
		ContactName: name,
		Comment:     info,
		Time:        EventTime(int64(v.CreatedTime)),
	}
	switch v.Verb {
	case "add":
		ev.Kind = KindComment
		ev.NativeID = v.CommentID
		ev.Text = v.Message
		if v.Photo != "" {
			ev.Attachments = []MediaRef{{Type: MediaImage, RawType: "photo", URL: v.Photo, Storable: true}}
		}
	case "edited", "edit":
		ev.Kind = KindCommentEdit
		ev.TargetID = v.CommentID
		ev.Text = v.Message
		ev.NativeID = synthetic("comment_edit", n.account, v.CommentID, 0, v.Message)
		// created_time is not updated by an edit; the delivery time is when it happened.
		ev.Time = EventTime(n.entryTime)
	case "remove", "delete":
		ev.Kind = KindCommentRemove
		ev.TargetID = v.CommentID
		ev.NativeID = synthetic("comment_remove", n.account, v.CommentID, 0)
		ev.Time = EventTime(n.entryTime)
	case "hide", "unhide":
		ev.Kind = KindCommentHide
		ev.TargetID = v.CommentID
		ev.NativeID = synthetic("comment_"+v.Verb, n.account, v.CommentID, int64(n.entryTime))
		ev.Time = EventTime(n.entryTime)
	default:
		n.skip(SkipUnknownEvent)
		return
	}
	n.emit(ev)
}

func (n *entryNormaliser) igComment(raw json.RawMessage, live bool) {
	var v IGCommentValue
	if err := json.Unmarshal(raw, &v); err != nil {
		n.skip(SkipMalformedItem)
		return
	}
	id := string(v.ID)
	if id == "" {
		id = string(v.CommentID) // the Facebook-Login variant
	}
	if id == "" {
		n.skip(SkipNoNativeID)
		return
	}
	if v.From == nil || v.From.ID == "" {
		n.skip(SkipNoSender)
		return
	}
	if string(v.From.ID) == n.account {
		n.skip(SkipOwnComment)
		return
	}
	info := &CommentInfo{ParentID: string(v.ParentID), IsReply: v.ParentID != "", Verb: "add", Live: live}
	if v.Media != nil {
		info.PostID = string(v.Media.ID)
		info.MediaType = v.Media.MediaProductType
		info.AdID = string(v.Media.AdID)
		info.AdTitle = v.Media.AdTitle
	}
	n.emit(Event{
		Kind:            KindComment,
		CustomerID:      string(v.From.ID),
		ContactName:     v.From.Name,
		ContactUsername: v.From.Username,
		NativeID:        id,
		Text:            v.Text,
		Comment:         info,
	})
}

func referralInfo(r *Referral) *ReferralInfo {
	if r == nil {
		return nil
	}
	ri := &ReferralInfo{Source: r.Source, Type: r.Type, Ref: r.Ref, AdID: string(r.AdID)}
	if r.AdsContextData != nil {
		ri.AdTitle = r.AdsContextData.AdTitle
		ri.PostID = string(r.AdsContextData.PostID)
	}
	return ri
}

func mediaRefs(msg *Message) []MediaRef {
	var out []MediaRef
	for _, a := range msg.Attachments {
		ref := MediaRef{RawType: a.Type, Title: a.Title, URL: a.URL}
		if a.Payload != nil {
			if a.Payload.URL != "" {
				ref.URL = a.Payload.URL
			}
			if a.Payload.Title != "" {
				ref.Title = a.Payload.Title
			}
		}
		switch a.Type {
		case "image":
			ref.Type, ref.Storable = MediaImage, true
			if (a.Payload != nil && a.Payload.StickerID != "") || msg.StickerID != "" {
				ref.Type = MediaSticker
			}
		case "video":
			ref.Type, ref.Storable = MediaVideo, true
		case "audio":
			ref.Type, ref.Storable = MediaAudio, true
		case "file", "media":
			ref.Type, ref.Storable = MediaFile, true
		case "like_heart":
			ref.Type = MediaSticker
		case "story_mention":
			// Meta forbids storing or caching story-mention media.
			ref.Type = MediaStoryMention
		case "location":
			ref.Type = MediaLocation
			if a.Payload != nil && a.Payload.Coordinates != nil {
				ref.Title = fmt.Sprintf("%.5f, %.5f", a.Payload.Coordinates.Lat, a.Payload.Coordinates.Long)
			}
		case "share", "ig_post", "fallback", "reel", "ig_reel", "story", "ig_story", "template":
			ref.Type = MediaShare
		default:
			ref.Type = MediaOther
		}
		out = append(out, ref)
	}
	return out
}

// synthetic builds a deterministic native ID for events Meta gives no ID of their own,
// from fields that stay the same when Meta redelivers (never entry.time).
func synthetic(kind, account, subject string, n int64, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%s:%s:%s:%d:%s", kind, account, subject, n, hex.EncodeToString(h.Sum(nil))[:16])
}
