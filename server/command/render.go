package command

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pkg/errors"
)

const (
	clockLayout = "Mon Jan 2 15:04 MST"
	auditLayout = "2006-01-02 15:04:05 MST"
)

// mention matches an @mention in text that came from a buyer or a colleague, so that an
// ephemeral answer quoting it highlights nobody.
var mention = regexp.MustCompile(`(^|[^\pL\pN_.-])@([\pL\pN_])`)

// clean makes text safe inside a one-line markdown answer: one line, no table breaks,
// no mentions.
func clean(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	return mention.ReplaceAllString(s, "$1@\u200b$2")
}

func trim(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// span renders a duration the way an operator reads a countdown: 3d 4h, 5h 12m, 12m.
func span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, h)
}

func clock(t time.Time) string { return t.UTC().Format(clockLayout) }

// deadline is when the next answer must be sent at the latest (zero: no answer is
// possible). It is the queue's risk order.
func deadline(w Window, now time.Time) time.Time {
	switch {
	case w.StandardUntil.After(now):
		return w.StandardUntil
	case w.HumanAgentEnabled && w.HumanAgentUntil.After(now):
		return w.HumanAgentUntil
	case w.PrivateReplyUntil.After(now):
		return w.PrivateReplyUntil
	}
	return time.Time{}
}

// unanswered: the buyer wrote after the page's last answer.
func unanswered(w Window) bool {
	return !w.LastCustomerAt.IsZero() && w.LastReplyAt.Before(w.LastCustomerAt)
}

// windowLines describes the response windows for /social status.
func windowLines(w Window, now time.Time) []string {
	var out []string
	switch {
	case w.StandardUntil.After(now):
		out = append(out, fmt.Sprintf("**Reply window:** open, %s left (24-hour window, until %s)", span(w.StandardUntil.Sub(now)), clock(w.StandardUntil)))
	case !w.StandardUntil.IsZero():
		out = append(out, fmt.Sprintf("**Reply window:** closed %s ago (24-hour window ended %s)", span(now.Sub(w.StandardUntil)), clock(w.StandardUntil)))
	case w.PrivateReplyUntil.After(now):
		out = append(out, fmt.Sprintf("**Reply window:** none yet; the comment allows one private reply, %s left (until %s)", span(w.PrivateReplyUntil.Sub(now)), clock(w.PrivateReplyUntil)))
	default:
		out = append(out, "**Reply window:** not open; you can answer when the buyer writes to the page")
	}
	if w.HumanAgentUntil.IsZero() {
		return out
	}
	switch {
	case !w.HumanAgentUntil.After(now):
		out = append(out, fmt.Sprintf("**Human Agent window (7 days):** closed %s ago", span(now.Sub(w.HumanAgentUntil))))
	case w.HumanAgentEnabled:
		out = append(out, fmt.Sprintf("**Human Agent window (7 days):** %s left (until %s); after 24 hours replies go out with the Human Agent tag", span(w.HumanAgentUntil.Sub(now)), clock(w.HumanAgentUntil)))
	default:
		out = append(out, fmt.Sprintf("**Human Agent window (7 days):** %s left, but the Human Agent tag is not enabled, so nothing can be sent after 24 hours", span(w.HumanAgentUntil.Sub(now))))
	}
	return out
}

// windowCell is the short form of the window for the queue table.
func windowCell(w Window, now time.Time) string {
	switch {
	case w.StandardUntil.After(now):
		return span(w.StandardUntil.Sub(now)) + " left"
	case w.HumanAgentEnabled && w.HumanAgentUntil.After(now):
		return span(w.HumanAgentUntil.Sub(now)) + " left (Human Agent)"
	case w.PrivateReplyUntil.After(now):
		return span(w.PrivateReplyUntil.Sub(now)) + " left (private reply)"
	}
	return "closed"
}

func (h *Handler) handoffText(ho Handoff) string {
	switch ho.State {
	case StateClaimed:
		return "claimed by " + h.leads.Name(ho.OwnerID)
	case StateClosed:
		return "closed"
	}
	return "open, unclaimed"
}

