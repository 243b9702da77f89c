package etcdv3

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"github.com/exeunt/exeunt/core/jsonx"
)

// MaxTxnOps is etcd's default cap on the operations in one branch of a transaction
// (--max-txn-ops, 128; embed/config.go DefaultMaxTxnOps).
const MaxTxnOps = 128

// CompareTarget is what a [Compare] looks at; CompareResult how.
type (
	CompareTarget string
	CompareResult string
)

const (
	TargetVersion CompareTarget = "VERSION" // the key's Version (0: absent)
	TargetCreate  CompareTarget = "CREATE"  // its CreateRevision (0: absent)
	TargetMod     CompareTarget = "MOD"     // its ModRevision (0: absent)
	TargetValue   CompareTarget = "VALUE"
	TargetLease   CompareTarget = "LEASE"

	Equal    CompareResult = "EQUAL"
	Greater  CompareResult = "GREATER"
	Less     CompareResult = "LESS"
	NotEqual CompareResult = "NOT_EQUAL"
)

// Compare is one condition of a transaction (rpc.proto Compare): the Target of Key (or of
// every key in [Key, RangeEnd)) compared with Number (VERSION, CREATE, MOD, LEASE) or Value
// (VALUE). An absent key has version, create and mod revision 0, so "CREATE EQUAL 0" means
// "the key does not exist".
type Compare struct {
	Key      []byte
	RangeEnd []byte
	Target   CompareTarget
	Result   CompareResult
	Number   int64
	Value    []byte
}

// EncodeJSON writes the compare with its target_union member named after Target, always,
// even when it is zero: a compare on "create_revision 0" must say so. An unknown Target
// (which check refuses first) is written as no member.
func (c Compare) EncodeJSON(w *jsonx.Writer) {
	w.ObjectStart()
	w.Key("key")
	w.Bytes64(c.Key)
	bytesOmitEmpty(w, "range_end", c.RangeEnd)
	w.Key("target")
	w.String(string(c.Target))
	w.Key("result")
	w.String(string(c.Result))
	n := strconv.FormatInt(c.Number, 10)
	switch c.Target {
	case TargetVersion:
		w.Key("version")
		w.String(n)
	case TargetCreate:
		w.Key("create_revision")
		w.String(n)
	case TargetMod:
		w.Key("mod_revision")
		w.String(n)
	case TargetValue:
		w.Key("value")
		w.String(base64.StdEncoding.EncodeToString(c.Value))
	case TargetLease:
		w.Key("lease")
		w.String(n)
	}
	w.ObjectEnd()
}

// MarshalJSON is EncodeJSON for encoding/json (the tests' differential checks), which
// refuses an unknown Target.
func (c Compare) MarshalJSON() ([]byte, error) {
	switch c.Target {
	case TargetVersion, TargetCreate, TargetMod, TargetValue, TargetLease:
		return jsonx.Marshal(c)
	}
	return nil, fmt.Errorf("etcdv3: unknown compare target %q", c.Target)
}

func (c Compare) check() error {
	if len(c.Key) == 0 {
		return errors.New("a compare needs a key")
	}
	switch c.Target {
	case TargetVersion, TargetCreate, TargetMod, TargetLease, TargetValue:
	default:
		return fmt.Errorf("unknown compare target %q", c.Target)
	}
	switch c.Result {
	case Equal, Greater, Less, NotEqual:
	default:
		return fmt.Errorf("unknown compare result %q", c.Result)
	}
	if c.Target != TargetValue && c.Number < 0 {
		return errors.New("a compared revision, version or lease is never negative")
	}
	return nil
}

// TxnOp is one operation of a transaction branch (rpc.proto RequestOp): exactly one of its
// fields is set.
type TxnOp struct {
	Range       *RangeRequest       `json:"request_range,omitempty"`
	Put         *PutRequest         `json:"request_put,omitempty"`
	DeleteRange *DeleteRangeRequest `json:"request_delete_range,omitempty"`
}

func (o TxnOp) check() error {
	n := 0
	var err error
	if o.Range != nil {
		n++
		err = o.Range.check()
	}
	if o.Put != nil {
		n++
		err = o.Put.check()
	}
	if o.DeleteRange != nil {
		n++
		err = o.DeleteRange.check()
	}
	if n != 1 {
		return fmt.Errorf("a transaction operation must be exactly one of range, put and delete, not %d", n)
	}
	return err
}

