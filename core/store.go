package core

import (
	"errors"
	"sync"
)

// Store is the state Exeunt keeps outside the cookie: provider metadata and keys,
// revocations, single-use markers, later logout contexts and the delivery queue. In
// Envoy it is Proxy-Wasm shared data, shared by the VMs of every worker thread.
//
// Contract: Get returns ErrNotFound for a key never set. Set with version 0 writes
// unconditionally; with the version Get returned it writes only if nobody wrote in
// between, else it returns ErrConflict and the caller re-reads and retries. Values are
// copied in both directions. The store has no expiry of its own: values carry theirs.
type Store interface {
	Get(key string) (value []byte, version uint32, err error)
	Set(key string, value []byte, version uint32) error
}

var (
	// ErrNotFound: the key was never set.
	ErrNotFound = errors.New("exeunt store: not found")
	// ErrConflict: the key changed since it was read.
	ErrConflict = errors.New("exeunt store: version conflict")
)

// MemoryStore is a Store in memory with the same semantics as Proxy-Wasm shared data,
// for tests and for tools that run the engine outside Envoy.
type MemoryStore struct {
	mu   sync.Mutex
	data map[string]memoryValue
}

type memoryValue struct {
	value   []byte
	version uint32
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{data: map[string]memoryValue{}} }

// Get implements Store.
func (m *MemoryStore) Get(key string) ([]byte, uint32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.data[key]
	if !ok {
		return nil, 0, ErrNotFound
	}
	return append([]byte(nil), v.value...), v.version, nil
}

// Set implements Store.
func (m *MemoryStore) Set(key string, value []byte, version uint32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.data[key]
	if version != 0 && (!ok || cur.version != version) {
		return ErrConflict
	}
	m.data[key] = memoryValue{append([]byte(nil), value...), cur.version + 1}
	return nil
}