func (h *Handler) renderStatus(s Status) string {
	now := h.now()
	title := clean(s.Contact)
	if s.ContactUsername != "" && !strings.HasPrefix(s.Contact, "@") {
		title += " (@\u200b" + clean(s.ContactUsername) + ")"
	}
	lines := []string{fmt.Sprintf("#### %s · %s lead", title, s.Platform)}
	item := func(format string, args ...any) { lines = append(lines, "- "+fmt.Sprintf(format, args...)) }
	if s.ChannelName != "" {
		item("**Channel:** ~%s", s.ChannelName)
	}
	item("**Source:** %s", s.Source)

	ho := h.handoffText(s.Handoff)
	switch s.Handoff.State {
	case StateClaimed:
		if !s.ClaimedAt.IsZero() {
			ho += fmt.Sprintf(" %s ago", span(now.Sub(s.ClaimedAt)))
		}
	case StateClosed:
		if !s.ClosedAt.IsZero() {
			ho += fmt.Sprintf(" %s ago", span(now.Sub(s.ClosedAt)))
		}
		if s.ClosedBy != "" {
			ho += " by " + h.leads.Name(s.ClosedBy)
		}
		if s.CloseReason != "" {
			ho += " (" + clean(s.CloseReason) + ")"
		}
		ho += "; it reopens when the buyer writes again"
	default:
		if !s.OpenedAt.IsZero() {
			ho += fmt.Sprintf(" for %s", span(now.Sub(s.OpenedAt)))
		}
	}
	if s.Reopens > 0 {
		ho += fmt.Sprintf(" · reopened %d×", s.Reopens)
	}
	item("**Handoff:** %s", ho)
	if s.Handoff.UnderReview {
		why := ""
		if s.ReviewReason != "" {
			why = " (" + clean(s.ReviewReason) + ")"
		}
		item("**Policy review:** ⚠️ under review%s. Nothing reaches the buyer until another operator or an admin runs `/social clear-review`.", why)
	}
	for _, l := range windowLines(s.Window, now) {
		item("%s", l)
	}
	w := s.Window
	switch {
	case w.LastCustomerAt.IsZero():
		item("**Buyer last wrote:** no message yet")
	case unanswered(w):
		item("**Buyer last wrote:** %s ago, **unanswered**", span(now.Sub(w.LastCustomerAt)))
	default:
		item("**Buyer last wrote:** %s ago; answered %s ago", span(now.Sub(w.LastCustomerAt)), span(now.Sub(w.LastReplyAt)))
	}
	return strings.Join(lines, "\n")
}

