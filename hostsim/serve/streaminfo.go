package serve

import (
	"context"
	"sync"
)

// streamInfo is what the router learns about a request that the listener
// reports afterwards (Envoy's StreamInfo): the endpoint it went to and the
// access log's response flag. It travels in the request's context, through
// the filters, to the router.
type streamInfo struct {
	mu           sync.Mutex
	upstreamHost string
	flag         string
	// onUpstream and onResponse, when set, are told when the router sends the request and
	// when the upstream's response begins (the connection manager's timers).
	onUpstream, onResponse func()
}

func (i *streamInfo) upstreamSent() {
	if i != nil && i.onUpstream != nil {
		i.onUpstream()
	}
}

func (i *streamInfo) responseBegan() {
	if i != nil && i.onResponse != nil {
		i.onResponse()
	}
}

type streamInfoKey struct{}

func withStreamInfo(ctx context.Context, info *streamInfo) context.Context {
	return context.WithValue(ctx, streamInfoKey{}, info)
}

func streamInfoFrom(ctx context.Context) *streamInfo {
	info, _ := ctx.Value(streamInfoKey{}).(*streamInfo)
	return info
}

func (i *streamInfo) setUpstreamHost(h string) {
	i.mu.Lock()
	i.upstreamHost = h
	i.mu.Unlock()
}

func (i *streamInfo) setFlag(f string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	i.flag = f
	i.mu.Unlock()
}

func (i *streamInfo) get() (upstreamHost, flag string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.upstreamHost, i.flag
}
