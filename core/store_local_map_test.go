package core

import (
	"hash/fnv"
	"strconv"
	"testing"
)

// Buckets must not move between releases: a proxy upgraded in place keeps its shared
// data, and a revoked session looked up in another bucket would come back to life.
func TestBucketsAreFNV1aOfTheID(t *testing.T) {
	m := newExpiringMap("exeunt/test/", 1024)
	for _, id := range []string{"", "a", "hJkzCgvS44WaacZF-MIoZ2e6UVakq9eZ", "https://idp.test/ 42"} {
		h := fnv.New32a()
		h.Write([]byte(id))
		want := "exeunt/test/" + strconv.FormatUint(uint64(h.Sum32()%1024), 10)
		if got := m.bucketKey(m.bucketOf(id)); got != want {
			t.Errorf("bucket of %q = %s, want %s", id, got, want)
		}
	}
}
