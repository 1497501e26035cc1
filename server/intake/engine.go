package intake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// Windows from Meta's messaging policy (shared/meta-platform.md §5.1).
const (
	StandardWindow   = 24 * time.Hour
	HumanAgentWindow = 7 * 24 * time.Hour
	PrivateReplyTTL  = 7 * 24 * time.Hour
)

const (
	defaultLeaseTTL    = 30 * time.Second
	defaultChannelWait = 10 * time.Second
	profileLookupLimit = 3 * time.Second
	profileRefresh     = 7 * 24 * time.Hour
	profileRetry       = time.Hour
	// findPostMargin widens the search for a post a crashed attempt may have created,
	// for clock skew between nodes.
	findPostMargin = 2 * time.Minute
)

// Outcome says what Apply did with an event.
type Outcome int

// Outcomes.
const (
	Applied Outcome = iota + 1
	// Duplicate: the event was applied before.
	Duplicate
	// Busy: another worker holds the event's lease; it is recorded and being applied.
	Busy
	// Ignored: the event is not for the plugin (see the skip reason).
	Ignored
)

// ErrDeferred means the event was not applied in the time given and must be retried.
var ErrDeferred = errors.New("event deferred: not applied in the time available")

// ErrTargetPending means an update refers to a message that is still being applied.
var ErrTargetPending = errors.New("the message this event refers to is still being applied")

// Skip reasons the engine adds to the normaliser's.
const (
	SkipOwnEcho         = "own_echo"
	SkipEchoWithoutLead = "echo_without_lead"
	SkipUnknownTarget   = "unknown_target"
	SkipNoLead          = "no_lead"
)

// Engine applies events. It is safe for concurrent use, and any number of engines
// (one per cluster node) may share one store.
type Engine struct {
	store    *store.Store
	ws       Workspace
	profiles Profiles
	media    Media
	config   func() Config
	log      Logger
	node     string

	Now         func() time.Time
	LeaseTTL    time.Duration
	ChannelWait time.Duration
	// OnOwnEcho, when set, receives echoes of the plugin's own sends, so a send whose
	// answer was lost can be confirmed instead of sent again.
	OnOwnEcho func(ev meta.Event)
}

// New builds an engine. node names this plugin instance in leases (for logs); every
// attempt adds a random token of its own.
func New(st *store.Store, ws Workspace, profiles Profiles, media Media, config func() Config, log Logger, node string) *Engine {
	return &Engine{
		store: st, ws: ws, profiles: profiles, media: media, config: config, log: log, node: node,
		Now: time.Now, LeaseTTL: defaultLeaseTTL, ChannelWait: defaultChannelWait,
	}
}

// Store returns the engine's store.
func (e *Engine) Store() *store.Store { return e.store }

// attempt is one try at applying one event.
type attempt struct {
	e     *Engine
	ev    meta.Event
	token string
	lead  string
	// resumed is set when the attempt took over an event an earlier attempt left
	// unfinished, which may have created the post already.
	resumed bool
}

func (e *Engine) newAttempt(ev meta.Event) *attempt {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &attempt{
		e:     e,
		ev:    ev,
		token: e.node + ":" + hex.EncodeToString(b[:]),
		lead:  store.LeadID(string(ev.Platform), ev.AccountID, ev.CustomerID),
	}
}

// Apply applies one event. It returns the outcome and, for Ignored, the skip reason.
// An error means the event is not (completely) applied and must be retried; retrying
// is always safe.
func (e *Engine) Apply(ctx context.Context, ev meta.Event) (Outcome, string, error) {
	cfg := e.config()
	if !cfg.Knows(ev.Platform, ev.AccountID) {
		return Ignored, meta.SkipUnknownAccount, nil
	}
	a := e.newAttempt(ev)
	switch ev.Kind {
	case meta.KindMessage, meta.KindPostback, meta.KindReferral, meta.KindComment:
		return a.inbound(ctx)
	case meta.KindEcho:
		return a.echo(ctx, cfg)
	case meta.KindReaction, meta.KindEdit, meta.KindUnsend, meta.KindCommentEdit, meta.KindCommentRemove, meta.KindCommentHide:
		return a.update(ctx)
	case meta.KindRead, meta.KindDelivery:
		return a.receipt()
	}
	return Ignored, meta.SkipUnknownEvent, nil
}

func (a *attempt) now() time.Time { return a.e.Now() }

func (a *attempt) ms() int64 { return a.now().UnixMilli() }

