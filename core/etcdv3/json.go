package etcdv3

import "github.com/exeunt/exeunt/core/jsonx"

// The gateway's JSON, read and written with core/jsonx (no reflection, no encoding/json in
// the module): each message writes its members in the order of its fields with the
// encoding/json tags they carry (which document the wire names, and which the tests'
// encoding/json still reads), and reads the members it knows, by exact name, as the
// gateway writes them (proto field names); others are skipped.

// The requests.

func (r *RangeRequest) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "key", From: &r.Key},
		jsonx.Out{Name: "range_end", From: &r.RangeEnd, OmitEmpty: true},
		jsonx.Out{Name: "limit", From: jsonx.StringInt64(&r.Limit), OmitEmpty: true},
		jsonx.Out{Name: "revision", From: jsonx.StringInt64(&r.Revision), OmitEmpty: true},
		jsonx.Out{Name: "sort_order", From: (*string)(&r.SortOrder), OmitEmpty: true},
		jsonx.Out{Name: "sort_target", From: (*string)(&r.SortTarget), OmitEmpty: true},
		jsonx.Out{Name: "serializable", From: &r.Serializable, OmitEmpty: true},
		jsonx.Out{Name: "keys_only", From: &r.KeysOnly, OmitEmpty: true},
		jsonx.Out{Name: "count_only", From: &r.CountOnly, OmitEmpty: true},
		jsonx.Out{Name: "min_mod_revision", From: jsonx.StringInt64(&r.MinModRevision), OmitEmpty: true},
		jsonx.Out{Name: "max_mod_revision", From: jsonx.StringInt64(&r.MaxModRevision), OmitEmpty: true},
		jsonx.Out{Name: "min_create_revision", From: jsonx.StringInt64(&r.MinCreateRevision), OmitEmpty: true},
		jsonx.Out{Name: "max_create_revision", From: jsonx.StringInt64(&r.MaxCreateRevision), OmitEmpty: true},
	)
}

func (r *PutRequest) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "key", From: &r.Key},
		jsonx.Out{Name: "value", From: &r.Value, OmitEmpty: true},
		jsonx.Out{Name: "lease", From: jsonx.StringInt64(&r.Lease), OmitEmpty: true},
		jsonx.Out{Name: "prev_kv", From: &r.PrevKv, OmitEmpty: true},
	)
}

func (r *DeleteRangeRequest) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "key", From: &r.Key},
		jsonx.Out{Name: "range_end", From: &r.RangeEnd, OmitEmpty: true},
		jsonx.Out{Name: "prev_kv", From: &r.PrevKv, OmitEmpty: true},
	)
}

func (r *TxnRequest) EncodeJSON(w *jsonx.Writer) {
	w.ObjectStart()
	if len(r.Compare) > 0 {
		w.Key("compare")
		w.ArrayStart()
		for _, c := range r.Compare {
			c.EncodeJSON(w)
		}
		w.ArrayEnd()
	}
	for _, branch := range []struct {
		name string
		ops  []TxnOp
	}{{"success", r.Success}, {"failure", r.Failure}} {
		if len(branch.ops) == 0 {
			continue
		}
		w.Key(branch.name)
		w.ArrayStart()
		for _, o := range branch.ops {
			o.EncodeJSON(w)
		}
		w.ArrayEnd()
	}
	w.ObjectEnd()
}

func (o TxnOp) EncodeJSON(w *jsonx.Writer) {
	w.ObjectStart()
	if o.Range != nil {
		w.Key("request_range")
		o.Range.EncodeJSON(w)
	}
	if o.Put != nil {
		w.Key("request_put")
		o.Put.EncodeJSON(w)
	}
	if o.DeleteRange != nil {
		w.Key("request_delete_range")
		o.DeleteRange.EncodeJSON(w)
	}
	w.ObjectEnd()
}

func (r *LeaseGrantRequest) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "TTL", From: jsonx.StringInt64(&r.TTL)},
		jsonx.Out{Name: "ID", From: jsonx.StringInt64(&r.ID), OmitEmpty: true},
	)
}

func (r *LeaseRevokeRequest) EncodeJSON(w *jsonx.Writer) { encodeLeaseID(w, r.ID) }

func (r *LeaseKeepAliveRequest) EncodeJSON(w *jsonx.Writer) { encodeLeaseID(w, r.ID) }

func encodeLeaseID(w *jsonx.Writer, id int64) {
	w.ObjectStart()
	w.Key("ID")
	w.IntString(id)
	w.ObjectEnd()
}

func (r *LeaseTimeToLiveRequest) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "ID", From: jsonx.StringInt64(&r.ID)},
		jsonx.Out{Name: "keys", From: &r.Keys, OmitEmpty: true},
	)
}

func (r *AuthenticateRequest) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "name", From: &r.Name},
		jsonx.Out{Name: "password", From: &r.Password},
	)
}

func (r *CompactionRequest) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "revision", From: jsonx.StringInt64(&r.Revision)},
		jsonx.Out{Name: "physical", From: &r.Physical, OmitEmpty: true},
	)
}

func bytesOmitEmpty(w *jsonx.Writer, name string, b []byte) {
	if len(b) > 0 {
		w.Key(name)
		w.Bytes64(b)
	}
}

// The answers.