// TxnRequest is an atomic "if every Compare holds, do Success, else do Failure"
// (rpc.proto TxnRequest; POST /v3/kv/txn), all at one revision. A branch may not write the
// same key twice ([ErrDuplicateKey]).
type TxnRequest struct {
	Compare []Compare `json:"compare,omitempty"`
	Success []TxnOp   `json:"success,omitempty"`
	Failure []TxnOp   `json:"failure,omitempty"`
}

func (*TxnRequest) endpoint() string { return "/kv/txn" }

func (r *TxnRequest) check() error {
	if len(r.Success) > MaxTxnOps || len(r.Failure) > MaxTxnOps || len(r.Compare) > MaxTxnOps {
		return fmt.Errorf("a transaction has at most %d compares and %d operations per branch (etcd's default --max-txn-ops)", MaxTxnOps, MaxTxnOps)
	}
	for i, c := range r.Compare {
		if err := c.check(); err != nil {
			return fmt.Errorf("compare %d: %w", i, err)
		}
	}
	for i, o := range r.Success {
		if err := o.check(); err != nil {
			return fmt.Errorf("success operation %d: %w", i, err)
		}
	}
	for i, o := range r.Failure {
		if err := o.check(); err != nil {
			return fmt.Errorf("failure operation %d: %w", i, err)
		}
	}
	return nil
}

// TxnResponse is the answer to a [TxnRequest]: which branch ran, and one response per
// operation of that branch, in order.
type TxnResponse struct {
	Header    ResponseHeader  `json:"header"`
	Succeeded bool            `json:"succeeded"`
	Responses []TxnResponseOp `json:"responses"`
}

// TxnResponseOp is one operation's answer (rpc.proto ResponseOp).
type TxnResponseOp struct {
	Range       *RangeResponse       `json:"response_range"`
	Put         *PutResponse         `json:"response_put"`
	DeleteRange *DeleteRangeResponse `json:"response_delete_range"`
}

// CreateIfAbsent puts key=value (with lease, 0 for none) only if the key does not exist,
// and otherwise reads it: a single-use claim (a logout token's jti, a sign-in state) or the
// first writer of a record. On a lost race the answer is not Succeeded and its one
// response is the range with the key as it stands.
func CreateIfAbsent(key, value []byte, lease int64) TxnRequest {
	return TxnRequest{
		Compare: []Compare{{Key: key, Target: TargetCreate, Result: Equal, Number: 0}},
		Success: []TxnOp{{Put: &PutRequest{Key: key, Value: value, Lease: lease}}},
		Failure: []TxnOp{{Range: &RangeRequest{Key: key}}},
	}
}

// CompareAndSwap puts key=value (with lease) only if the key's ModRevision is still
// modRevision, the one its writer read (0: the key must be absent), and otherwise reads it:
// an update that loses no concurrent write, such as a replica taking over a delivery job
// whose lease another replica let lapse. On a conflict the answer is not Succeeded and its
// one response is the range with the key's current state, to decide again from.
func CompareAndSwap(key []byte, modRevision int64, value []byte, lease int64) TxnRequest {
	return TxnRequest{
		Compare: []Compare{{Key: key, Target: TargetMod, Result: Equal, Number: modRevision}},
		Success: []TxnOp{{Put: &PutRequest{Key: key, Value: value, Lease: lease}}},
		Failure: []TxnOp{{Range: &RangeRequest{Key: key}}},
	}
}

// CompareAndDelete deletes key only if its ModRevision is still modRevision, and otherwise
// reads it: a job finished by the replica that holds it, and not by one that lost it.
func CompareAndDelete(key []byte, modRevision int64) TxnRequest {
	return TxnRequest{
		Compare: []Compare{{Key: key, Target: TargetMod, Result: Equal, Number: modRevision}},
		Success: []TxnOp{{DeleteRange: &DeleteRangeRequest{Key: key}}},
		Failure: []TxnOp{{Range: &RangeRequest{Key: key}}},
	}
}

// Current is, for the answer to [CreateIfAbsent], [CompareAndSwap] or [CompareAndDelete]
// that did not succeed, the key as it stood when the transaction was refused (nil: absent,
// which can happen when a CompareAndSwap expected a key that has since gone).
func (r *TxnResponse) Current() *KeyValue {
	if r.Succeeded || len(r.Responses) == 0 || r.Responses[0].Range == nil || len(r.Responses[0].Range.Kvs) == 0 {
		return nil
	}
	return &r.Responses[0].Range.Kvs[0]
}
