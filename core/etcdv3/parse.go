package etcdv3

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/exeunt/exeunt/core/jsonx"
)

// MaxResponseBytes is the largest answer the Parse methods read: a range that could return
// more must be paged with a Limit (see [ChangesSince]). A larger body is refused, never cut.
const MaxResponseBytes = 4 << 20

// The Parse methods read the gateway's answer to the request of the same name: status is
// the HTTP status and body the whole body. A refusal from etcd comes back as an [*Error]
// (match it with errors.Is against [ErrCompacted], [ErrInvalidAuthToken], ...), and so does
// an answer that is not etcd's JSON (an Envoy 503, an empty body, another server).

// ParseRange reads the answer to a [RangeRequest].
func (g Gateway) ParseRange(status int, body []byte) (*RangeResponse, error) {
	var r RangeResponse
	return &r, g.parse((&RangeRequest{}).endpoint(), status, body, &r, &r.Header)
}

// ParsePut reads the answer to a [PutRequest].
func (g Gateway) ParsePut(status int, body []byte) (*PutResponse, error) {
	var r PutResponse
	return &r, g.parse((&PutRequest{}).endpoint(), status, body, &r, &r.Header)
}

// ParseDeleteRange reads the answer to a [DeleteRangeRequest].
func (g Gateway) ParseDeleteRange(status int, body []byte) (*DeleteRangeResponse, error) {
	var r DeleteRangeResponse
	return &r, g.parse((&DeleteRangeRequest{}).endpoint(), status, body, &r, &r.Header)
}

// ParseTxn reads the answer to a [TxnRequest]. A transaction whose compares failed is not
// an error: its Succeeded is false.
func (g Gateway) ParseTxn(status int, body []byte) (*TxnResponse, error) {
	var r TxnResponse
	return &r, g.parse((&TxnRequest{}).endpoint(), status, body, &r, &r.Header)
}

// ParseLeaseGrant reads the answer to a [LeaseGrantRequest].
func (g Gateway) ParseLeaseGrant(status int, body []byte) (*LeaseGrantResponse, error) {
	var r LeaseGrantResponse
	path := (&LeaseGrantRequest{}).endpoint()
	if err := g.parse(path, status, body, &r, &r.Header); err != nil {
		return &r, err
	}
	if r.Error != "" || r.ID <= 0 {
		return &r, g.notEtcd(path, status, "a lease grant without a lease: "+excerpt([]byte(r.Error)))
	}
	return &r, nil
}

// ParseLeaseRevoke reads the answer to a [LeaseRevokeRequest].
func (g Gateway) ParseLeaseRevoke(status int, body []byte) (*LeaseRevokeResponse, error) {
	var r LeaseRevokeResponse
	return &r, g.parse((&LeaseRevokeRequest{}).endpoint(), status, body, &r, &r.Header)
}

// ParseLeaseKeepAlive reads the answer to a [LeaseKeepAliveRequest]: the one message of the
// stream, {"result": {...}}, or {"error": {...}}. A lease that is gone is [ErrLeaseNotFound].
func (g Gateway) ParseLeaseKeepAlive(status int, body []byte) (*LeaseKeepAliveResponse, error) {
	path := (&LeaseKeepAliveRequest{}).endpoint()
	var wrapper keepAliveMessage
	if err := g.parse(path, status, body, &wrapper, nil); err != nil {
		return nil, err
	}
	switch {
	case wrapper.Error != nil:
		return nil, newError(g.prefix()+path, status, Code(wrapper.Error.GRPCCode), wrapper.Error.Message)
	case wrapper.Result == nil || wrapper.Result.Header.Revision <= 0:
		return nil, g.notEtcd(path, status, "a keepalive answer without a result")
	case wrapper.Result.TTL <= 0:
		// v3rpc/lease.go leaseKeepAlive answers a lease that is gone with TTL 0.
		return wrapper.Result, newError(g.prefix()+path, status, CodeNotFound, "etcdserver: requested lease not found")
	}
	return wrapper.Result, nil
}

// ParseLeaseTimeToLive reads the answer to a [LeaseTimeToLiveRequest]. A lease that is gone
// is [ErrLeaseNotFound]. A live lease with under a second left has TTL 0.
func (g Gateway) ParseLeaseTimeToLive(status int, body []byte) (*LeaseTimeToLiveResponse, error) {
	var r LeaseTimeToLiveResponse
	path := (&LeaseTimeToLiveRequest{}).endpoint()
	if err := g.parse(path, status, body, &r, &r.Header); err != nil {
		return &r, err
	}
	if r.TTL < 0 {
		// v3rpc/lease.go LeaseTimeToLive answers a lease that is gone with TTL -1.
		return &r, newError(g.prefix()+path, status, CodeNotFound, "etcdserver: requested lease not found")
	}
	return &r, nil
}

// ParseAuthenticate reads the answer to an [AuthenticateRequest].
func (g Gateway) ParseAuthenticate(status int, body []byte) (*AuthenticateResponse, error) {
	var r AuthenticateResponse
	path := (&AuthenticateRequest{}).endpoint()
	// A 200 answer carries a token: no error message quotes it.
	withheld := func([]byte) string { return "(body withheld: it may hold a token)" }
	if err := g.decode(path, status, body, &r, &r.Header, withheld); err != nil {
		return &r, err
	}
	if err := checkToken(r.Token); err != nil || r.Token == "" {
		return &r, g.notEtcd(path, status, "an authentication answer without a usable token")
	}
	return &r, nil
}

// ParseCompaction reads the answer to a [CompactionRequest].
func (g Gateway) ParseCompaction(status int, body []byte) (*CompactionResponse, error) {
	var r CompactionResponse
	return &r, g.parse((&CompactionRequest{}).endpoint(), status, body, &r, &r.Header)
}

