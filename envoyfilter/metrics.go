package envoyfilter

import (
	"fmt"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// counters is core.Metrics on Proxy-Wasm counters: each name is defined once, on first
// use, and its id kept. Envoy shows them as stats with the names core gives.
type counters struct {
	ids map[string]counter
}

type counter struct {
	id proxywasm.MetricCounter
	ok bool // false: the host refused the name; it is not counted
}

func newCounters() *counters { return &counters{ids: map[string]counter{}} }

// Add implements core.Metrics. A counter the host refuses costs a log line, once, and
// never the request: the SDK panics on such errors, so they are recovered here.
func (c *counters) Add(name string, delta uint64) {
	m, seen := c.ids[name]
	if !seen {
		m = defineCounter(name)
		c.ids[name] = m
	}
	if m.ok && delta > 0 {
		if err := increment(m.id, delta); err != nil {
			proxywasm.LogErrorf("exeunt: cannot count %s: %v", name, err)
		}
	}
}

func defineCounter(name string) (c counter) {
	defer func() {
		if r := recover(); r != nil {
			proxywasm.LogErrorf("exeunt: the host refused counter %s, which is not counted: %v", name, r)
			c = counter{}
		}
	}()
	return counter{id: proxywasm.DefineCounterMetric(name), ok: true}
}

func increment(id proxywasm.MetricCounter, delta uint64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	id.Increment(delta)
	return nil
}
