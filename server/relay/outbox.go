package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sort"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// Outbox key prefixes.
const (
	PrefixOutbox = "out_"
	PrefixQueue  = "outq_"
	KeyQueues    = "idx_outq"
)

// Item and part states.
const (
	StatePending  = "pending"
	StateSent     = "sent"
	StateFailed   = "failed"
	StateCanceled = "canceled"
	// StateUnknown: the send may have gone through (timeout, 1/1357046); wait for the
	// echo before sending again.
	StateUnknown = "unknown"
)

// Part kinds: text and file are separate Send API messages.
const (
	PartText = "text"
	PartFile = "file"
)

const (
	maxAttempts   = 12
	baseBackoff   = 5 * time.Second
	maxBackoff    = 10 * time.Minute
	echoWait      = 2 * time.Minute
	queueLeaseTTL = 2 * time.Minute
)

// Part is one Send API message of a reply.
type Part struct {
	// Seq numbers the parts of a reply; it travels in the Send API metadata so the echo
	// says which part arrived.
	Seq    int    `json:"seq"`
	Kind   string `json:"kind"`
	FileID string `json:"file_id,omitempty"`
	MID    string `json:"mid,omitempty"`
	State  string `json:"state"`
}

// Item is one operator post on its way to the buyer.
type Item struct {
	V             int    `json:"v"`
	PostID        string `json:"post_id"`
	LeadID        string `json:"lead_id"`
	ChannelID     string `json:"channel_id"`
	AuthorID      string `json:"author_id"`
	Platform      string `json:"platform"`
	AccountID     string `json:"account_id"`
	RecipientID   string `json:"recipient_id,omitempty"`
	CommentID     string `json:"comment_id,omitempty"`
	Mode          Mode   `json:"mode"`
	MessagingType string `json:"messaging_type,omitempty"`
	Tag           string `json:"tag,omitempty"`
	Text          string `json:"text,omitempty"`
	Parts         []Part `json:"parts"`
	State         string `json:"state"`
	Attempts      int    `json:"attempts"`
	NextAt        int64  `json:"next_at,omitempty"`
	EchoBy        int64  `json:"echo_by,omitempty"`
	Error         string `json:"error,omitempty"`
	ErrorClass    string `json:"error_class,omitempty"`
	Retryable     bool   `json:"retryable,omitempty"`
	CreatedAt     int64  `json:"created_at"`
	UpdatedAt     int64  `json:"updated_at"`
}

// Key is the item's KV key.
func (it *Item) Key() string { return PrefixOutbox + it.PostID }

// Queue keeps a lead's undelivered items in posting order; one worker at a time drains
// it (the lease), so replies reach the buyer in order, once.
type Queue struct {
	V     int         `json:"v"`
	Posts []string    `json:"posts"`
	Lease store.Lease `json:"lease"`
}

// Queues lists the leads with undelivered items, for the retry job.
type Queues struct {
	V     int      `json:"v"`
	Leads []string `json:"leads"`
}

// Failure is a classified Send API error.
type Failure struct {
	Class      string
	Reason     string
	Retryable  bool
	Ambiguous  bool
	RetryAfter time.Duration
}

// Sender sends one part of a reply through Meta's Send API.
type Sender interface {
	Send(ctx context.Context, it *Item, part Part) (mid string, err error)
	Classify(err error) Failure
}

// Notifier shows delivery state to operators. Best effort: the outbox is the truth.
type Notifier interface {
	Delivered(it *Item)
	Failed(it *Item)
	Pending(it *Item)
	// Retrying: an attempt failed and the reply waits for a retry or for the echo.
	Retrying(it *Item)
}

// Outbox delivers replies. Any number of outboxes (one per node) may share a store.
type Outbox struct {
	store  *store.Store
	sender Sender
	notify Notifier
	node   string
	Now    func() time.Time
	// OnSent is called after a part was accepted by Meta, with its message ID, to
	// record it (the echo is then recognised) and update the conversation.
	OnSent func(it *Item, part Part) error
}

// New builds an outbox.
func New(st *store.Store, sender Sender, notify Notifier, node string) *Outbox {
	return &Outbox{store: st, sender: sender, notify: notify, node: node, Now: time.Now}
}

// Enqueue records the item (once per post) and queues it behind the lead's earlier
// replies. It returns false when the post was enqueued before.
func (o *Outbox) Enqueue(it *Item) (bool, error) {
	now := o.Now().UnixMilli()
	it.V = store.RecordVersion
	it.State = StatePending
	it.CreatedAt, it.UpdatedAt = now, now
	inserted, err := o.store.Insert(it.Key(), it, 0, nil)
	if err != nil || !inserted {
		return false, errors.Wrap(err, "record reply")
	}
	if err := o.queue(it.LeadID, it.PostID); err != nil {
		return true, err
	}
	o.notify.Pending(it)
	return true, nil
}

