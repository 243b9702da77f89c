package core

import (
	"github.com/exeunt/exeunt/core/jsonx"
	"github.com/exeunt/exeunt/core/oidc"
)

// The JSON of Exeunt's own records, sealed values and answers, written and read with
// core/jsonx (no reflection, no encoding/json in the module). Each writer puts the members
// in the order of the type's fields, leaving out what the field's `json:",omitempty"` tag
// says, so that the bytes are those encoding/json wrote (sealed cookies and stored records
// of replicas not yet upgraded read the same; json_test.go holds each type to
// json.Marshal). Readers match member names exactly: these records are only ever written
// by Exeunt, with these names.
//
// The put helpers and the DecodeJSON methods are marked //go:noinline, as are the
// Writer's small methods and the DecodeJSON methods of core/oidc, core/jose and
// core/etcdv3: a copy at each call site (for a DecodeJSON, of its closure) cost the module
// about 70 KB (BENCHMARKS.md, "Issue 15: encoding/json out of the module").

// rawJSON is a JSON value kept as its bytes, as json.RawMessage (whose two methods it
// has, for the tests' encoding/json): written compacted, read as it is, null included.
type rawJSON []byte

// MarshalJSON is json.RawMessage's.
func (m rawJSON) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	return m, nil
}

// UnmarshalJSON is json.RawMessage's.
func (m *rawJSON) UnmarshalJSON(data []byte) error {
	*m = append((*m)[0:0], data...)
	return nil
}

//go:noinline
func putString(w *jsonx.Writer, name, s string) {
	w.Key(name)
	w.String(s)
}

//go:noinline
func putStringOmit(w *jsonx.Writer, name, s string) {
	if s != "" {
		putString(w, name, s)
	}
}

//go:noinline
func putInt(w *jsonx.Writer, name string, n int64) {
	w.Key(name)
	w.Int(n)
}

//go:noinline
func putIntOmit(w *jsonx.Writer, name string, n int64) {
	if n != 0 {
		putInt(w, name, n)
	}
}

//go:noinline
func putBoolOmit(w *jsonx.Writer, name string, b bool) {
	if b {
		w.Key(name)
		w.Bool(true)
	}
}

// skip is the reader's answer to a member it does not know.
func skip(d *jsonx.Decoder) error {
	d.Skip()
	return nil
}

func (s *session) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "sid", From: &s.SID},
		jsonx.Out{Name: "sub", From: &s.Sub},
		jsonx.Out{Name: "idp", From: &s.IdP},
		jsonx.Out{Name: "iss", From: &s.Iss},
		jsonx.Out{Name: "psid", From: &s.PSID, OmitEmpty: true},
		jsonx.Out{Name: "idt", From: &s.IDToken, OmitEmpty: true},
		jsonx.Out{Name: "email", From: &s.Email, OmitEmpty: true},
		jsonx.Out{Name: "name", From: &s.Name, OmitEmpty: true},
		jsonx.Out{Name: "auth_time", From: &s.AuthTime},
		jsonx.Out{Name: "iat", From: &s.Created},
		jsonx.Out{Name: "exp", From: &s.Expires},
		jsonx.Out{Name: "seen", From: &s.Seen},
		jsonx.Out{Name: "clients", From: &s.Clients, OmitEmpty: true},
		jsonx.Out{Name: "ev", From: &s.EmailVerified, OmitEmpty: true},
	)
}

//go:noinline
func (s *session) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "sid", Into: &s.SID},
		jsonx.Field{Name: "sub", Into: &s.Sub},
		jsonx.Field{Name: "idp", Into: &s.IdP},
		jsonx.Field{Name: "iss", Into: &s.Iss},
		jsonx.Field{Name: "psid", Into: &s.PSID},
		jsonx.Field{Name: "idt", Into: &s.IDToken},
		jsonx.Field{Name: "email", Into: &s.Email},
		jsonx.Field{Name: "name", Into: &s.Name},
		jsonx.Field{Name: "auth_time", Into: &s.AuthTime},
		jsonx.Field{Name: "iat", Into: &s.Created},
		jsonx.Field{Name: "exp", Into: &s.Expires},
		jsonx.Field{Name: "seen", Into: &s.Seen},
		jsonx.Field{Name: "clients", Into: &s.Clients},
		jsonx.Field{Name: "ev", Into: &s.EmailVerified},
	)
}