func (h *Handler) queue(user User, filter string) (string, error) {
	all, err := h.leads.OpenLeads()
	if err != nil {
		return msgFailed, errors.Wrap(err, "list open leads")
	}
	now := h.now()
	var leads []Summary
	for _, s := range all {
		switch {
		case s.Handoff.State == StateClosed:
			// A close racing with a reopen can leave a closed lead listed for a moment.
			continue
		case filter == QueueMine && (s.Handoff.State != StateClaimed || s.Handoff.OwnerID != user.ID):
			continue
		case filter == QueueUnclaimed && s.Handoff.State != StateOpen:
			continue
		}
		leads = append(leads, s)
	}
	if len(leads) == 0 {
		switch filter {
		case QueueMine:
			return "You have no open leads. `/social queue unclaimed` shows the ones nobody has claimed.", nil
		case QueueUnclaimed:
			return "No unclaimed leads: every open lead has an owner.", nil
		}
		return "No open leads. New ones are announced in ~" + h.leads.QueueChannel() + ".", nil
	}
	sort.SliceStable(leads, func(i, j int) bool {
		di, dj := deadline(leads[i].Window, now), deadline(leads[j].Window, now)
		switch {
		case di.IsZero() != dj.IsZero():
			return !di.IsZero()
		case !di.Equal(dj):
			return di.Before(dj)
		case !leads[i].Window.LastCustomerAt.Equal(leads[j].Window.LastCustomerAt):
			return leads[i].Window.LastCustomerAt.Before(leads[j].Window.LastCustomerAt)
		}
		return leads[i].LeadID < leads[j].LeadID
	})

	what := map[string]string{QueueAll: "Open leads", QueueMine: "Your open leads", QueueUnclaimed: "Unclaimed leads"}[filter]
	lines := []string{
		fmt.Sprintf("#### %s: %d", what, len(leads)),
		"The reply window that closes soonest comes first.",
		"",
		"| Lead | Buyer | Platform | Handoff | Buyer wrote | Reply window |",
		"|:--|:--|:--|:--|:--|:--|",
	}
	shown := leads
	if h.QueueCap > 0 && len(shown) > h.QueueCap {
		shown = shown[:h.QueueCap]
	}
	for _, s := range shown {
		ho := h.handoffText(s.Handoff)
		if s.Handoff.UnderReview {
			ho += " · ⚠️ policy review"
		}
		wrote := "—"
		if !s.Window.LastCustomerAt.IsZero() {
			wrote = span(now.Sub(s.Window.LastCustomerAt)) + " ago"
			if unanswered(s.Window) {
				wrote += " · **unanswered**"
			}
		}
		channel := "—"
		if s.ChannelName != "" {
			channel = "~" + s.ChannelName
		}
		lines = append(lines, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |",
			channel, trim(clean(s.Contact), 40), s.Platform, ho, wrote, windowCell(s.Window, now)))
	}
	if rest := len(leads) - len(shown); rest > 0 {
		hint := "Narrow the list with `/social queue mine` or `/social queue unclaimed`."
		if filter != QueueAll {
			hint = "Work the top ones first; the list follows."
		}
		lines = append(lines, "", fmt.Sprintf("…and %d more. %s", rest, hint))
	}
	return strings.Join(lines, "\n"), nil
}

// renderAudit lists the newest events of a trail, oldest of them first.
func (h *Handler) renderAudit(trail []AuditEntry) string {
	if len(trail) == 0 {
		return "This lead has no audit events yet."
	}
	lines := []string{"#### Audit trail (newest last)"}
	shown := trail
	if h.AuditCap > 0 && len(shown) > h.AuditCap {
		shown = shown[len(shown)-h.AuditCap:]
		lines = append(lines, fmt.Sprintf("_%d earlier events not shown._", len(trail)-len(shown)))
	}
	for _, e := range shown {
		line := fmt.Sprintf("- `%s` · %s · %s · %s → %s", e.At.UTC().Format(auditLayout), h.actor(e), action(e.Action), h.value(e.Before), h.value(e.After))
		if e.Detail != "" {
			line += " · " + trim(clean(e.Detail), 200)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func (h *Handler) actor(e AuditEntry) string {
	switch e.Actor {
	case "user":
		return h.leads.Name(e.ActorID)
	case "webhook":
		return "Meta (webhook)"
	case "system":
		return "Social Inbox"
	case "":
		return "—"
	}
	return clean(e.Actor)
}

// action turns "handoff.review_requested" into "handoff review requested".
func action(a string) string {
	return strings.NewReplacer(".", " ", "_", " ").Replace(clean(a))
}

var reasonWords = map[string]string{
	"social_dm_follow_up_needed": "follow-up needed",
	"social_dm_policy_review":    "policy review",
}

// value makes a before/after value of an audit event readable: handoff states name
// their owner, reasons and timestamps read as words.
func (h *Handler) value(v string) string {
	if v == "" {
		return "—"
	}
	if w, ok := reasonWords[v]; ok {
		return w
	}
	if state, owner, ok := strings.Cut(v, ":"); ok && (state == StateOpen || state == StateClaimed || state == StateClosed) {
		switch {
		case owner == "":
			return state
		case state == StateClaimed:
			return "claimed by " + h.leads.Name(owner)
		}
		return state + " (owner " + h.leads.Name(owner) + ")"
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC().Format(clockLayout)
	}
	return trim(clean(v), 100)
}
