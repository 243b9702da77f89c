package etcdv3

import (
	"errors"
	"strings"
	"testing"
)

func kvAt(key string, mod int64) KeyValue {
	return KeyValue{Key: []byte(key), ModRevision: mod, Value: []byte("v")}
}

func TestReadChanges(t *testing.T) {
	tests := []struct {
		name     string
		since    int64
		resp     RangeResponse
		keys     string // the keys of Changes.KVs, joined
		revision int64
		more     bool
		err      string
	}{
		{"nothing changed: the follower moves to the answer's revision", 10,
			RangeResponse{Header: ResponseHeader{Revision: 15}}, "", 15, false, ""},
		{"everything fits", 10,
			RangeResponse{Header: ResponseHeader{Revision: 15}, Kvs: []KeyValue{kvAt("a", 11), kvAt("b", 13), kvAt("c", 13)}}, "a b c", 15, false, ""},
		{"cut at the limit between revisions: the last revision waits for the next page", 10,
			RangeResponse{Header: ResponseHeader{Revision: 30}, More: true, Kvs: []KeyValue{kvAt("a", 11), kvAt("b", 12), kvAt("c", 14), kvAt("d", 14)}}, "a b", 13, true, ""},
		{"cut at the limit right after a revision: still keeps the last one back", 10,
			RangeResponse{Header: ResponseHeader{Revision: 30}, More: true, Kvs: []KeyValue{kvAt("a", 11), kvAt("b", 12)}}, "a", 11, true, ""},
		{"one revision fills the page", 10,
			RangeResponse{Header: ResponseHeader{Revision: 30}, More: true, Kvs: []KeyValue{kvAt("a", 12), kvAt("b", 12)}}, "", 0, false, "one revision changed more keys"},
		{"more with no keys", 10,
			RangeResponse{Header: ResponseHeader{Revision: 30}, More: true}, "", 0, false, "holds none"},
		{"a key from before since", 10,
			RangeResponse{Header: ResponseHeader{Revision: 30}, Kvs: []KeyValue{kvAt("a", 10)}}, "", 0, false, "not in order of change"},
		{"keys out of order", 10,
			RangeResponse{Header: ResponseHeader{Revision: 30}, Kvs: []KeyValue{kvAt("a", 13), kvAt("b", 12)}}, "", 0, false, "not in order of change"},
		{"an etcd behind the follower", 40,
			RangeResponse{Header: ResponseHeader{Revision: 30}}, "", 0, false, "reload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ReadChanges(&tt.resp, tt.since)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, kv := range c.KVs {
				keys = append(keys, string(kv.Key))
			}
			if strings.Join(keys, " ") != tt.keys || c.Revision != tt.revision || c.More != tt.more {
				t.Errorf("got keys %q revision %d more %v; want %q %d %v", keys, c.Revision, c.More, tt.keys, tt.revision, tt.more)
			}
		})
	}
	if _, err := ReadChanges(&RangeResponse{More: true, Kvs: []KeyValue{kvAt("a", 5), kvAt("b", 5)}}, 1); !errors.Is(err, ErrPageTooSmall) {
		t.Errorf("err = %v, want ErrPageTooSmall", err)
	}
}

func TestNextReload(t *testing.T) {
	first := Reload([]byte("a/"), []byte("a0"), 2)
	if first.Revision != 0 || first.MinModRevision != 0 || first.Limit != 2 {
		t.Fatalf("first page = %+v", first)
	}
	resp := &RangeResponse{Header: ResponseHeader{Revision: 50}, More: true, Kvs: []KeyValue{kvAt("a/1", 3), kvAt("a/2", 4)}}
	next, rev, done := NextReload(first, resp)
	if done || rev != 50 || next.Revision != 50 || string(next.Key) != "a/2\x00" || string(next.RangeEnd) != "a0" || next.Limit != 2 {
		t.Fatalf("next = %+v, revision %d, done %v", next, rev, done)
	}
	// Later pages stay pinned to the first page's revision, whatever revision etcd is at.
	_, rev, done = NextReload(next, &RangeResponse{Header: ResponseHeader{Revision: 57}, Kvs: []KeyValue{kvAt("a/3", 55)}})
	if !done || rev != 50 {
		t.Fatalf("revision %d, done %v; want 50, true", rev, done)
	}
}

func TestTombstone(t *testing.T) {
	if !(KeyValue{Key: []byte("a")}).IsTombstone() || (KeyValue{Key: []byte("a"), Value: []byte("{}")}).IsTombstone() {
		t.Fatal("IsTombstone")
	}
	if p := Tombstone([]byte("a"), 9); len(p.Value) != 0 || p.Lease != 9 {
		t.Fatalf("Tombstone = %+v", p)
	}
}
