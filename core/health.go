package core

// health answers the health check. It reports that the filter is loaded, configured and
// answering, which is what a load balancer probing through Envoy needs to know; it says
// nothing about the upstreams. The answer must never be cached, or a probe could be
// told "ok" by a cache after the filter is gone. The endpoint table (own_endpoints.go)
// lets only GET and HEAD through; head says which.
func health(head bool) Decision {
	r := &Response{
		Status: 200,
		Headers: []Header{
			{Name: "content-type", Value: "application/json"},
			{Name: "cache-control", Value: "no-store"},
		},
		Body: []byte(`{"status":"ok"}`),
	}
	if head {
		r.Body = nil // same headers as GET, no body (RFC 9110, section 9.3.2)
	}
	return Respond(r)
}

// healthRefused answers another method at the health path: the path belongs to the
// filter, so the request is refused here rather than passed to an upstream that knows
// nothing about it.
func healthRefused() Decision {
	return Respond(&Response{
		Status: 405,
		Headers: []Header{
			{Name: "allow", Value: "GET, HEAD"},
			{Name: "cache-control", Value: "no-store"},
		},
	})
}

// NotConfigured answers requests that reach a plugin whose configuration was rejected.
// Envoy should never send any (a plugin that fails to start serves nothing), but if one
// arrives it is refused rather than let through unchecked.
func NotConfigured() Decision {
	return Respond(&Response{
		Status: 503,
		Headers: []Header{
			{Name: "content-type", Value: "text/plain; charset=utf-8"},
			{Name: "cache-control", Value: "no-store"},
		},
		Body: []byte("exeunt is not configured; see the Envoy log\n"),
	})
}

// RequestUnreadable answers a request whose headers the glue could not read from the
// host. Deciding about an empty request instead would let it through with nothing
// checked or stripped, so it is refused like a request to an unconfigured plugin.
func RequestUnreadable() Decision {
	return Respond(&Response{
		Status: 503,
		Headers: []Header{
			{Name: "content-type", Value: "text/plain; charset=utf-8"},
			{Name: "cache-control", Value: "no-store"},
		},
		Body: []byte("exeunt cannot read this request; see the Envoy log\n"),
	})
}
