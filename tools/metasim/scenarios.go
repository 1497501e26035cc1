package main

import (
	"strings"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

// Well-known IDs. The default customers are the ones of shared/meta-samples, so that
// repeated sends continue the same leads; --sender random starts new ones.
const (
	defaultPSID            = "7284619053817462"  // Dana, a Messenger customer
	defaultIGSID           = "1127480693512847"  // an Instagram customer
	defaultFBCommenter     = "24571839206475318" // Rick Alvarez, commenting on the Page
	defaultIGCommenter     = "9318274650129384"  // tomvanderhoek_idaho, commenting on a reel
	defaultIGCommenterName = "tomvanderhoek_idaho"
	businessSuiteAppID     = "263902037430900" // Facebook Page Inbox / Meta Business Suite
	unknownPageID          = "102837465019283" // a Page the plugin is not connected to
	pageName               = "Treasure Valley Pools & Spas"
)

// scenarioOptions are the send flags a scenario reads.
type scenarioOptions struct {
	PageID, IGID, AppID string
	// Sender is the customer (PSID, IGSID or commenter ID), also for echoes where Meta
	// makes the customer the recipient. "" means the scenario's default, "random" a new one.
	Sender string
	// Text replaces the scenario's text where it has one.
	Text string
	// MID is the message (or comment) ID the body carries: the new message's own ID, or
	// the earlier message a reaction, edit, unsend, read or delivery refers to.
	MID string
	// MediaURL replaces the attachment or story URL.
	MediaURL string
	// MediaBase is where default media URLs point (the graph stand-in serves /media/).
	MediaBase string
	Now       time.Time
}

// built is a scenario's body plus the ID worth reusing in a follow-up send.
type built struct {
	Webhook meta.Webhook
	IDLabel string // "mid", "target mid", "comment id", "target comment id"
	ID      string
}

type scenario struct {
	Name    string
	Summary string
	build   func(o scenarioOptions) built
}

// scenarios lists every scenario `send` knows, in the order --list shows them.
func scenarios() []scenario {
	return []scenario{
		{"messenger-text", "Messenger: a customer's text message (starts or continues a lead)", messengerText},
		{"messenger-image", "Messenger: a customer sends a photo (image attachment)", messengerImage},
		{"messenger-quick-reply", "Messenger: a customer taps a quick reply (text + quick_reply payload)", messengerQuickReply},
		{"messenger-postback", "Messenger: a customer taps Get Started (postback)", messengerPostback},
		{"messenger-referral", "Messenger: a customer re-opens the thread from a Click-to-Messenger ad (referral, source ADS)", messengerReferral},
		{"messenger-reaction", "Messenger: a customer reacts \u2764 to a message (--mid: the message)", messengerReaction},
		{"messenger-edit", "Messenger: a customer edits a message (--mid: the message, --text: the new text)", messengerEdit},
		{"messenger-read", "Messenger: a customer read everything up to now (read watermark)", messengerRead},
		{"messenger-delivery", "Messenger: a message reached the customer (delivery, --mid: the message)", messengerDelivery},
		{"messenger-echo", "Messenger: echo of the plugin's own Send API message (app_id = --app-id, metadata)", messengerEcho},
		{"messenger-echo-business-suite", "Messenger: echo of a reply typed in Meta Business Suite (app_id 263902037430900)", messengerEchoBusinessSuite},
		{"instagram-text", "Instagram: a customer's direct message", instagramText},
		{"instagram-image", "Instagram: a customer sends a photo", instagramImage},
		{"instagram-story-reply", "Instagram: a customer replies to your story (text + reply_to.story)", instagramStoryReply},
		{"instagram-story-mention", "Instagram: a customer mentions you in their story (story_mention; media must not be stored)", instagramStoryMention},
		{"instagram-share", "Instagram: a customer shares a post with you (ig_post attachment)", instagramShare},
		{"instagram-unsend", "Instagram: a customer unsends a message (is_deleted, --mid: the message)", instagramUnsend},
		{"instagram-reaction", "Instagram: a customer reacts \u2764 to a message (--mid: the message)", instagramReaction},
		{"instagram-read", "Instagram: a customer saw a message (messaging_seen, --mid: the message)", instagramRead},
		{"instagram-echo", "Instagram: echo of a message the business sent (is_echo on the messages field)", instagramEcho},
		{"instagram-comment", "Instagram: a customer comments on a reel (comments field)", instagramComment},
		{"facebook-comment", "Facebook: a customer comments on a Page post (feed, verb add)", facebookComment},
		{"facebook-comment-edit", "Facebook: a customer edits a comment (feed, verb edited, --mid: the comment ID)", facebookCommentEdit},
		{"facebook-comment-remove", "Facebook: a customer deletes a comment (feed, verb remove, --mid: the comment ID)", facebookCommentRemove},
		{"facebook-page-own-comment", "Facebook: the Page's own public reply to a comment (the plugin must ignore it)", facebookPageOwnComment},
		{"standby-text", "Messenger: a text message on standby (another app, e.g. Page Inbox, owns the thread)", standbyText},
		{"batched", "Messenger: one delivery with 5 entries and 7 items (messages from 3 customers, a read, a delivery)", batched},
		{"unknown-page", "Messenger: a text message for a Page the plugin is not connected to (must be ignored)", unknownPage},
	}
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// Option helpers.

func (o scenarioOptions) customer(def string) string {
	switch o.Sender {
	case "":
		return def
	case "random":
		return newScopedID()
	}
	return o.Sender
}

func (o scenarioOptions) text(def string) string {
	if o.Text != "" {
		return o.Text
	}
	return def
}

func (o scenarioOptions) messengerMID() string {
	if o.MID != "" {
		return o.MID
	}
	return newMessengerMID()
}

func (o scenarioOptions) instagramMID() string {
	if o.MID != "" {
		return o.MID
	}
	return newInstagramMID(o.IGID)
}

func (o scenarioOptions) media(name string) string {
	if o.MediaURL != "" {
		return o.MediaURL
	}
	base := o.MediaBase
	if base == "" {
		base = "http://" + defaultGraphAddr
	}
	return strings.TrimRight(base, "/") + "/media/" + name
}

// Body helpers.

func id(s string) meta.FlexString { return meta.FlexString(s) }

// messagingEntry is an entry with messaging items; its time (ms) is when Meta sent it,
// a moment after the event.
func messagingEntry(account string, now time.Time, items ...meta.Messaging) meta.Entry {
	return meta.Entry{ID: id(account), Time: meta.FlexInt(millis(now)), Messaging: items}
}

// from is an item sent by the customer to the business.
func from(customer, business string, at time.Time) meta.Messaging {
	return meta.Messaging{
		Sender:    &meta.Party{ID: id(customer)},
		Recipient: &meta.Party{ID: id(business)},
		Timestamp: meta.FlexInt(millis(at)),
	}
}

// to is an item sent by the business to the customer (echoes).
func to(customer, business string, at time.Time) meta.Messaging {
	return meta.Messaging{
		Sender:    &meta.Party{ID: id(business)},
		Recipient: &meta.Party{ID: id(customer)},
		Timestamp: meta.FlexInt(millis(at)),
	}
}

// eventTime is when the customer acted: a moment before Meta sends the notification.
func (o scenarioOptions) eventTime() time.Time { return o.Now.Add(-312 * time.Millisecond) }

func page(entries ...meta.Entry) meta.Webhook {
	return meta.Webhook{Object: meta.ObjectPage, Entry: entries}
}

func instagram(entries ...meta.Entry) meta.Webhook {
	return meta.Webhook{Object: meta.ObjectInstagram, Entry: entries}
}

func imageAttachment(url string) []meta.Attachment {
	return []meta.Attachment{{Type: "image", Payload: &meta.AttachmentPayload{URL: url}}}
}

// inbox is one of the business's two messaging inboxes: the Facebook Page (Messenger)
// or the Instagram professional account. Their bodies differ in object, account, the
// default customer and the shape of message IDs.
type inbox struct {
	object, account, customer string
	newMID                    func() string
}

func (o scenarioOptions) messengerInbox() inbox {
	return inbox{object: meta.ObjectPage, account: o.PageID, customer: defaultPSID, newMID: o.messengerMID}
}

func (o scenarioOptions) instagramInbox() inbox {
	return inbox{object: meta.ObjectInstagram, account: o.IGID, customer: defaultIGSID, newMID: o.instagramMID}
}

// fromCustomer is an item the customer sent to the inbox.
func (in inbox) fromCustomer(o scenarioOptions) meta.Messaging {
	return from(o.customer(in.customer), in.account, o.eventTime())
}

// toCustomer is an item the business sent (echoes): Meta swaps sender and recipient.
func (in inbox) toCustomer(o scenarioOptions) meta.Messaging {
	return to(o.customer(in.customer), in.account, o.eventTime())
}

// body wraps one item in a delivery.
func (in inbox) body(o scenarioOptions, item meta.Messaging, idLabel, id string) built {
	w := meta.Webhook{Object: in.object, Entry: []meta.Entry{messagingEntry(in.account, o.Now, item)}}
	return built{Webhook: w, IDLabel: idLabel, ID: id}
}

func (in inbox) message(o scenarioOptions, msg *meta.Message) built {
	item := in.fromCustomer(o)
	item.Message = msg
	return in.body(o, item, "mid", msg.MID)
}

// image is a photo, with --text as its caption if given.
func (in inbox) image(o scenarioOptions, name string) built {
	return in.message(o, &meta.Message{MID: in.newMID(), Text: o.Text, Attachments: imageAttachment(o.media(name))})
}

// reaction is a love reaction to --mid.
func (in inbox) reaction(o scenarioOptions) built {
	target := in.newMID()
	item := in.fromCustomer(o)
	item.Reaction = &meta.Reaction{MID: target, Action: "react", Reaction: "love", Emoji: "\u2764"}
	return in.body(o, item, "target mid", target)
}

// echo is a message the business sent, seen by the app as an echo.
func (in inbox) echo(o scenarioOptions, msg *meta.Message) built {
	msg.IsEcho = true
	item := in.toCustomer(o)
	item.Message = msg
	return in.body(o, item, "mid", msg.MID)
}

// Messenger.

func messengerText(o scenarioOptions) built {
	return o.messengerInbox().message(o, &meta.Message{
		MID:  o.messengerMID(),
		Text: o.text("Hi! How much for the 6-person cedar barrel sauna installed? We're in Meridian."),
	})
}

func messengerImage(o scenarioOptions) built { return o.messengerInbox().image(o, "backyard-pad.png") }

func messengerQuickReply(o scenarioOptions) built {
	return o.messengerInbox().message(o, &meta.Message{
		MID:        o.messengerMID(),
		Text:       o.text("Get a quote"),
		QuickReply: &meta.QuickReply{Payload: "QUOTE_REQUEST"},
	})
}

func messengerPostback(o scenarioOptions) built {
	in := o.messengerInbox()
	item := in.fromCustomer(o)
	mid := o.messengerMID()
	item.Postback = &meta.Postback{MID: mid, Title: o.text("Get Started"), Payload: "GET_STARTED"}
	return in.body(o, item, "mid", mid)
}

func messengerReferral(o scenarioOptions) built {
	in := o.messengerInbox()
	item := in.fromCustomer(o)
	item.Referral = &meta.Referral{
		Source: "ADS",
		Type:   "OPEN_THREAD",
		Ref:    "spring-sauna-promo",
		AdID:   id("120210" + digits(12)),
		AdsContextData: &meta.AdsContextData{
			AdTitle:  o.text("Cedar barrel saunas \u2014 free delivery in the Treasure Valley"),
			PhotoURL: o.media("ad-sauna.png"),
			PostID:   id(o.PageID + "_" + newPostID()),
		},
	}
	return in.body(o, item, "", "")
}

func messengerReaction(o scenarioOptions) built { return o.messengerInbox().reaction(o) }

func messengerEdit(o scenarioOptions) built {
	in := o.messengerInbox()
	target := o.messengerMID()
	item := in.fromCustomer(o)
	item.MessageEdit = &meta.MessageEdit{
		MID:     target,
		Text:    o.text("Hi! How much for the 8-person cedar barrel sauna installed? We're in Meridian."),
		NumEdit: 1,
	}
	return in.body(o, item, "target mid", target)
}

func messengerRead(o scenarioOptions) built {
	in := o.messengerInbox()
	item := in.fromCustomer(o)
	item.Read = &meta.Read{Watermark: meta.FlexInt(millis(o.Now.Add(-time.Second)))}
	return in.body(o, item, "", "")
}

func messengerDelivery(o scenarioOptions) built {
	in := o.messengerInbox()
	target := o.messengerMID()
	item := in.fromCustomer(o)
	item.Delivery = &meta.Delivery{MIDs: []string{target}, Watermark: meta.FlexInt(millis(o.Now.Add(-time.Second)))}
	return in.body(o, item, "target mid", target)
}

func messengerEcho(o scenarioOptions) built {
	return o.messengerInbox().echo(o, &meta.Message{
		MID:      o.messengerMID(),
		AppID:    id(o.AppID),
		Metadata: "mm-post:" + newPostRef(),
		Text: o.text("Hi Dana! The 6-person cedar barrel sauna is $8,950 installed in Meridian " +
			"(heater, benches and delivery included). Want me to book a site check?"),
	})
}

func messengerEchoBusinessSuite(o scenarioOptions) built {
	return o.messengerInbox().echo(o, &meta.Message{
		MID:   o.messengerMID(),
		AppID: id(businessSuiteAppID),
		Text:  o.text("Hi Dana, Maria from the showroom here \u2014 we can do the site check Thursday at 10."),
	})
}

func standbyText(o scenarioOptions) built {
	b := o.messengerInbox().message(o, &meta.Message{
		MID:  o.messengerMID(),
		Text: o.text("Hi, is anyone there? I also asked through your website."),
	})
	// Another app owns the thread: the same item arrives on standby instead of messaging.
	e := &b.Webhook.Entry[0]
	e.Standby, e.Messaging = e.Messaging, nil
	return b
}

func batched(o scenarioOptions) built {
	// Items in the order the customers acted; entries a few milliseconds apart.
	t := o.eventTime().Add(-2 * time.Second)
	next := func() time.Time { t = t.Add(137 * time.Millisecond); return t }
	msg := func(customer, mid, text string) meta.Messaging {
		item := from(customer, o.PageID, next())
		item.Message = &meta.Message{MID: mid, Text: text}
		return item
	}
	a, b, c, d, e := o.customer(defaultPSID), newScopedID(), newScopedID(), newScopedID(), newScopedID()
	first := o.messengerMID()
	a1 := msg(a, first, o.text("When is the earliest install date for the 4-person hot tub?"))
	a2 := msg(a, newMessengerMID(), "We already have a 12x12 concrete pad and a 50A breaker.")
	b1 := msg(b, newMessengerMID(), "Saw your ad. Do you service Boise? Looking at a barrel sauna for the backyard.")
	c1 := msg(c, newMessengerMID(), "Price on the Tahoe 7-seat spa delivered to Caldwell?")
	c2 := from(c, o.PageID, next())
	c2.Message = &meta.Message{MID: newMessengerMID(), Attachments: imageAttachment(o.media("patio.png"))}
	read := from(d, o.PageID, next())
	read.Read = &meta.Read{Watermark: meta.FlexInt(millis(t.Add(-time.Minute)))}
	delivery := from(e, o.PageID, next())
	delivery.Delivery = &meta.Delivery{MIDs: []string{newMessengerMID()}, Watermark: meta.FlexInt(millis(t))}
	sent := o.Now
	entry := func(items ...meta.Messaging) meta.Entry {
		sent = sent.Add(2 * time.Millisecond)
		return messagingEntry(o.PageID, sent, items...)
	}
	return built{
		Webhook: page(entry(a1, a2), entry(b1), entry(c1, c2), entry(read), entry(delivery)),
		IDLabel: "mid", ID: first,
	}
}

func unknownPage(o scenarioOptions) built {
	in := o.messengerInbox()
	in.account = unknownPageID
	return in.message(o, &meta.Message{MID: o.messengerMID(), Text: o.text("Hello, do you sell pool chemicals?")})
}

// Instagram direct messages.

func instagramText(o scenarioOptions) built {
	return o.instagramInbox().message(o, &meta.Message{
		MID:  o.instagramMID(),
		Text: o.text("Do you service Boise? Looking at a 4-person hot tub for our patio."),
	})
}

func instagramImage(o scenarioOptions) built { return o.instagramInbox().image(o, "patio-corner.png") }

func instagramStoryReply(o scenarioOptions) built {
	storyID := "18" + digits(15)
	return o.instagramInbox().message(o, &meta.Message{
		MID:     o.instagramMID(),
		Text:    o.text("Is this one still in stock? \U0001F60D"),
		ReplyTo: &meta.ReplyTo{Story: &meta.Story{ID: id(storyID), URL: o.media("story-" + storyID + ".png")}},
	})
}

func instagramStoryMention(o scenarioOptions) built {
	return o.instagramInbox().message(o, &meta.Message{
		MID:         o.instagramMID(),
		Attachments: []meta.Attachment{{Type: "story_mention", Payload: &meta.AttachmentPayload{URL: o.media("story-mention.png")}}},
	})
}

func instagramShare(o scenarioOptions) built {
	return o.instagramInbox().message(o, &meta.Message{
		MID: o.instagramMID(),
		Attachments: []meta.Attachment{{Type: "ig_post", Payload: &meta.AttachmentPayload{
			URL:           o.media("shared-post.png"),
			Title:         o.text("tv_pools_spas: Swim spa install in Nampa this week \U0001F30A"),
			IGPostMediaID: newInstagramMediaID(),
		}}},
	})
}

func instagramUnsend(o scenarioOptions) built {
	b := o.instagramInbox().message(o, &meta.Message{MID: o.instagramMID(), IsDeleted: true})
	b.IDLabel = "target mid"
	return b
}

func instagramReaction(o scenarioOptions) built { return o.instagramInbox().reaction(o) }

func instagramRead(o scenarioOptions) built {
	in := o.instagramInbox()
	target := o.instagramMID()
	item := in.fromCustomer(o)
	item.Read = &meta.Read{MID: target}
	return in.body(o, item, "target mid", target)
}

func instagramEcho(o scenarioOptions) built {
	return o.instagramInbox().echo(o, &meta.Message{
		MID:  o.instagramMID(),
		Text: o.text("Yes, we do! The 4-person Catalina is $7,400 delivered to Boise. Want a site check?"),
	})
}

// Comments: entry.time and created_time are in seconds.

func instagramComment(o scenarioOptions) built {
	commentID := o.MID
	if commentID == "" {
		commentID = newInstagramCommentID()
	}
	customer := o.customer(defaultIGCommenter)
	username := defaultIGCommenterName
	if customer != defaultIGCommenter {
		username = "buyer_" + customer[max(0, len(customer)-6):]
	}
	value := meta.IGCommentValue{
		From:  &meta.Author{ID: id(customer), Username: username},
		Media: &meta.IGMedia{ID: id(newInstagramMediaID()), MediaProductType: "REELS"},
		ID:    id(commentID),
		Text:  o.text("What's the price on this exact setup installed in Eagle? \U0001F60D"),
	}
	entry := meta.Entry{ID: id(o.IGID), Time: meta.FlexInt(seconds(o.Now)), Changes: []meta.Change{change("comments", value)}}
	return built{Webhook: instagram(entry), IDLabel: "comment id", ID: commentID}
}

// feedComment builds a Page feed change about a comment.
func feedComment(o scenarioOptions, verb string, author *meta.Author, commentID, parentID, message string, created time.Time) meta.Webhook {
	postID := strings.SplitN(commentID, "_", 2)[0]
	fullPostID := o.PageID + "_" + postID
	if parentID == "" {
		parentID = fullPostID
	}
	value := meta.FeedValue{
		Item:      "comment",
		Verb:      verb,
		From:      author,
		PostID:    fullPostID,
		CommentID: commentID,
		ParentID:  parentID,
		Message:   message,
		Post: &meta.FeedPost{
			ID:              fullPostID,
			StatusType:      "added_photos",
			PermalinkURL:    "https://www.facebook.com/" + o.PageID + "/posts/pfbid0" + strings.ReplaceAll(newPostRef(), "-", "") + "l",
			PromotionStatus: "inactive",
		},
		CreatedTime: meta.FlexInt(seconds(created)),
	}
	entry := meta.Entry{ID: id(o.PageID), Time: meta.FlexInt(seconds(o.Now)), Changes: []meta.Change{change("feed", value)}}
	return page(entry)
}

func (o scenarioOptions) facebookCommentID() string {
	if o.MID != "" {
		return o.MID
	}
	return newFacebookCommentID(newPostID())
}

func (o scenarioOptions) commenter() *meta.Author {
	customer := o.customer(defaultFBCommenter)
	name := "Rick Alvarez"
	if customer != defaultFBCommenter {
		name = "Jordan M\u00fcller"
	}
	return &meta.Author{ID: id(customer), Name: name}
}

func facebookComment(o scenarioOptions) built {
	commentID := o.facebookCommentID()
	body := feedComment(o, "add", o.commenter(), commentID, "",
		o.text("Do you service Boise? Want a quote on a 14x28 fiberglass pool with an auto cover."), o.Now.Add(-3*time.Second))
	return built{Webhook: body, IDLabel: "comment id", ID: commentID}
}

func facebookCommentEdit(o scenarioOptions) built {
	commentID := o.facebookCommentID()
	// created_time is not updated by an edit: it stays the comment's creation time.
	body := feedComment(o, "edited", o.commenter(), commentID, "",
		o.text("Do you service Boise? Want a quote on a 16x32 fiberglass pool with an auto cover."), o.Now.Add(-10*time.Minute))
	return built{Webhook: body, IDLabel: "target comment id", ID: commentID}
}

func facebookCommentRemove(o scenarioOptions) built {
	commentID := o.facebookCommentID()
	body := feedComment(o, "remove", o.commenter(), commentID, "", "", o.Now.Add(-10*time.Minute))
	return built{Webhook: body, IDLabel: "target comment id", ID: commentID}
}

func facebookPageOwnComment(o scenarioOptions) built {
	postID := newPostID()
	customerComment := newFacebookCommentID(postID)
	reply := postID + "_" + digits(16)
	if o.MID != "" {
		reply = o.MID
	}
	body := feedComment(o, "add", &meta.Author{ID: id(o.PageID), Name: pageName}, reply, customerComment,
		o.text("Thanks Rick! We do service Boise \u2014 we just sent you a message with a quote."), o.Now.Add(-2*time.Second))
	return built{Webhook: body, IDLabel: "comment id", ID: reply}
}

// change wraps a comment value in a Change. The values are plain structs of strings and
// numbers, so encoding cannot fail.
func change(field string, value any) meta.Change {
	raw, err := encodeMeta(value)
	if err != nil {
		panic("encode " + field + " value: " + err.Error())
	}
	return meta.Change{Field: field, Value: raw}
}