// Drain sends the lead's queued replies in order until one has to wait (a retryable
// failure, or a send whose outcome is unknown). It returns without doing anything when
// another worker holds the queue.
func (o *Outbox) Drain(ctx context.Context, leadID string) error {
	token := o.node + ":" + randomToken()
	q, err := store.Modify(o.store, PrefixQueue+leadID, 0, func(q *Queue, exists bool) (bool, error) {
		if !exists || len(q.Posts) == 0 || q.Lease.HeldBy(token, o.Now()) {
			return false, nil
		}
		q.Lease = store.Lease{Owner: token, Until: o.Now().Add(queueLeaseTTL).UnixMilli()}
		return true, nil
	})
	if err != nil {
		return errors.Wrap(err, "lease reply queue")
	}
	if q.Lease.Owner != token {
		return nil
	}
	defer o.releaseQueue(leadID, token)
	for _, postID := range q.Posts {
		if ctx.Err() != nil {
			return nil
		}
		done, err := o.deliver(ctx, postID)
		if err != nil {
			return err
		}
		if !done {
			return nil
		}
		if err := o.dequeue(leadID, postID); err != nil {
			return err
		}
	}
	return nil
}

func (o *Outbox) releaseQueue(leadID, token string) {
	_, _ = store.Modify(o.store, PrefixQueue+leadID, 0, func(q *Queue, exists bool) (bool, error) {
		if !exists || q.Lease.Owner != token {
			return false, nil
		}
		q.Lease = store.Lease{}
		return true, nil
	})
}

