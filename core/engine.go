package core

import "strings"

// Engine makes Exeunt's decisions for one configuration. It holds no per-request state,
// so one Engine serves every request of a plugin.
type Engine struct {
	cfg *Config
}

// NewEngine returns an Engine for cfg, which must come from ParseConfig.
func NewEngine(cfg *Config) *Engine { return &Engine{cfg: cfg} }

// OnRequestHeaders decides what to do with a request once its headers have arrived.
func (e *Engine) OnRequestHeaders(r Request) Decision {
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
