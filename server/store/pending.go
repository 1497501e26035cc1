package store

import "github.com/pkg/errors"

// SavePending stores events acknowledged to Meta but not yet applied, and lists them in
// the pending index so the retry job finds them. The record is written before the
// index, so a crash in between leaves at worst an unlisted record, never a listed
// record that does not exist.
func (s *Store) SavePending(p *Pending) error {
	p.V = RecordVersion
	if err := s.Put(PendingKey(p.ID), p, 0); err != nil {
		return errors.Wrap(err, "save pending events")
	}
	_, err := Modify(s, KeyPendingIndex, 0, func(ix *PendingIndex, _ bool) (bool, error) {
		for _, id := range ix.IDs {
			if id == p.ID {
				return false, nil
			}
		}
		ix.V = RecordVersion
		ix.IDs = append(ix.IDs, p.ID)
		return true, nil
	})
	return errors.Wrap(err, "list pending events")
}

// PendingIDs lists the pending batches, oldest first.
func (s *Store) PendingIDs() ([]string, error) {
	var ix PendingIndex
	_, err := s.Get(KeyPendingIndex, &ix)
	return ix.IDs, err
}

// DonePending removes a pending batch once every event in it has been applied. The
// index entry goes first, so a crash in between leaves an unlisted record, not a
// listed one that is gone.
func (s *Store) DonePending(id string) error {
	_, err := Modify(s, KeyPendingIndex, 0, func(ix *PendingIndex, _ bool) (bool, error) {
		for i, x := range ix.IDs {
			if x == id {
				ix.IDs = append(ix.IDs[:i], ix.IDs[i+1:]...)
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return errors.Wrap(err, "unlist pending events")
	}
	return s.Delete(PendingKey(id))
}

// CountSkipped adds named discard counts to the intake statistics.
func (s *Store) CountSkipped(counts map[string]int64) error {
	if len(counts) == 0 {
		return nil
	}
	_, err := Modify(s, KeyIntakeStats, 0, func(st *IntakeStats, _ bool) (bool, error) {
		st.V = RecordVersion
		if st.Skipped == nil {
			st.Skipped = map[string]int64{}
		}
		for k, n := range counts {
			st.Skipped[k] += n
		}
		st.Updated++
		return true, nil
	})
	return errors.Wrap(err, "count skipped events")
}