// acquire records the event with insert-if-absent on its native ID — the first side
// effect of every event with a post — and takes its lease. It returns nil and an
// outcome when the event is done or another worker holds it.
func (a *attempt) acquire(direction string) (*store.Message, Outcome, error) {
	key := store.MessageKey(string(a.ev.Platform), a.ev.AccountID, a.ev.NativeID)
	evJSON, err := json.Marshal(a.ev)
	if err != nil {
		return nil, 0, errors.Wrap(err, "encode event")
	}
	now := a.ms()
	rec := &store.Message{
		V:          store.RecordVersion,
		NativeID:   a.ev.NativeID,
		LeadID:     a.lead,
		Kind:       string(a.ev.Kind),
		Direction:  direction,
		State:      store.MessageReceived,
		Lease:      store.Lease{Owner: a.token, Until: now + a.e.LeaseTTL.Milliseconds()},
		Event:      evJSON,
		Text:       a.ev.Text,
		Post:       store.PostSlot{Since: now},
		Standby:    a.ev.Standby,
		SentAt:     a.ev.Time.UnixMilli(),
		ReceivedAt: now,
	}
	var existing store.Message
	inserted, err := a.e.store.Insert(key, rec, 0, &existing)
	if err != nil {
		return nil, 0, errors.Wrap(err, "record message")
	}
	if inserted {
		return rec, 0, nil
	}
	if existing.State == store.MessageDone {
		return nil, Duplicate, nil
	}
	took := false
	cur, err := store.Modify(a.e.store, key, 0, func(m *store.Message, exists bool) (bool, error) {
		took = false
		if !exists {
			return false, errors.New("message record disappeared")
		}
		if m.State == store.MessageDone || m.Lease.HeldBy(a.token, a.now()) {
			return false, nil
		}
		m.Lease = store.Lease{Owner: a.token, Until: a.ms() + a.e.LeaseTTL.Milliseconds()}
		took = true
		return true, nil
	})
	if err != nil {
		return nil, 0, errors.Wrap(err, "take over message")
	}
	a.resumed = took
	if !took {
		if cur.State == store.MessageDone {
			return nil, Duplicate, nil
		}
		return nil, Busy, nil
	}
	return cur, 0, nil
}

// release gives up the lease after a failure so that a retry need not wait for it.
func (a *attempt) release() {
	key := store.MessageKey(string(a.ev.Platform), a.ev.AccountID, a.ev.NativeID)
	_, err := store.Modify(a.e.store, key, 0, func(m *store.Message, exists bool) (bool, error) {
		if !exists || m.Lease.Owner != a.token {
			return false, nil
		}
		m.Lease = store.Lease{}
		return true, nil
	})
	if err != nil {
		a.e.log.Warn("could not release the lease of an event; a retry will wait for it to expire", "lead", a.lead, "error", err.Error())
	}
}

func (a *attempt) modifyMessage(fn func(m *store.Message)) (*store.Message, error) {
	key := store.MessageKey(string(a.ev.Platform), a.ev.AccountID, a.ev.NativeID)
	return store.Modify(a.e.store, key, 0, func(m *store.Message, exists bool) (bool, error) {
		if !exists {
			return false, errors.New("message record disappeared")
		}
		if m.Lease.Owner != a.token {
			return false, errors.New("lost the lease on the message")
		}
		fn(m)
		return true, nil
	})
}

func (a *attempt) audit(events ...store.AuditEvent) error {
	for i := range events {
		if events[i].At == 0 {
			events[i].At = a.ms()
		}
		if events[i].Actor == "" {
			events[i].Actor = store.ActorWebhook
		}
	}
	return a.e.store.AppendAudit(a.lead, events...)
}

func newToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// describeContent says what a message held without repeating it: audit records are
// kept for good, and a buyer's unsent text must not survive there.
func describeContent(ev *meta.Event) string {
	parts := []string{}
	if n := len([]rune(ev.Text)); n > 0 {
		parts = append(parts, itoa(n)+" characters")
	}
	if n := len(ev.Attachments); n > 0 {
		parts = append(parts, itoa(n)+" attachment(s)")
	}
	if len(parts) == 0 {
		return string(ev.Kind)
	}
	return strings.Join(parts, ", ")
}

// excerpt is a one-line summary of an event for queue views.
func excerpt(ev *meta.Event) string {
	text := strings.Join(strings.Fields(ev.Text), " ")
	if text == "" {
		switch {
		case ev.Postback != nil:
			text = "[tapped " + ev.Postback.Title + "]"
		case ev.Referral != nil:
			text = "[opened the conversation]"
		case len(ev.Attachments) > 0:
			text = "[" + string(ev.Attachments[0].Type) + "]"
		}
	}
	r := []rune(text)
	if len(r) > 100 {
		text = string(r[:99]) + "…"
	}
	return text
}