func (r *sessionRecord) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "sid", From: &r.SID},
		jsonx.Out{Name: "sub", From: &r.Sub},
		jsonx.Out{Name: "idp", From: &r.IdP},
		jsonx.Out{Name: "iss", From: &r.Iss},
		jsonx.Out{Name: "psid", From: &r.PSID, OmitEmpty: true},
		jsonx.Out{Name: "clients", From: &r.Clients, OmitEmpty: true},
		jsonx.Out{Name: "exp", From: &r.Expires},
		jsonx.Out{Name: "iat", From: &r.Created, OmitEmpty: true},
	)
}

//go:noinline
func (r *sessionRecord) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "sid", Into: &r.SID},
		jsonx.Field{Name: "sub", Into: &r.Sub},
		jsonx.Field{Name: "idp", Into: &r.IdP},
		jsonx.Field{Name: "iss", Into: &r.Iss},
		jsonx.Field{Name: "psid", Into: &r.PSID},
		jsonx.Field{Name: "clients", Into: &r.Clients},
		jsonx.Field{Name: "exp", Into: &r.Expires},
		jsonx.Field{Name: "iat", Into: &r.Created},
	)
}

func (j *deliveryJob) EncodeJSON(w *jsonx.Writer) {
	w.ObjectStart()
	putString(w, "sub", j.Sub)
	putString(w, "sid", j.SID)
	putString(w, "trigger", j.Trigger)
	putInt(w, "deadline", j.Deadline)
	w.Key("items")
	if j.Items == nil {
		w.Null()
	} else {
		w.ArrayStart()
		for i := range j.Items {
			it := &j.Items[i]
			w.ObjectStart()
			putString(w, "c", it.Client)
			putIntOmit(w, "n", int64(it.Attempts))
			putInt(w, "due", it.Due)
			putIntOmit(w, "lease", it.Lease)
			w.ObjectEnd()
		}
		w.ArrayEnd()
	}
	w.ObjectEnd()
}

//go:noinline
func (j *deliveryJob) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "sub":
			return d.String(&j.Sub)
		case "sid":
			return d.String(&j.SID)
		case "trigger":
			return d.String(&j.Trigger)
		case "deadline":
			return d.Int64(&j.Deadline)
		case "items":
			if d.Null() {
				j.Items = nil
				return nil
			}
			j.Items = []deliveryItem{}
			return d.Array(func() error {
				var it deliveryItem
				err := d.Object(func(name string) error {
					switch name {
					case "c":
						return d.String(&it.Client)
					case "n":
						return d.Int(&it.Attempts)
					case "due":
						return d.Int64(&it.Due)
					case "lease":
						return d.Int64(&it.Lease)
					}
					return skip(d)
				})
				j.Items = append(j.Items, it)
				return err
			})
		}
		return skip(d)
	})
}

func (c *logoutContext) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "id", From: &c.ID},
		jsonx.Out{Name: "client_id", From: &c.ClientID, OmitEmpty: true},
		jsonx.Out{Name: "redirect_uri", From: &c.RedirectURI, OmitEmpty: true},
		jsonx.Out{Name: "state", From: &c.State, OmitEmpty: true},
		jsonx.Out{Name: "ui_locales", From: &c.UILocales, OmitEmpty: true},
		jsonx.Out{Name: "logout_hint", From: &c.LogoutHint, OmitEmpty: true},
		jsonx.Out{Name: "sid", From: &c.SID, OmitEmpty: true},
		jsonx.Out{Name: "sub", From: &c.Sub, OmitEmpty: true},
		jsonx.Out{Name: "idp", From: &c.IdP, OmitEmpty: true},
		jsonx.Out{Name: "clients", From: &c.Clients, OmitEmpty: true},
		jsonx.Out{Name: "hint_sid", From: &c.HintSID, OmitEmpty: true},
		jsonx.Out{Name: "other_visits", From: &c.OtherVisits, OmitEmpty: true},
		jsonx.Out{Name: "prompt", From: &c.Prompt, OmitEmpty: true},
		jsonx.Out{Name: "signed_out", From: &c.SignedOut, OmitEmpty: true},
		jsonx.Out{Name: "exp", From: &c.Expires},
	)
}

