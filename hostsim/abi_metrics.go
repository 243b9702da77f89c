package hostsim

import (
	"context"
	"sync"
)

// metricStore holds the metrics every VM defines; as with Envoy's stats, a
// name defined by several VMs is one metric.
type metricStore struct {
	mu     sync.Mutex
	byName map[string]uint32
	byID   map[uint32]*Metric
	nextID uint32
}

// Metric is a metric's state, for tests and the admin view.
type Metric struct {
	Name  string
	Type  MetricType
	Value int64 // counter and gauge
	// Samples holds every value recorded to a histogram.
	Samples []uint64
}

func (m *metricStore) init() {
	m.byName = map[string]uint32{}
	m.byID = map[uint32]*Metric{}
	m.nextID = 1
}

// Metric returns a copy of the named metric.
func (h *Host) Metric(name string) (Metric, bool) {
	h.metrics.mu.Lock()
	defer h.metrics.mu.Unlock()
	id, ok := h.metrics.byName[name]
	if !ok {
		return Metric{}, false
	}
	m := *h.metrics.byID[id]
	m.Samples = append([]uint64(nil), m.Samples...)
	return m, true
}

// Metrics returns a copy of every metric, by name.
func (h *Host) Metrics() map[string]Metric {
	h.metrics.mu.Lock()
	defer h.metrics.mu.Unlock()
	out := make(map[string]Metric, len(h.metrics.byID))
	for _, m := range h.metrics.byID {
		c := *m
		c.Samples = append([]uint64(nil), m.Samples...)
		out[m.Name] = c
	}
	return out
}

// proxy_define_metric(metric_type, name_ptr, name_size, return_id_ptr) -> status
//
// Defining a name again returns the same id; redefining it with another
// type is BadArgument.
func hostDefineMetric(ctx context.Context, v *vm, p []uint64) Status {
	t := MetricType(uint32(p[0]))
	if t > MetricHistogram {
		return StatusBadArgument
	}
	name, ok := v.readString(uint32(p[1]), uint32(p[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	m := &v.host.metrics
	m.mu.Lock()
	id, exists := m.byName[name]
	if exists && m.byID[id].Type != t {
		m.mu.Unlock()
		return StatusBadArgument
	}
	if !exists {
		id = m.nextID
		m.nextID++
		m.byName[name] = id
		m.byID[id] = &Metric{Name: name, Type: t}
	}
	m.mu.Unlock()
	return v.writeU32(uint32(p[3]), id)
}

// proxy_increment_metric(metric_id, offset i64) -> status
//
// Counters only grow (a negative offset is BadArgument); gauges move either
// way; histograms cannot be incremented.
func hostIncrementMetric(ctx context.Context, v *vm, p []uint64) Status {
	offset := int64(p[1])
	return v.host.metrics.update(uint32(p[0]), func(m *Metric) Status {
		switch {
		case m.Type == MetricHistogram, m.Type == MetricCounter && offset < 0:
			return StatusBadArgument
		}
		m.Value += offset
		return StatusOK
	})
}

// proxy_record_metric(metric_id, value u64) -> status
//
// Sets a counter or gauge to the value; adds a sample to a histogram.
func hostRecordMetric(ctx context.Context, v *vm, p []uint64) Status {
	value := p[1]
	return v.host.metrics.update(uint32(p[0]), func(m *Metric) Status {
		if m.Type == MetricHistogram {
			m.Samples = append(m.Samples, value)
		} else {
			m.Value = int64(value)
		}
		return StatusOK
	})
}

// proxy_get_metric(metric_id, return_value_ptr) -> status
//
// Counters and gauges only; a histogram has no single value (BadArgument,
// as in Envoy).
func hostGetMetric(ctx context.Context, v *vm, p []uint64) Status {
	var value int64
	st := v.host.metrics.update(uint32(p[0]), func(m *Metric) Status {
		if m.Type == MetricHistogram {
			return StatusBadArgument
		}
		value = m.Value
		return StatusOK
	})
	if st != StatusOK {
		return st
	}
	return v.writeU64(uint32(p[1]), uint64(value))
}

func (m *metricStore) update(id uint32, f func(*Metric) Status) Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	metric, ok := m.byID[id]
	if !ok {
		return StatusNotFound
	}
	return f(metric)
}
