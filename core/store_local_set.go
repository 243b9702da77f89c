package core

import "time"

// expiringSet is a set of ids with expiry times kept in the Store (single-use sign-in
// states and confirmation tokens, revoked sessions, logout tokens acted on): an
// expiringMap whose values are empty. A membership test is one small read.
type expiringSet struct{ entries expiringMap }

func newExpiringSet(prefix string, buckets uint32) expiringSet {
	return expiringSet{newExpiringMap(prefix, buckets)}
}

// contains reports whether id is in the set and not expired; callers decide what a
// store error means for them.
func (s expiringSet) contains(store Store, id string, now time.Time) (bool, error) {
	_, found, err := s.entries.get(store, id, now)
	return found, err
}

// add puts id in the set until the given time. added is false when it was already
// there (and unexpired): the basis of single-use checks, made safe between VMs by
// compare-and-swap.
func (s expiringSet) add(store Store, id string, until, now time.Time) (added bool, err error) {
	err = s.entries.update(store, id, now, func(_ string, found bool) mapUpdate {
		added = !found // the last run of this function is the one that counted
		if found {
			return mapUpdate{keep: true}
		}
		return mapUpdate{until: until}
	})
	return added && err == nil, err
}
