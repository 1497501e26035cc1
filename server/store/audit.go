package store

import (
	"encoding/json"

	"github.com/pkg/errors"
)

// auditChunkSize is how many events the head of a trail holds before it is sealed into
// a chunk of its own; it keeps each compare-and-set small.
const auditChunkSize = 100

// AppendAudit appends events to the lead's audit trail in one compare-and-set.
// An event whose ID is already in the head or in the chunk sealed last is skipped, so
// a resumed or redelivered event never duplicates its trail entries.
//
// A full head is sealed into its chunk key before the head moves on: the chunk's
// content is fixed by the head bytes every contender read, so concurrent or retried
// seals write the same bytes, and a failed seal leaves the head unchanged.
func (s *Store) AppendAudit(leadID string, events ...AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	key := AuditKey(leadID)
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		raw, err := s.kv.Get(key)
		if err != nil {
			return errors.Wrap(err, "read audit trail")
		}
		var h AuditHead
		if raw != nil {
			if err := json.Unmarshal(raw, &h); err != nil {
				return errors.Wrap(err, "decode audit trail")
			}
		}
		seen := make(map[string]bool, len(h.Events)+len(h.Recent))
		for _, e := range h.Events {
			seen[e.ID] = true
		}
		for _, id := range h.Recent {
			seen[id] = true
		}
		changed := false
		for _, ev := range events {
			if seen[ev.ID] {
				continue
			}
			seen[ev.ID] = true
			if len(h.Events) >= auditChunkSize {
				chunk := AuditHead{V: RecordVersion, Chunk: h.Chunk, Events: h.Events}
				if err := s.Put(AuditChunkKey(leadID, h.Chunk), &chunk, 0); err != nil {
					return errors.Wrap(err, "seal audit chunk")
				}
				h.Recent = h.Recent[:0]
				for _, e := range h.Events {
					h.Recent = append(h.Recent, e.ID)
				}
				h.Chunk++
				h.Events = nil
			}
			h.Events = append(h.Events, ev)
			changed = true
		}
		if !changed {
			return nil
		}
		h.V = RecordVersion
		next, err := json.Marshal(&h)
		if err != nil {
			return errors.Wrap(err, "encode audit trail")
		}
		ok, err := s.kv.CompareAndSet(key, raw, next, 0)
		if err != nil {
			return errors.Wrap(err, "append audit events")
		}
		if ok {
			return nil
		}
		backoff(attempt)
	}
	return errors.Wrap(ErrContention, "append audit events")
}

// AuditTrail returns a lead's audit events, oldest first.
func (s *Store) AuditTrail(leadID string) ([]AuditEvent, error) {
	var head AuditHead
	if _, err := s.Get(AuditKey(leadID), &head); err != nil {
		return nil, err
	}
	var out []AuditEvent
	for c := 0; c < head.Chunk; c++ {
		var chunk AuditHead
		found, err := s.Get(AuditChunkKey(leadID, c), &chunk)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, chunk.Events...)
		}
	}
	return append(out, head.Events...), nil
}

// AddOpenLead puts a lead into the open queue index (idempotent).
func (s *Store) AddOpenLead(leadID string) error {
	return errors.Wrap(s.addToIndex(OpenIndexKey(leadID), leadID), "add lead to the open queue")
}

// RemoveOpenLead takes a lead out of the open queue index (idempotent).
func (s *Store) RemoveOpenLead(leadID string) error {
	return errors.Wrap(s.removeFromIndex(OpenIndexKey(leadID), leadID), "remove lead from the open queue")
}

// AddArchiveCandidate lists a closed lead whose channel the archive job should look at.
func (s *Store) AddArchiveCandidate(leadID string) error {
	return errors.Wrap(s.addToIndex(KeyArchiveIndex, leadID), "list lead for archiving")
}

// RemoveArchiveCandidate takes a lead off the archive job's list.
func (s *Store) RemoveArchiveCandidate(leadID string) error {
	return errors.Wrap(s.removeFromIndex(KeyArchiveIndex, leadID), "unlist lead for archiving")
}

// ArchiveCandidates lists the leads the archive job should look at.
func (s *Store) ArchiveCandidates() ([]string, error) {
	var ix OpenIndex
	_, err := s.Get(KeyArchiveIndex, &ix)
	return ix.Leads, err
}

// addToIndex adds an ID to a list index with compare-and-set (idempotent).
func (s *Store) addToIndex(key, id string) error {
	_, err := Modify(s, key, 0, func(ix *OpenIndex, _ bool) (bool, error) {
		for _, x := range ix.Leads {
			if x == id {
				return false, nil
			}
		}
		ix.V = RecordVersion
		ix.Leads = append(ix.Leads, id)
		return true, nil
	})
	return err
}

// removeFromIndex removes an ID from a list index with compare-and-set (idempotent).
func (s *Store) removeFromIndex(key, id string) error {
	_, err := Modify(s, key, 0, func(ix *OpenIndex, _ bool) (bool, error) {
		for i, x := range ix.Leads {
			if x == id {
				ix.Leads = append(ix.Leads[:i], ix.Leads[i+1:]...)
				return true, nil
			}
		}
		return false, nil
	})
	return err
}

// OpenLeads lists every open lead.
func (s *Store) OpenLeads() ([]string, error) {
	var out []string
	for shard := 0; shard < OpenIndexShards; shard++ {
		var ix OpenIndex
		if _, err := s.Get(PrefixOpenIndex+itoa(shard), &ix); err != nil {
			return nil, err
		}
		out = append(out, ix.Leads...)
	}
	return out, nil
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
