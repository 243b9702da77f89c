package core

import (
	"errors"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// expiringSet is a set of ids with expiry times kept in the Store (single-use sign-in
// states, revoked sessions, later replayed logout tokens). Proxy-Wasm shared data can
// neither delete a key nor expire one, so a key per id would grow without bound; the
// ids are spread over a fixed number of buckets by hash instead, and every write to a
// bucket drops its expired entries. A membership test is one small read.
type expiringSet struct {
	prefix  string
	buckets uint32
}

func (s expiringSet) key(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return s.prefix + strconv.FormatUint(uint64(h.Sum32()%s.buckets), 10)
}

// contains reports whether id is in the set and not expired; callers decide what a
// store error means for them.
func (s expiringSet) contains(store Store, id string, now time.Time) (bool, error) {
	raw, _, err := store.Get(s.key(id))
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, found := lookupEntry(string(raw), id, now)
	return found, nil
}

// add puts id in the set until the given time. added is false when it was already
// there (and unexpired): the basis of single-use checks, made safe between VMs by
// compare-and-swap.
func (s expiringSet) add(store Store, id string, until, now time.Time) (added bool, err error) {
	key := s.key(id)
	wrote := false
	for attempt := 0; attempt < 20; attempt++ {
		raw, version, err := store.Get(key)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return false, err
		}
		rest, found := lookupEntry(string(raw), id, now)
		if found {
			// Present: either added before (a replay), or by our own unconditional
			// write just below, read back.
			return wrote, nil
		}
		value := rest + id + " " + strconv.FormatInt(until.Unix(), 10) + "\n"
		if errors.Is(err, ErrNotFound) {
			// The bucket does not exist yet, and CAS 0 writes unconditionally: write,
			// then read back to learn whether a racing writer replaced us.
			if err := store.Set(key, []byte(value), 0); err != nil {
				return false, err
			}
			wrote = true
			continue
		}
		switch err := store.Set(key, []byte(value), version); {
		case err == nil:
			return true, nil
		case !errors.Is(err, ErrConflict):
			return false, err
		}
	}
	return false, errors.New("exeunt store: too many concurrent writers on " + key)
}

// lookupEntry scans a bucket: found reports an unexpired entry for id; rest is the
// bucket without expired entries, to write back.
func lookupEntry(bucket, id string, now time.Time) (rest string, found bool) {
	var b strings.Builder
	t := now.Unix()
	for _, line := range strings.Split(bucket, "\n") {
		name, exp, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		until, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || until <= t {
			continue
		}
		if name == id {
			found = true
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String(), found
}
