package core

import (
	"strings"
	"time"
)

// Engine makes Exeunt's decisions for one configuration. It keeps no per-request state;
// what it caches (parsed provider keys, signed assertions) belongs to the VM it runs in,
// so each VM has its own Engine over the shared Store.
type Engine struct {
	cfg   *Config
	store Store
}

// NewEngine returns an Engine for cfg, which must come from ParseConfig, keeping its
// shared state in store.
func NewEngine(cfg *Config, store Store) *Engine { return &Engine{cfg: cfg, store: store} }

// OnRequestHeaders decides what to do with a request once its headers have arrived.
func (e *Engine) OnRequestHeaders(r Request, now time.Time) Decision {
	if pathOnly(r.Path) == e.cfg.healthPath {
		return health(r.Method)
	}
	return Continue()
}

// pathOnly drops the query (and a fragment, which clients should not send), so that a
// cache-busting "?t=123" still reaches the endpoint.
func pathOnly(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		return p[:i]
	}
	return p
}
