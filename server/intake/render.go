package intake

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// mentionPattern finds @mentions in buyer text. A buyer writing "@channel" or a
// colleague's username must not notify anyone in Mattermost.
var mentionPattern = regexp.MustCompile(`(^|[^\pL\pN_.-])@([\pL\pN_])`)

// NeutraliseMentions inserts a zero-width space after @ so Mattermost does not treat
// buyer text as a mention, while it still reads the same.
func NeutraliseMentions(s string) string {
	return mentionPattern.ReplaceAllString(s, "$1@\u200b$2")
}

func decodeEvent(raw []byte, ev *meta.Event) {
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, ev)
	}
}

// renderMessage is the post text of a message record: a view of the record, rendered
// again whenever the record changes (edits, reactions, unsends).
func renderMessage(m *store.Message, ev *meta.Event, kind string) string {
	var b strings.Builder
	line := func(format string, args ...any) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, format, args...)
	}
	if kind == PostOutboundContext {
		line("📤 **Sent from %s by the page** (outside Mattermost)", meta.Platform(ev.Platform).Label())
	}
	switch {
	case ev.Comment != nil:
		where := "your post"
		if ev.Platform == meta.Instagram {
			where = "your " + igMediaNoun(ev.Comment.MediaType)
		}
		if ev.Comment.Permalink != "" {
			where = fmt.Sprintf("[%s](%s)", where, ev.Comment.Permalink)
		}
		verb := "Commented on"
		if ev.Comment.IsReply {
			verb = "Replied to a comment on"
		}
		if ev.Comment.Live {
			verb = "Commented during your live video"
			where = ""
		}
		line("💬 %s %s", verb, where)
	case ev.Postback != nil:
		line("🔘 Tapped **%s**", markdownSafe(ev.Postback.Title))
	}
	if r := ev.Referral; r != nil {
		switch {
		case r.AdTitle != "":
			line("📣 Came from the ad **%s**", markdownSafe(r.AdTitle))
		case r.AdID != "" || r.Source == "ADS":
			line("📣 Came from an ad")
		case r.Ref != "":
			line("🔗 Opened the conversation from a link (ref `%s`)", strings.ReplaceAll(r.Ref, "`", ""))
		case ev.Kind == meta.KindReferral:
			line("🔗 Opened the conversation")
		}
	}
	if s := ev.StoryReply; s != nil && !m.Deleted {
		if s.URL != "" {
			line("↩️ Replied to [your story](%s) (the link works while the story is live)", s.URL)
		} else {
			line("↩️ Replied to your story")
		}
	}
	switch {
	case m.Deleted && ev.Comment != nil, m.Deleted && m.Kind == string(meta.KindComment):
		line("_The buyer removed this comment._")
	case m.Deleted:
		line("_The buyer unsent this message._")
	case m.Text != "":
		text := NeutraliseMentions(m.Text)
		if kind == PostOutboundContext {
			text = "> " + strings.ReplaceAll(text, "\n", "\n> ")
		}
		line("%s", text)
	}
	if !m.Deleted {
		for _, at := range m.Attachments {
			if s := attachmentLine(ev.Platform, at); s != "" {
				line("%s", s)
			}
		}
		if ev.Unsupported {
			line("⚠️ The buyer sent something the %s API cannot show. Open the conversation in %s to see it.", ev.Platform.Label(), ev.Platform.Label())
		}
	}
	if ev.QuickReply != "" && !m.Deleted {
		line("_(quick reply)_")
	}
	if m.Edited && !m.Deleted {
		line("_(edited by the buyer)_")
	}
	if m.Hidden {
		line("_(hidden on Facebook)_")
	}
	if len(m.Reactions) > 0 {
		line("_Buyer reacted %s_", strings.Join(m.Reactions, " "))
	}
	if m.Standby {
		line("_(received while another app handles this conversation in Meta)_")
	}
	if b.Len() == 0 {
		line("_(empty message)_")
	}
	return b.String()
}

// igMediaNoun names an Instagram media_product_type the way the app does.
func igMediaNoun(productType string) string {
	switch strings.ToUpper(productType) {
	case "REELS":
		return "reel"
	case "STORY":
		return "story"
	case "AD":
		return "ad"
	}
	return "post"
}

