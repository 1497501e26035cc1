package store

import "github.com/pkg/errors"

// auditChunkSize is how many events the head of a trail holds before it is sealed into
// a chunk of its own; it keeps each compare-and-set small.
const auditChunkSize = 100

// AppendAudit appends ev to the lead's audit trail. Appending the same event ID twice
// is a no-op, so a resumed or redelivered event never duplicates its trail entry.
func (s *Store) AppendAudit(leadID string, ev AuditEvent) error {
	key := AuditKey(leadID)
	var sealed *AuditHead
	_, err := Modify(s, key, 0, func(h *AuditHead, _ bool) (bool, error) {
		sealed = nil
		for _, e := range h.Events {
			if e.ID == ev.ID {
				return false, nil
			}
		}
		h.V = RecordVersion
		if len(h.Events) >= auditChunkSize {
			full := *h
			sealed = &full
			h.Chunk++
			h.Events = nil
		}
		h.Events = append(h.Events, ev)
		return true, nil
	})
	if err != nil {
		return errors.Wrap(err, "append audit event")
	}
	if sealed != nil {
		// Deterministic content: a retry writes the same bytes.
		if err := s.Put(AuditChunkKey(leadID, sealed.Chunk), sealed, 0); err != nil {
			return errors.Wrap(err, "seal audit chunk")
		}
	}
	return nil
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
	_, err := Modify(s, OpenIndexKey(leadID), 0, func(ix *OpenIndex, _ bool) (bool, error) {
		for _, id := range ix.Leads {
			if id == leadID {
				return false, nil
			}
		}
		ix.V = RecordVersion
		ix.Leads = append(ix.Leads, leadID)
		return true, nil
	})
	return errors.Wrap(err, "add lead to the open queue")
}

// RemoveOpenLead takes a lead out of the open queue index (idempotent).
func (s *Store) RemoveOpenLead(leadID string) error {
	_, err := Modify(s, OpenIndexKey(leadID), 0, func(ix *OpenIndex, _ bool) (bool, error) {
		for i, id := range ix.Leads {
			if id == leadID {
				ix.Leads = append(ix.Leads[:i], ix.Leads[i+1:]...)
				return true, nil
			}
		}
		return false, nil
	})
	return errors.Wrap(err, "remove lead from the open queue")
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
