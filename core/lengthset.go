package core

// lengthSet is the set of lengths of a map's string keys, kept beside the map: a key of
// any other length cannot be in it, which a bit test says far more cheaply than the
// lookup. In a Go guest a string-keyed map lookup (hash, probe, compare) costs a few
// hundred nanoseconds, and the classification of every request looks up its path in
// tables few paths are in (own endpoints' provider paths, logout landing pages).
// Lengths of 512 and more share one bit: for them the map is always asked.
type lengthSet [9]uint64

const lengthSetLong = 512

func (s *lengthSet) add(key string) {
	n := min(len(key), lengthSetLong)
	s[n/64] |= 1 << (n % 64)
}

// mayHave is false only when no key of len(key) was added.
func (s *lengthSet) mayHave(key string) bool {
	n := min(len(key), lengthSetLong)
	return s[n/64]&(1<<(n%64)) != 0
}
