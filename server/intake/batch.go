package intake

import (
	"context"
	"encoding/json"
	"sort"
	"sync"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// errBusy marks an event another worker is applying right now.
var errBusy = errors.New("another worker is applying this event")

// BatchResult sums up ApplyBatch.
type BatchResult struct {
	Applied    int
	Duplicates int
	Busy       int
	Skipped    map[string]int64
	// Pending are the events not applied (deferred or failed), in delivery order.
	Pending []meta.Event
	// Err is the first error met, for the log.
	Err error
}

// ApplyBatch applies events, several leads at a time but each lead's events in
// timestamp order (Meta may deliver out of order after failures). When an event of a
// lead fails or the context ends, that event and the lead's later events are returned
// as pending; the caller stores them for the retry job.
func (e *Engine) ApplyBatch(ctx context.Context, events []meta.Event, workers int) BatchResult {
	res := BatchResult{Skipped: map[string]int64{}}
	groups := map[string][]meta.Event{}
	var order []string
	for _, ev := range events {
		k := store.LeadID(string(ev.Platform), ev.AccountID, ev.CustomerID)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], ev)
	}
	if workers < 1 {
		workers = 1
	}
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				evs := groups[k]
				sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
				for i, ev := range evs {
					var outcome Outcome
					var reason string
					err := ctx.Err()
					if err == nil {
						outcome, reason, err = e.Apply(ctx, ev)
					}
					if err == nil && outcome == Busy {
						// Another worker holds the event. If it dies, nothing else would
						// apply it: keep it (and the lead's later events) for the retry
						// job, which finds it done or takes it over once the lease expires.
						err = errBusy
					}
					mu.Lock()
					if errors.Is(err, errBusy) {
						res.Busy++
					}
					if err != nil {
						res.Pending = append(res.Pending, evs[i:]...)
						if res.Err == nil && !errors.Is(err, errBusy) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
							res.Err = err
						}
						mu.Unlock()
						break
					}
					switch outcome {
					case Applied:
						res.Applied++
					case Duplicate:
						res.Duplicates++
					case Ignored:
						res.Skipped[reason]++
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, k := range order {
		work <- k
	}
	close(work)
	wg.Wait()
	return res
}

// EncodeEvents turns events into the form stored for the retry job.
func EncodeEvents(events []meta.Event) ([][]byte, error) {
	out := make([][]byte, 0, len(events))
	for _, ev := range events {
		raw, err := json.Marshal(ev)
		if err != nil {
			return nil, errors.Wrap(err, "encode pending event")
		}
		out = append(out, raw)
	}
	return out, nil
}

// DecodeEvents reverses EncodeEvents.
func DecodeEvents(raw [][]byte) ([]meta.Event, error) {
	out := make([]meta.Event, 0, len(raw))
	for _, r := range raw {
		var ev meta.Event
		if err := json.Unmarshal(r, &ev); err != nil {
			return nil, errors.Wrap(err, "decode pending event")
		}
		out = append(out, ev)
	}
	return out, nil
}

// Defer stores events acknowledged to Meta but not applied, for the retry job.
func (e *Engine) Defer(events []meta.Event, lastErr error) error {
	raw, err := EncodeEvents(events)
	if err != nil {
		return err
	}
	p := &store.Pending{ID: newToken() + newToken(), Events: raw, ReceivedAt: e.Now().UnixMilli()}
	if lastErr != nil {
		p.LastError = lastErr.Error()
	}
	return e.store.SavePending(p)
}

// maxPendingAttempts is how often the retry job tries a batch before it reports it as
// stuck; it keeps trying (nothing acknowledged is ever dropped) but logs it as an error.
const maxPendingAttempts = 20

// RetryPending applies the stored pending batches. It runs from a cluster job (one node
// at a time) and is idempotent, like everything it calls.
func (e *Engine) RetryPending(ctx context.Context, workers int) (applied int, remaining int, err error) {
	ids, err := e.store.PendingIDs()
	if err != nil {
		return 0, 0, err
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		var p store.Pending
		found, err := e.store.Get(store.PendingKey(id), &p)
		if err != nil {
			return applied, remaining, err
		}
		if !found {
			if err := e.store.DonePending(id); err != nil {
				return applied, remaining, err
			}
			continue
		}
		events, err := DecodeEvents(p.Events)
		if err != nil {
			e.log.Error("a pending batch cannot be decoded; it is kept for inspection", "pending", id, "error", err.Error())
			continue
		}
		res := e.ApplyBatch(ctx, events, workers)
		applied += res.Applied
		if err := e.store.CountSkipped(res.Skipped); err != nil {
			e.log.Warn("could not count skipped events", "error", err.Error())
		}
		if len(res.Pending) == 0 {
			if err := e.store.DonePending(id); err != nil {
				return applied, remaining, err
			}
			continue
		}
		remaining += len(res.Pending)
		if p.Events, err = EncodeEvents(res.Pending); err != nil {
			return applied, remaining, err
		}
		p.Attempts++
		if res.Err != nil {
			p.LastError = res.Err.Error()
		}
		if err := e.store.Put(store.PendingKey(id), &p, 0); err != nil {
			return applied, remaining, err
		}
		level := e.log.Warn
		if p.Attempts >= maxPendingAttempts {
			level = e.log.Error
		}
		level("pending webhook events could not be applied yet; will retry", "pending", id, "events", len(res.Pending), "attempts", p.Attempts, "error", p.LastError)
	}
	return applied, remaining, nil
}