//go:noinline
func (c *logoutContext) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "id", Into: &c.ID},
		jsonx.Field{Name: "client_id", Into: &c.ClientID},
		jsonx.Field{Name: "redirect_uri", Into: &c.RedirectURI},
		jsonx.Field{Name: "state", Into: &c.State},
		jsonx.Field{Name: "ui_locales", Into: &c.UILocales},
		jsonx.Field{Name: "logout_hint", Into: &c.LogoutHint},
		jsonx.Field{Name: "sid", Into: &c.SID},
		jsonx.Field{Name: "sub", Into: &c.Sub},
		jsonx.Field{Name: "idp", Into: &c.IdP},
		jsonx.Field{Name: "clients", Into: &c.Clients},
		jsonx.Field{Name: "hint_sid", Into: &c.HintSID},
		jsonx.Field{Name: "other_visits", Into: &c.OtherVisits},
		jsonx.Field{Name: "prompt", Into: &c.Prompt},
		jsonx.Field{Name: "signed_out", Into: &c.SignedOut},
		jsonx.Field{Name: "exp", Into: &c.Expires},
	)
}

func (f *flowState) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "state", From: &f.State},
		jsonx.Out{Name: "nonce", From: &f.Nonce},
		jsonx.Out{Name: "verifier", From: &f.Verifier},
		jsonx.Out{Name: "idp", From: &f.Provider},
		jsonx.Out{Name: "return", From: &f.Return},
	)
}

//go:noinline
func (f *flowState) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "state", Into: &f.State},
		jsonx.Field{Name: "nonce", Into: &f.Nonce},
		jsonx.Field{Name: "verifier", Into: &f.Verifier},
		jsonx.Field{Name: "idp", Into: &f.Provider},
		jsonx.Field{Name: "return", Into: &f.Return},
	)
}

func (c *csrfClaims) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "ctx", From: &c.Context},
		jsonx.Out{Name: "jti", From: &c.JTI},
	)
}

//go:noinline
func (c *csrfClaims) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "ctx", Into: &c.Context},
		jsonx.Field{Name: "jti", Into: &c.JTI},
	)
}

func (c assertionClaims) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "iss", From: &c.Iss},
		jsonx.Out{Name: "aud", From: &c.Aud},
		jsonx.Out{Name: "sub", From: &c.Sub},
		jsonx.Out{Name: "sid", From: &c.SID},
		jsonx.Out{Name: "idp", From: &c.IdP},
		jsonx.Out{Name: "email", From: &c.Email, OmitEmpty: true},
		jsonx.Out{Name: "name", From: &c.Name, OmitEmpty: true},
		jsonx.Out{Name: "auth_time", From: &c.AuthTime},
		jsonx.Out{Name: "iat", From: &c.Iat},
		jsonx.Out{Name: "exp", From: &c.Exp},
		jsonx.Out{Name: "email_verified", From: &c.EmailVerified, OmitEmpty: true},
	)
}

//go:noinline
func (c *assertionClaims) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "iss", Into: &c.Iss},
		jsonx.Field{Name: "aud", Into: &c.Aud},
		jsonx.Field{Name: "sub", Into: &c.Sub},
		jsonx.Field{Name: "sid", Into: &c.SID},
		jsonx.Field{Name: "idp", Into: &c.IdP},
		jsonx.Field{Name: "email", Into: &c.Email},
		jsonx.Field{Name: "name", Into: &c.Name},
		jsonx.Field{Name: "auth_time", Into: &c.AuthTime},
		jsonx.Field{Name: "iat", Into: &c.Iat},
		jsonx.Field{Name: "exp", Into: &c.Exp},
		jsonx.Field{Name: "email_verified", Into: &c.EmailVerified},
	)
}