func (o *Outbox) dequeue(leadID, postID string) error {
	q, err := store.Modify(o.store, PrefixQueue+leadID, 0, func(q *Queue, _ bool) (bool, error) {
		for i, id := range q.Posts {
			if id == postID {
				q.Posts = append(q.Posts[:i], q.Posts[i+1:]...)
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return errors.Wrap(err, "dequeue reply")
	}
	if len(q.Posts) > 0 {
		return nil
	}
	_, err = store.Modify(o.store, KeyQueues, 0, func(qs *Queues, _ bool) (bool, error) {
		for i, id := range qs.Leads {
			if id == leadID {
				qs.Leads = append(qs.Leads[:i], qs.Leads[i+1:]...)
				return true, nil
			}
		}
		return false, nil
	})
	return errors.Wrap(err, "unlist lead")
}

// deliver sends the item's remaining parts. It reports done when the item left the
// queue for good (sent, failed permanently, canceled).
func (o *Outbox) deliver(ctx context.Context, postID string) (bool, error) {
	var it Item
	found, err := o.store.Get(PrefixOutbox+postID, &it)
	if err != nil {
		return false, err
	}
	if !found {
		return true, nil
	}
	now := o.Now()
	switch it.State {
	case StateSent, StateFailed, StateCanceled:
		return true, nil
	}
	if it.NextAt > now.UnixMilli() {
		return false, nil
	}
	for i := range it.Parts {
		part := it.Parts[i]
		switch part.State {
		case StateSent:
			continue
		case StateUnknown:
			if it.EchoBy > now.UnixMilli() {
				return false, nil // the echo may still confirm it
			}
		}
		mid, sendErr := o.sender.Send(ctx, &it, part)
		if sendErr == nil {
			part.MID, part.State = mid, StateSent
			cur, err := o.update(postID, func(x *Item) {
				x.Parts[i] = part
				x.Error, x.ErrorClass, x.EchoBy = "", "", 0
			})
			if err != nil {
				return false, err
			}
			it = *cur
			if o.OnSent != nil {
				if err := o.OnSent(&it, part); err != nil {
					return false, err
				}
			}
			continue
		}
		f := o.sender.Classify(sendErr)
		cur, err := o.update(postID, func(x *Item) {
			x.Attempts++
			x.Error, x.ErrorClass, x.Retryable = f.Reason, f.Class, f.Retryable || f.Ambiguous
			switch {
			case f.Ambiguous:
				x.Parts[i].State = StateUnknown
				x.EchoBy = o.Now().Add(echoWait).UnixMilli()
				x.NextAt = x.EchoBy
			case f.Retryable && x.Attempts < maxAttempts:
				x.NextAt = o.Now().Add(backoffFor(x.Attempts, f.RetryAfter)).UnixMilli()
			default:
				x.State = StateFailed
				x.Parts[i].State = StateFailed
			}
		})
		if err != nil {
			return false, err
		}
		it = *cur
		if it.State == StateFailed {
			o.notify.Failed(&it)
			return true, nil
		}
		o.notify.Retrying(&it)
		return false, nil
	}
	cur, err := o.update(postID, func(x *Item) { x.State = StateSent })
	if err != nil {
		return false, err
	}
	o.notify.Delivered(cur)
	return true, nil
}

func (o *Outbox) update(postID string, fn func(x *Item)) (*Item, error) {
	return store.Modify(o.store, PrefixOutbox+postID, 0, func(x *Item, exists bool) (bool, error) {
		if !exists {
			return false, errors.New("reply record disappeared")
		}
		fn(x)
		x.UpdatedAt = o.Now().UnixMilli()
		return true, nil
	})
}

func randomToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func backoffFor(attempts int, hint time.Duration) time.Duration {
	d := baseBackoff << (attempts - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	if hint > d {
		d = hint
	}
	return d
}

// ConfirmEcho marks a part whose outcome was unknown as sent, when Meta's echo carries
// the post's metadata: the send did go through, and must not be repeated. seq names
// the part; a negative seq means the first part still unknown.
func (o *Outbox) ConfirmEcho(postID string, seq int, mid string) (bool, error) {
	confirmed := false
	_, err := o.update(postID, func(x *Item) {
		confirmed = false
		for i := range x.Parts {
			if x.Parts[i].MID == mid {
				return
			}
		}
		for i := range x.Parts {
			if x.Parts[i].State == StateUnknown && (seq < 0 || x.Parts[i].Seq == seq) {
				x.Parts[i].State, x.Parts[i].MID = StateSent, mid
				x.NextAt, x.EchoBy = 0, 0
				confirmed = true
				return
			}
		}
	})
	if err != nil && !errors.Is(err, store.ErrContention) {
		var it Item
		if found, _ := o.store.Get(PrefixOutbox+postID, &it); !found {
			return false, nil
		}
	}
	return confirmed, err
}

// Retry puts a failed item back in its lead's queue (an operator pressed Retry).
func (o *Outbox) Retry(postID string) (*Item, error) {
	it, err := o.update(postID, func(x *Item) {
		if x.State != StateFailed {
			return
		}
		x.State = StatePending
		x.Attempts = 0
		x.NextAt = 0
		for i := range x.Parts {
			if x.Parts[i].State == StateFailed {
				x.Parts[i].State = StatePending
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if it.State != StatePending {
		return it, nil
	}
	return it, o.queue(it.LeadID, postID)
}

// queue appends a post to its lead's queue and lists the lead for the retry job; both
// steps are idempotent.
func (o *Outbox) queue(leadID, postID string) error {
	if _, err := store.Modify(o.store, PrefixQueue+leadID, 0, func(q *Queue, _ bool) (bool, error) {
		for _, id := range q.Posts {
			if id == postID {
				return false, nil
			}
		}
		q.V = store.RecordVersion
		q.Posts = append(q.Posts, postID)
		return true, nil
	}); err != nil {
		return errors.Wrap(err, "queue reply")
	}
	_, err := store.Modify(o.store, KeyQueues, 0, func(q *Queues, _ bool) (bool, error) {
		for _, id := range q.Leads {
			if id == leadID {
				return false, nil
			}
		}
		q.V = store.RecordVersion
		q.Leads = append(q.Leads, leadID)
		return true, nil
	})
	return errors.Wrap(err, "list lead with replies")
}

// Cancel stops an undelivered reply (its post was deleted). It reports whether the
// reply was still undelivered.
func (o *Outbox) Cancel(postID string) (*Item, bool, error) {
	canceled := false
	it, err := o.update(postID, func(x *Item) {
		canceled = false
		if x.State == StatePending {
			sentAny := false
			for _, p := range x.Parts {
				if p.State == StateSent || p.State == StateUnknown {
					sentAny = true
				}
			}
			if !sentAny {
				x.State = StateCanceled
				canceled = true
			}
		}
	})
	return it, canceled, err
}

// DrainAll drains every lead with queued replies; the retry job calls it.
func (o *Outbox) DrainAll(ctx context.Context) error {
	var qs Queues
	if _, err := o.store.Get(KeyQueues, &qs); err != nil {
		return err
	}
	leads := append([]string(nil), qs.Leads...)
	sort.Strings(leads)
	var firstErr error
	for _, lead := range leads {
		if err := o.Drain(ctx, lead); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// Get loads an item.
func (o *Outbox) Get(postID string) (*Item, bool, error) {
	var it Item
	found, err := o.store.Get(PrefixOutbox+postID, &it)
	return &it, found, err
}