func attachmentLine(platform meta.Platform, at store.Attachment) string {
	label := strings.ReplaceAll(at.Type, "_", " ")
	switch {
	case at.Error != "":
		return fmt.Sprintf("⚠️ The buyer sent %s that could not be downloaded (%s). Open the conversation in %s to see it.",
			article(label), at.Error, platform.Label())
	case at.FileID != "":
		return ""
	}
	switch meta.MediaType(at.Type) {
	case meta.MediaStoryMention:
		if at.URL == "" {
			return "📣 Mentioned you in their story."
		}
		return fmt.Sprintf("📣 Mentioned you in [their story](%s). Meta does not allow keeping story media; the link stops working when the story expires.", at.URL)
	case meta.MediaShare:
		title := at.Title
		if title == "" {
			title = "a post"
		}
		if at.URL == "" {
			return "🔗 Shared " + markdownSafe(title)
		}
		return fmt.Sprintf("🔗 Shared [%s](%s)", markdownSafe(title), at.URL)
	case meta.MediaLocation:
		return "📍 Shared a location " + at.Title
	case meta.MediaSticker:
		return "👍 Sent a like"
	}
	return fmt.Sprintf("📎 Sent %s that cannot be shown here.", article(label))
}

func article(s string) string {
	if s == "" {
		return "an attachment"
	}
	if strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

func markdownSafe(s string) string {
	return strings.NewReplacer("[", "(", "]", ")", "*", "", "_", " ", "`", "").Replace(NeutraliseMentions(s))
}

// SourceText says where a lead came from, in an operator's words.
func SourceText(conv *store.Conversation) string {
	src := conv.Source
	platform := meta.Platform(conv.Platform)
	switch src.Kind {
	case store.SourceComment:
		if src.Permalink != "" {
			return fmt.Sprintf("Comment on [a %s post](%s)", platform.Label(), src.Permalink)
		}
		if platform == meta.Instagram {
			return "Comment on Instagram media " + src.PostID
		}
		return "Comment on Facebook post " + src.PostID
	case store.SourceAd:
		if src.AdTitle != "" {
			return "Ad: " + markdownSafe(src.AdTitle)
		}
		return "Ad " + src.AdID
	case store.SourceLink:
		return "Link (ref " + src.Ref + ")"
	}
	return "Direct message on " + platform.Label()
}

func queueNoticeText(conv *store.Conversation) string {
	name := markdownSafe(conv.ContactName)
	if conv.ContactUser != "" && !strings.HasPrefix(conv.ContactName, "@") {
		name += " (@\u200b" + conv.ContactUser + ")"
	}
	return fmt.Sprintf("New %s lead: **%s** · %s → ~%s",
		meta.Platform(conv.Platform).Label(), name, SourceText(conv), conv.ChannelName)
}

// channelName is the lead channel's URL name: platform, the contact's name and part of
// the lead ID, within Mattermost's 64 lower-case characters. It is deterministic, so a
// retry that finds the channel already created can find it by name.
func channelName(platform meta.Platform, contact, leadID string) string {
	prefix := "fb-"
	if platform == meta.Instagram {
		prefix = "ig-"
	}
	var b strings.Builder
	dash := false
	// Fold accents first ("Zoë" → "zoe"), so names stay readable in the URL.
	folded, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), contact)
	if err != nil {
		folded = contact
	}
	for _, r := range strings.ToLower(folded) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "buyer"
	}
	return prefix + slug + "-" + leadID[:8]
}

func channelSpec(conv *store.Conversation) ChannelSpec {
	platform := meta.Platform(conv.Platform)
	name := []rune(conv.ContactName)
	suffix := " (" + platform.Label() + ")"
	if max := 64 - len([]rune(suffix)); len(name) > max {
		name = append(name[:max-1], '…')
	}
	purpose := fmt.Sprintf("Social Inbox lead · %s · %s", platform.Label(), SourceText(conv))
	if r := []rune(purpose); len(r) > 250 {
		purpose = string(r[:249]) + "…"
	}
	return ChannelSpec{
		LeadID:      conv.LeadID,
		Name:        conv.ChannelName,
		DisplayName: string(name) + suffix,
		Purpose:     purpose,
		Header:      fmt.Sprintf("%s lead · Claim it on the card below, then answer here: your posts go to the buyer. `/social help`", platform.Label()),
	}
}
