package hostsim

import (
	"context"
	"sync"
)

// sharedData is the key-value store every VM of the host shares (Envoy
// shares it across worker threads, scoped by vm_id; one Host runs one vm_id).
// It follows cpp-host's SharedData (src/shared_data.cc@09e5f8d, the same at
// beb8a4ec): every write of any key, in any vm_id, takes the next value of
// one process-wide CAS counter (nextCas: starts at 1, skips 0); a write
// naming a non-zero CAS fails with CasMismatch only when the key exists with
// another CAS; a non-zero CAS on a missing key still writes.
type sharedData struct {
	mu   sync.Mutex
	data map[string]sharedValue
}

type sharedValue struct {
	value []byte
	cas   uint32
}

func (d *sharedData) init() { d.data = map[string]sharedValue{} }

func (d *sharedData) get(key string) (sharedValue, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.data[key]
	return v, ok
}

func (d *sharedData) set(key string, value []byte, cas uint32) Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur, exists := d.data[key]
	if exists && cas != 0 && cur.cas != cas {
		return StatusCasMismatch
	}
	d.data[key] = sharedValue{value: append([]byte(nil), value...), cas: nextCas()}
	return StatusOK
}

// casCounter is cpp-host's cas_: one counter for the whole process (its
// SharedData is a process-wide singleton, getGlobalSharedData).
var (
	casMu      sync.Mutex
	casCounter uint32 = 1
)

func nextCas() uint32 {
	casMu.Lock()
	defer casMu.Unlock()
	c := casCounter
	casCounter++
	if casCounter == 0 { // 0 is not a valid CAS value
		casCounter++
	}
	return c
}

// SharedData returns the value and CAS of a shared-data key, for tests.
func (h *Host) SharedData(key string) (value []byte, cas uint32, ok bool) {
	v, ok := h.shared.get(key)
	return append([]byte(nil), v.value...), v.cas, ok
}

// SharedDataKeys returns how many keys the shared data holds.
func (h *Host) SharedDataKeys() int {
	h.shared.mu.Lock()
	defer h.shared.mu.Unlock()
	return len(h.shared.data)
}

// proxy_get_shared_data(key_ptr, key_size, return_value_ptr_ptr,
// return_value_size_ptr, return_cas_ptr) -> status
//
// NotFound for a key never set.
func hostGetSharedData(ctx context.Context, v *vm, p []uint64) Status {
	key, ok := v.readString(uint32(p[0]), uint32(p[1]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	val, found := v.host.shared.get(key)
	if !found {
		return StatusNotFound
	}
	if st := v.writeOut(ctx, val.value, uint32(p[2]), uint32(p[3])); st != StatusOK {
		return st
	}
	return v.writeU32(uint32(p[4]), val.cas)
}

// proxy_set_shared_data(key_ptr, key_size, value_ptr, value_size, cas) -> status
//
// cas 0 writes unconditionally; any other cas must be the key's current one
// when the key exists (a missing key is written whatever the cas).
func hostSetSharedData(ctx context.Context, v *vm, p []uint64) Status {
	key, ok1 := v.readString(uint32(p[0]), uint32(p[1]))
	val, ok2 := v.read(uint32(p[2]), uint32(p[3]))
	if !ok1 || !ok2 {
		return StatusInvalidMemoryAccess
	}
	return v.host.shared.set(key, val, uint32(p[4]))
}