//go:noinline
func (h *ResponseHeader) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "cluster_id", Into: jsonx.StringUint64(&h.ClusterID)},
		jsonx.Field{Name: "member_id", Into: jsonx.StringUint64(&h.MemberID)},
		jsonx.Field{Name: "revision", Into: jsonx.StringInt64(&h.Revision)},
		jsonx.Field{Name: "raft_term", Into: jsonx.StringUint64(&h.RaftTerm)},
	)
}

//go:noinline
func (kv *KeyValue) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "key":
			return d.Bytes(&kv.Key)
		case "create_revision":
			return d.Int64String(&kv.CreateRevision)
		case "mod_revision":
			return d.Int64String(&kv.ModRevision)
		case "version":
			return d.Int64String(&kv.Version)
		case "value":
			return d.Bytes(&kv.Value)
		case "lease":
			return d.Int64String(&kv.Lease)
		}
		d.Skip()
		return nil
	})
}

// decodeKeyValues reads a list of key-values as encoding/json reads it into a slice: null
// makes it nil, [] empty.
func decodeKeyValues(d *jsonx.Decoder, kvs *[]KeyValue) error {
	if d.Null() {
		*kvs = nil
		return nil
	}
	out := []KeyValue{}
	err := d.Array(func() error {
		var kv KeyValue
		err := kv.DecodeJSON(d)
		out = append(out, kv)
		return err
	})
	*kvs = out
	return err
}

// decodePointer reads an object into *p, allocating it, or makes it nil on null.
func decodePointer[T any, P interface {
	*T
	jsonx.Unmarshaler
}](d *jsonx.Decoder, p *P) error {
	if d.Null() {
		*p = nil
		return nil
	}
	if *p == nil {
		*p = new(T)
	}
	return (*p).DecodeJSON(d)
}

//go:noinline
func (r *RangeResponse) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "header":
			return r.Header.DecodeJSON(d)
		case "kvs":
			return decodeKeyValues(d, &r.Kvs)
		case "more":
			return d.Bool(&r.More)
		case "count":
			return d.Int64String(&r.Count)
		}
		d.Skip()
		return nil
	})
}

//go:noinline
func (r *PutResponse) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "header":
			return r.Header.DecodeJSON(d)
		case "prev_kv":
			return decodePointer(d, &r.PrevKv)
		}
		d.Skip()
		return nil
	})
}

//go:noinline
func (r *DeleteRangeResponse) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "header":
			return r.Header.DecodeJSON(d)
		case "deleted":
			return d.Int64String(&r.Deleted)
		case "prev_kvs":
			return decodeKeyValues(d, &r.PrevKvs)
		}
		d.Skip()
		return nil
	})
}

//go:noinline
func (r *TxnResponse) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "header":
			return r.Header.DecodeJSON(d)
		case "succeeded":
			return d.Bool(&r.Succeeded)
		case "responses":
			if d.Null() {
				r.Responses = nil
				return nil
			}
			r.Responses = []TxnResponseOp{}
			return d.Array(func() error {
				var op TxnResponseOp
				err := op.DecodeJSON(d)
				r.Responses = append(r.Responses, op)
				return err
			})
		}
		d.Skip()
		return nil
	})
}

//go:noinline
func (o *TxnResponseOp) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "response_range":
			return decodePointer(d, &o.Range)
		case "response_put":
			return decodePointer(d, &o.Put)
		case "response_delete_range":
			return decodePointer(d, &o.DeleteRange)
		}
		d.Skip()
		return nil
	})
}

//go:noinline
func (r *LeaseGrantResponse) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "header", Into: r.Header.DecodeJSON},
		jsonx.Field{Name: "ID", Into: jsonx.StringInt64(&r.ID)},
		jsonx.Field{Name: "TTL", Into: jsonx.StringInt64(&r.TTL)},
		jsonx.Field{Name: "error", Into: &r.Error},
	)
}

//go:noinline
func (r *LeaseRevokeResponse) DecodeJSON(d *jsonx.Decoder) error {
	return decodeHeaderOnly(d, &r.Header)
}

//go:noinline
func (r *CompactionResponse) DecodeJSON(d *jsonx.Decoder) error {
	return decodeHeaderOnly(d, &r.Header)
}

func decodeHeaderOnly(d *jsonx.Decoder, h *ResponseHeader) error {
	return d.Object(func(name string) error {
		if name == "header" {
			return h.DecodeJSON(d)
		}
		d.Skip()
		return nil
	})
}

//go:noinline
func (r *LeaseKeepAliveResponse) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "header", Into: r.Header.DecodeJSON},
		jsonx.Field{Name: "ID", Into: jsonx.StringInt64(&r.ID)},
		jsonx.Field{Name: "TTL", Into: jsonx.StringInt64(&r.TTL)},
	)
}

//go:noinline
func (r *LeaseTimeToLiveResponse) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "header":
			return r.Header.DecodeJSON(d)
		case "ID":
			return d.Int64String(&r.ID)
		case "TTL":
			return d.Int64String(&r.TTL)
		case "grantedTTL":
			return d.Int64String(&r.GrantedTTL)
		case "keys":
			if d.Null() {
				r.Keys = nil
				return nil
			}
			r.Keys = [][]byte{}
			return d.Array(func() error {
				var k []byte
				err := d.Bytes(&k)
				r.Keys = append(r.Keys, k)
				return err
			})
		}
		d.Skip()
		return nil
	})
}

//go:noinline
func (r *AuthenticateResponse) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "header", Into: r.Header.DecodeJSON},
		jsonx.Field{Name: "token", Into: &r.Token},
	)
}
