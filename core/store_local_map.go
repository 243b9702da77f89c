package core

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// expiringMap is the local backend's building block (store_local.go): it keeps ids with
// a value and an expiry in the Store, for the session index,
// logout contexts kept server-side, the back-channel delivery queue (and, through
// expiringSet, the sets of single-use and revoked ids). Proxy-Wasm shared data can
// neither delete a key nor expire one, so a key per id would grow without bound; ids
// are spread over a fixed number of buckets by hash instead, one line per entry
// ("id until value"), and every write to a bucket drops its expired entries.
// Values must not contain a newline (compact JSON never does); ids must not contain a
// space or newline.
type expiringMap struct {
	buckets uint32
	// maxBucketBytes, when not 0, bounds each bucket's formatted size, and so the
	// map's (buckets × maxBucketBytes): a write that would pass it first drops the
	// bucket's other entries that expire soonest (see bounded).
	maxBucketBytes int
	// keys are the buckets' store keys (prefix + number), built once: the revocation
	// check looks one up on every request, and in a Go guest building a string is an
	// allocation (BENCHMARKS.md).
	keys []string
}

// newExpiringMap is a map whose buckets are the store keys prefix0 .. prefix<buckets-1>.
// Maps are package variables built at start and never changed, so every VM's engine
// and every test may share them.
func newExpiringMap(prefix string, buckets uint32) expiringMap {
	m := expiringMap{buckets: buckets, keys: make([]string, buckets)}
	for i := range m.keys {
		m.keys[i] = prefix + strconv.Itoa(i)
	}
	return m
}

// bucketOf spreads ids over the buckets by their 32-bit FNV-1a hash (hash/fnv's, done
// in place: its Hash32 would cost two allocations per lookup).
func (m expiringMap) bucketOf(id string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return h % m.buckets
}

func (m expiringMap) bucketKey(b uint32) string { return m.keys[b] }

// mapEntry is one live entry of a bucket.
type mapEntry struct {
	_     noCompare
	id    string
	until int64
	value string
}

func parseBucket(raw string, now time.Time) []mapEntry {
	var out []mapEntry
	t := now.Unix()
	for len(raw) > 0 {
		line, rest, _ := strings.Cut(raw, "\n")
		raw = rest
		id, tail, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		exp, value, _ := strings.Cut(tail, " ")
		until, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || until <= t {
			continue
		}
		out = append(out, mapEntry{id: id, until: until, value: value})
	}
	return out
}

// formatBucket writes entries into one buffer of the size they need (a store write of a
// bucket is on every sign-out's path: BENCHMARKS.md, "Issue 15: the cost of a sign-out").
func formatBucket(entries []mapEntry) []byte {
	size := 0
	for _, e := range entries {
		size += len(e.id) + len(e.value) + 22 // two spaces, a newline, up to 19 digits
	}
	b := make([]byte, 0, size)
	for _, e := range entries {
		b = append(b, e.id...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, e.until, 10)
		b = append(b, ' ')
		b = append(b, e.value...)
		b = append(b, '\n')
	}
	return b
}

// get returns the live value of id. It scans the bucket in place, without building
// its entries: revocation checks call it on every request.
func (m expiringMap) get(store Store, id string, now time.Time) (value string, found bool, err error) {
	raw, _, err := store.Get(m.bucketKey(m.bucketOf(id)))
	if err == ErrNotFound || errors.Is(err, ErrNotFound) { // the sentinel first: no reflection per request
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	bucket := string(raw)
	for len(bucket) > 0 {
		line, rest, _ := strings.Cut(bucket, "\n")
		bucket = rest
		name, tail, ok := strings.Cut(line, " ")
		if !ok || name != id {
			continue
		}
		exp, value, _ := strings.Cut(tail, " ")
		if until, err := strconv.ParseInt(exp, 10, 64); err == nil && until > now.Unix() {
			return value, true, nil
		}
	}
	return "", false, nil
}

// mapUpdate says what becomes of an entry: its new value and expiry, or deleted.
type mapUpdate struct {
	value  string
	until  time.Time
	delete bool
	keep   bool // leave the entry as it was (nothing to write)
}

// update reads id's entry and replaces it with what fn returns, by compare-and-swap so
// that VMs updating the same bucket at once never lose each other's writes. fn may be
// called more than once (after a conflict) and must not have side effects.
func (m expiringMap) update(store Store, id string, now time.Time, fn func(old string, found bool) mapUpdate) error {
	key := m.bucketKey(m.bucketOf(id))
	for attempt := 0; attempt < 50; attempt++ {
		raw, version, err := store.Get(key)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		entries := parseBucket(string(raw), now)
		idx := -1
		for i, e := range entries {
			if e.id == id {
				idx = i
				break
			}
		}
		var old string
		if idx >= 0 {
			old = entries[idx].value
		}
		u := fn(old, idx >= 0)
		if u.keep {
			return nil
		}
		switch {
		case u.delete && idx >= 0:
			entries = append(entries[:idx], entries[idx+1:]...)
		case u.delete:
			return nil
		case idx >= 0:
			entries[idx] = mapEntry{id: id, until: u.until.Unix(), value: u.value}
		default:
			entries = append(entries, mapEntry{id: id, until: u.until.Unix(), value: u.value})
		}
		if m.maxBucketBytes > 0 && !u.delete {
			entries = m.bounded(entries, id)
		}
		if errors.Is(err, ErrNotFound) {
			// A missing key cannot be compare-and-swapped: write it, then read it back
			// and retry if a racing writer replaced it.
			if err := store.Set(key, formatBucket(entries), 0); err != nil {
				return err
			}
			if back, found, _ := m.get(store, id, now); u.delete || (found && back == u.value) {
				return nil
			}
			continue
		}
		switch err := store.Set(key, formatBucket(entries), version); {
		case err == nil:
			return nil
		case !errors.Is(err, ErrConflict):
			return err
		}
	}
	return errors.New("exeunt store: too many concurrent writers on " + key)
}

// put sets id's value until the given time.
func (m expiringMap) put(store Store, id, value string, until, now time.Time) error {
	return m.update(store, id, now, func(string, bool) mapUpdate { return mapUpdate{value: value, until: until} })
}

// all returns every live entry of every bucket (for the delivery queue's scan). Buckets
// that cannot be read are skipped and reported in err.
func (m expiringMap) all(store Store, now time.Time) ([]mapEntry, error) {
	var out []mapEntry
	var firstErr error
	for b := uint32(0); b < m.buckets; b++ {
		raw, _, err := store.Get(m.bucketKey(b))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out = append(out, parseBucket(string(raw), now)...)
	}
	return out, firstErr
}

// bounded drops the entries that expire soonest, other than keep's, until the bucket
// fits in maxBucketBytes (or only keep is left). The entries that go are the oldest of
// their kind (every entry of a map lives as long), so under a flood the newest survive.
func (m expiringMap) bounded(entries []mapEntry, keep string) []mapEntry {
	size := 0
	for _, e := range entries {
		size += len(e.id) + len(e.value) + 22 // two spaces, a newline, up to 19 digits
	}
	for size > m.maxBucketBytes && len(entries) > 1 {
		victim := -1
		for i, e := range entries {
			if e.id != keep && (victim < 0 || e.until < entries[victim].until) {
				victim = i
			}
		}
		if victim < 0 {
			break
		}
		v := entries[victim]
		size -= len(v.id) + len(v.value) + 22
		entries = append(entries[:victim], entries[victim+1:]...)
	}
	return entries
}
