package etcdv3

import (
	"fmt"

	"github.com/exeunt/exeunt/core/jsonx"
)

// DefaultAPIPrefix is where etcd's gRPC-gateway serves the v3 API. etcd 3.4 (Debian 12's
// etcd-server) mounts the gateway under "/v3/" and rewrites a "/v3beta/" path to "/v3/" for
// older clients (v3.4.23 embed/serve.go, createMux and accessController.ServeHTTP; checked
// against the running 3.4.23, where "/v3alpha/" is a 404); etcd's main branch still mounts
// "/v3/" and rewrites "/v3beta/" (server/embed/serve.go).
// Every path in the package is relative to it.
const DefaultAPIPrefix = "/v3"

// MaxRequestBytes is the largest body [Gateway.Request] builds: etcd's own default limit on a
// request (--max-request-bytes, 1.5 MiB; embed/config.go DefaultMaxRequestBytes). A bigger
// request would be refused by etcd with [ErrRequestTooLarge] after travelling there.
const MaxRequestBytes = 1536 * 1024

// Gateway builds the HTTP requests for one etcd cluster's JSON gateway.
type Gateway struct {
	// APIPrefix is the gateway's path prefix, [DefaultAPIPrefix] when empty.
	APIPrefix string
}

// Request is one call to the gateway, for whoever does the I/O (in Exeunt, a Proxy-Wasm
// HTTP callout through an Envoy cluster): always a POST of a JSON body.
type Request struct {
	Method string // always "POST"
	Path   string // for example "/v3/kv/range"
	// Headers are the request headers, as ordered pairs: content-type, and authorization
	// when a token is given.
	Headers [][2]string
	Body    []byte
}

// Op is one gateway call's request message: [RangeRequest], [PutRequest],
// [DeleteRangeRequest], [TxnRequest], [LeaseGrantRequest], [LeaseRevokeRequest],
// [LeaseKeepAliveRequest], [LeaseTimeToLiveRequest], [AuthenticateRequest] or
// [CompactionRequest], as a pointer (&RangeRequest{...}). Their methods have pointer
// receivers: with value receivers Go also compiles a pointer wrapper of each method of a
// type held in an interface, 14 KB of the module's code for these (BENCHMARKS.md, "Issue
// 15: Exeunt's own code, cut by function").
type Op interface {
	// endpoint is the path under the API prefix, from the rpc's google.api.http option in
	// etcd's etcdserverpb/rpc.proto.
	endpoint() string
	// check refuses a message etcd would refuse, or that would mean something else than
	// intended (an empty key ranges over nothing, a zero TTL is no lease).
	check() error
	// EncodeJSON writes the message as the gateway reads it (json.go).
	EncodeJSON(w *jsonx.Writer)
}

// Request builds the HTTP request for op. token, when not empty, is a token from
// [AuthenticateRequest] and goes in the authorization header, where etcd 3.4 reads it (its
// auth/store.go AuthInfoFromCtx takes the gRPC metadata "token", else "authorization", which
// the gateway fills from the HTTP Authorization header), as is, without "Bearer".
func (g Gateway) Request(op Op, token string) (Request, error) {
	if op == nil {
		return Request{}, fmt.Errorf("etcdv3: no request message")
	}
	path := g.prefix() + op.endpoint()
	if err := op.check(); err != nil {
		return Request{}, fmt.Errorf("etcdv3: %s: %w", path, err)
	}
	if err := checkToken(token); err != nil {
		return Request{}, fmt.Errorf("etcdv3: %s: %w", path, err)
	}
	body, err := jsonx.Marshal(op)
	if err != nil {
		return Request{}, fmt.Errorf("etcdv3: %s: encoding the request: %w", path, err)
	}
	if len(body) > MaxRequestBytes {
		return Request{}, fmt.Errorf("etcdv3: %s: the request is %d bytes, over etcd's default limit of %d: split it", path, len(body), MaxRequestBytes)
	}
	headers := [][2]string{{"content-type", "application/json"}}
	if token != "" {
		headers = append(headers, [2]string{"authorization", token})
	}
	return Request{Method: "POST", Path: path, Headers: headers, Body: body}, nil
}

func (g Gateway) prefix() string {
	if g.APIPrefix == "" {
		return DefaultAPIPrefix
	}
	return g.APIPrefix
}

// checkToken keeps a token that could not be a header value (etcd's simple tokens are
// letters, digits and a dot; JWT tokens base64url and dots) out of the request.
func checkToken(token string) error {
	if len(token) > 4096 {
		return fmt.Errorf("the auth token is %d bytes long: not a token etcd issued", len(token))
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("the auth token has a byte (0x%02x) a header value cannot carry: not a token etcd issued", c)
		}
	}
	return nil
}