func (s *providerState) EncodeJSON(w *jsonx.Writer) {
	w.ObjectStart()
	if s.Metadata != nil {
		w.Key("metadata")
		s.Metadata.EncodeJSON(w)
	}
	if len(s.JWKS) > 0 {
		w.Key("jwks")
		w.Raw(s.JWKS)
	}
	putIntOmit(w, "fetched_at", s.FetchedAt)
	putIntOmit(w, "tried_at", s.TriedAt)
	putIntOmit(w, "failed_at", s.FailedAt)
	putStringOmit(w, "last_error", s.LastError)
	w.ObjectEnd()
}

//go:noinline
func (s *providerState) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		switch name {
		case "metadata":
			if d.Null() {
				s.Metadata = nil
				return nil
			}
			if s.Metadata == nil {
				s.Metadata = new(oidc.ProviderMetadata)
			}
			return s.Metadata.DecodeJSON(d)
		case "jwks":
			s.JWKS = d.Raw()
			return nil
		case "fetched_at":
			return d.Int64(&s.FetchedAt)
		case "tried_at":
			return d.Int64(&s.TriedAt)
		case "failed_at":
			return d.Int64(&s.FailedAt)
		case "last_error":
			return d.String(&s.LastError)
		}
		return skip(d)
	})
}

func (k *devKeys) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "sealing", From: &k.Sealing},
		jsonx.Out{Name: "signing", From: &k.Signing},
	)
}

//go:noinline
func (k *devKeys) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "sealing", Into: &k.Sealing},
		jsonx.Field{Name: "signing", Into: &k.Signing},
	)
}

func (c *checkSessionConfig) EncodeJSON(w *jsonx.Writer) {
	w.ObjectStart()
	putString(w, "cookie", c.Cookie)
	w.Key("clients")
	if c.Clients == nil {
		w.Null()
	} else {
		ids := make([]string, 0, len(c.Clients))
		for id := range c.Clients {
			ids = append(ids, id)
		}
		jsonx.SortNames(ids) // as json.Marshal writes a map
		w.ObjectStart()
		for _, id := range ids {
			w.Key(id)
			w.Strings(c.Clients[id])
		}
		w.ObjectEnd()
	}
	w.ObjectEnd()
}

func (a *logoutContextAnswer) EncodeJSON(w *jsonx.Writer) {
	w.ObjectStart()
	putStringOmit(w, "client_id", a.ClientID)
	putStringOmit(w, "client_name", a.ClientName)
	putStringOmit(w, "post_logout_redirect_uri", a.PostLogoutRedirectURI)
	putStringOmit(w, "state", a.State)
	putStringOmit(w, "ui_locales", a.UILocales)
	w.Key("show_signout_prompt")
	w.Bool(a.ShowSignoutPrompt)
	w.Key("signed_out")
	w.Bool(a.SignedOut)
	w.Key("frontchannel_logout")
	if a.FrontchannelLogout == nil {
		w.Null()
	} else {
		w.ArrayStart()
		for _, f := range a.FrontchannelLogout {
			w.ObjectStart()
			putString(w, "client_id", f.ClientID)
			putString(w, "url", f.URL)
			w.ObjectEnd()
		}
		w.ArrayEnd()
	}
	putInt(w, "expires_at", a.Expires)
	putBoolOmit(w, "withheld", a.Withheld)
	w.ObjectEnd()
}

// stringMember returns the string member name of the JSON object body, or "" when body is
// not such an object or the member is absent or not a string: for a provider's error
// answer, which is only logged.
func stringMember(body []byte, name string) string {
	s, err := stringMemberStrict(body, name)
	if err != nil {
		return ""
	}
	return s
}

// stringMemberStrict reads the string member name of the JSON object body as
// json.Unmarshal read it into a struct with that one string field: an error when body is
// not JSON, not an object (null is one, empty), or the member is not a string (null
// reads as ""); of a repeated member, the last.
func stringMemberStrict(body []byte, name string) (string, error) {
	var s string
	err := jsonx.Decode(body, func(d *jsonx.Decoder) error {
		return d.Object(func(member string) error {
			if member == name {
				return d.String(&s)
			}
			return skip(d)
		})
	})
	return s, err
}
