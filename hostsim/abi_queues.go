package hostsim

import (
	"context"
	"sync"
)

// sharedQueues are the host's named queues, keyed by vm_id and name. The VM
// that registered a queue last is its owner and is told, through
// proxy_on_queue_ready, when something is enqueued; any VM may dequeue.
type sharedQueues struct {
	mu     sync.Mutex
	byName map[queueKey]uint32
	byID   map[uint32]*queue
	nextID uint32
}

type queueKey struct{ vmID, name string }

type queue struct {
	items [][]byte
	owner *vm
}

func (q *sharedQueues) init() {
	q.byName = map[queueKey]uint32{}
	q.byID = map[uint32]*queue{}
	q.nextID = 1
}

// proxy_register_shared_queue(name_ptr, name_size, return_id_ptr) -> status
func hostRegisterSharedQueue(ctx context.Context, v *vm, p []uint64) Status {
	name, ok := v.readString(uint32(p[0]), uint32(p[1]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	q := &v.host.queues
	q.mu.Lock()
	key := queueKey{v.host.opts.VMID, name}
	id, exists := q.byName[key]
	if !exists {
		id = q.nextID
		q.nextID++
		q.byName[key] = id
		q.byID[id] = &queue{}
	}
	q.byID[id].owner = v
	q.mu.Unlock()
	return v.writeU32(uint32(p[2]), id)
}

// proxy_resolve_shared_queue(vm_id_ptr, vm_id_size, name_ptr, name_size,
// return_id_ptr) -> status
//
// NotFound when no VM registered that queue.
func hostResolveSharedQueue(ctx context.Context, v *vm, p []uint64) Status {
	vmID, ok1 := v.readString(uint32(p[0]), uint32(p[1]))
	name, ok2 := v.readString(uint32(p[2]), uint32(p[3]))
	if !ok1 || !ok2 {
		return StatusInvalidMemoryAccess
	}
	q := &v.host.queues
	q.mu.Lock()
	id, ok := q.byName[queueKey{vmID, name}]
	q.mu.Unlock()
	if !ok {
		return StatusNotFound
	}
	return v.writeU32(uint32(p[4]), id)
}

// proxy_enqueue_shared_queue(queue_id, value_ptr, value_size) -> status
//
// Appends the value and schedules proxy_on_queue_ready on the owner VM. The
// notification runs later on its own goroutine (Envoy posts it to the
// owner's worker thread), never inside the enqueuing call.
func hostEnqueueSharedQueue(ctx context.Context, v *vm, p []uint64) Status {
	val, ok := v.read(uint32(p[1]), uint32(p[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	id := uint32(p[0])
	q := &v.host.queues
	q.mu.Lock()
	qu, ok := q.byID[id]
	if !ok {
		q.mu.Unlock()
		return StatusNotFound
	}
	qu.items = append(qu.items, append([]byte(nil), val...))
	owner := qu.owner
	q.mu.Unlock()
	h := v.host
	if h.isClosed() {
		// Close is waiting for asynchronous work to end: notify no one.
		return StatusOK
	}
	h.async.Add(1)
	go func() {
		defer h.async.Done()
		select {
		case <-h.closed:
			return
		default:
		}
		owner.mu.Lock()
		defer owner.mu.Unlock()
		owner.withContext(rootContextID)
		owner.call(owner.fns.queueReady, "proxy_on_queue_ready", rootContextID, uint64(id))
	}()
	return StatusOK
}

// proxy_dequeue_shared_queue(queue_id, return_value_ptr_ptr,
// return_value_size_ptr) -> status
//
// Empty when the queue has nothing; NotFound for an unknown queue.
func hostDequeueSharedQueue(ctx context.Context, v *vm, p []uint64) Status {
	q := &v.host.queues
	q.mu.Lock()
	qu, ok := q.byID[uint32(p[0])]
	if !ok {
		q.mu.Unlock()
		return StatusNotFound
	}
	if len(qu.items) == 0 {
		q.mu.Unlock()
		return StatusEmpty
	}
	item := qu.items[0]
	qu.items = qu.items[1:]
	q.mu.Unlock()
	return v.writeOut(ctx, item, uint32(p[1]), uint32(p[2]))
}