// parse decodes a 200 answer into v, and anything else into an *Error. header, when not nil,
// must have a revision: every answer of etcd's has one, so a 200 without it is not etcd's.
func (g Gateway) parse(endpoint string, status int, body []byte, v jsonx.Unmarshaler, header *ResponseHeader) error {
	return g.decode(endpoint, status, body, v, header, excerpt)
}

// decode is parse with show saying what of a body an error message may quote.
func (g Gateway) decode(endpoint string, status int, body []byte, v jsonx.Unmarshaler, header *ResponseHeader, show func([]byte) string) error {
	if len(body) > MaxResponseBytes {
		return g.notEtcd(endpoint, status, fmt.Sprintf("an answer of %d bytes, over the %d bytes read: page the range with a limit", len(body), MaxResponseBytes))
	}
	if status != 200 {
		return g.errorFrom(endpoint, status, body)
	}
	// A 200 body that is JSON may hold records (or a token): its content is never quoted,
	// only that of a body that is not JSON at all (a page from something else than etcd).
	if !jsonx.Valid(body) {
		return g.notEtcd(endpoint, status, "a body that is not JSON: "+show(body))
	}
	if err := jsonx.Unmarshal(body, v); err != nil {
		// A reader's messages may quote the value; only the field's name is safe to say.
		what := "a field of another type"
		var typeErr *jsonx.TypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			what = fmt.Sprintf("field %q is not of type %s", typeErr.Field, typeErr.Type)
		}
		return g.notEtcd(endpoint, status, "JSON that is not the gateway's answer: "+what)
	}
	if header != nil && header.Revision <= 0 {
		return g.notEtcd(endpoint, status, "an answer without a header revision")
	}
	return nil
}

// envoyConnectFailure begins Envoy's local reply when the cluster's connection failed (the
// router's onUpstreamReset). Since envoyproxy/envoy#44746 (v1.39; v1.38 by backport) it no
// longer says why, so the error says where to look.
const (
	envoyConnectFailure = "upstream connect error or disconnect/reset before headers. reset reason: "
	connectFailureHint  = " (Envoy got no answer from etcd through store.etcd.cluster: etcd down, or TLS to etcd failing:" +
		" trusted_ca or the SAN matcher against etcd's certificate, or etcd refusing the client certificate;" +
		" Envoy's debug log names a TLS error, etcd's log what it refused)"
)

// errorFrom reads the gateway's error body, {"error": "...", "message": "...", "code": N}
// (grpc-gateway v1 runtime.DefaultHTTPError; "error" repeats the message).
func (g Gateway) errorFrom(endpoint string, status int, body []byte) error {
	var e gatewayError
	if err := jsonx.Unmarshal(body, &e); err != nil || e.Code == nil || (e.Message == nil && e.Error == nil) {
		what := excerpt(body)
		if status == 503 && bytes.HasPrefix(body, []byte(envoyConnectFailure)) {
			what += connectFailureHint
		}
		return g.notEtcd(endpoint, status, what)
	}
	message := ""
	if e.Message != nil {
		message = *e.Message
	} else {
		message = *e.Error
	}
	return newError(g.prefix()+endpoint, status, Code(*e.Code), message)
}

func (g Gateway) notEtcd(endpoint string, status int, what string) *Error {
	return &Error{Path: g.prefix() + endpoint, HTTPStatus: status, Code: CodeUnknown, Message: what, NotEtcd: true}
}

// excerpt is the start of a body for an error message: at most 200 bytes, valid UTF-8, on
// one line.
func excerpt(body []byte) string {
	if len(body) == 0 {
		return "(empty body)"
	}
	s := string(body)
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "..."
	}
	s = strings.ToValidUTF8(s, "?")
	return strings.Join(strings.Fields(s), " ")
}

// keepAliveMessage is the one message of the keepalive stream: {"result": {...}}, or
// grpc-gateway v1's runtime.StreamError (etcd 3.4 pins grpc-gateway v1.9.5),
// {"error": {"grpc_code": N, "message": "..."}}.
type keepAliveMessage struct {
	Result *LeaseKeepAliveResponse `json:"result"`
	Error  *streamError            `json:"error"`
}

type streamError struct {
	GRPCCode int    `json:"grpc_code"`
	Message  string `json:"message"`
}

//go:noinline
func (m *keepAliveMessage) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "result":
			return decodePointer(d, &m.Result)
		case "error":
			return decodePointer(d, &m.Error)
		}
		d.Skip()
		return nil
	})
}

//go:noinline
func (e *streamError) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "grpc_code":
			return d.Int(&e.GRPCCode)
		case "message":
			return d.String(&e.Message)
		}
		d.Skip()
		return nil
	})
}

// gatewayError is grpc-gateway v1's runtime.DefaultHTTPError body.
type gatewayError struct {
	Error   *string `json:"error"`
	Message *string `json:"message"`
	Code    *int    `json:"code"`
}

//go:noinline
func (e *gatewayError) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "error":
			return decodeOptional(d, &e.Error, d.String)
		case "message":
			return decodeOptional(d, &e.Message, d.String)
		case "code":
			return decodeOptional(d, &e.Code, d.Int)
		}
		d.Skip()
		return nil
	})
}

// decodeOptional reads a value into *p as encoding/json reads into a pointer: null makes
// it nil, anything else is read into a new (or the present) value.
func decodeOptional[T any](d *jsonx.Decoder, p **T, read func(*T) error) error {
	if d.Null() {
		*p = nil
		return nil
	}
	if *p == nil {
		*p = new(T)
	}
	return read(*p)
}
