package oidc

import (
	"errors"
	"strconv"

	"github.com/exeunt/exeunt/core/jsonx"
)

// The JSON this package reads and writes, with core/jsonx (no reflection, no encoding/json
// in the module). Member names are matched exactly: a provider's "ISSUER" or "Sub" is not
// "issuer" or "sub" (encoding/json matched them ignoring case; RATIONALE.md, "Issue 15:
// JSON without encoding/json"). Of a member named twice the last is read, as encoding/json
// did; claims sets and JOSE headers with a repeated name are refused before that.

// DecodeJSON reads a discovery document's members (or the copy providerState keeps).
//
//go:noinline
func (m *ProviderMetadata) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "issuer", Into: &m.Issuer},
		jsonx.Field{Name: "authorization_endpoint", Into: &m.AuthorizationEndpoint},
		jsonx.Field{Name: "token_endpoint", Into: &m.TokenEndpoint},
		jsonx.Field{Name: "jwks_uri", Into: &m.JWKSURI},
		jsonx.Field{Name: "end_session_endpoint", Into: &m.EndSessionEndpoint},
		jsonx.Field{Name: "frontchannel_logout_supported", Into: &m.FrontchannelLogoutSupported},
		jsonx.Field{Name: "frontchannel_logout_session_supported", Into: &m.FrontchannelLogoutSessionSupported},
		jsonx.Field{Name: "backchannel_logout_supported", Into: &m.BackchannelLogoutSupported},
		jsonx.Field{Name: "backchannel_logout_session_supported", Into: &m.BackchannelLogoutSessionSupported},
		jsonx.Field{Name: "id_token_signing_alg_values_supported", Into: &m.IDTokenSigningAlgValuesSupported},
		jsonx.Field{Name: "code_challenge_methods_supported", Into: &m.CodeChallengeMethodsSupported},
		jsonx.Field{Name: "authorization_response_iss_parameter_supported", Into: &m.AuthorizationResponseIssParameterSupported},
	)
}

// EncodeJSON writes the metadata as encoding/json wrote it from the fields' tags.
func (m *ProviderMetadata) EncodeJSON(w *jsonx.Writer) {
	w.Fields(
		jsonx.Out{Name: "issuer", From: &m.Issuer},
		jsonx.Out{Name: "authorization_endpoint", From: &m.AuthorizationEndpoint},
		jsonx.Out{Name: "token_endpoint", From: &m.TokenEndpoint},
		jsonx.Out{Name: "jwks_uri", From: &m.JWKSURI},
		jsonx.Out{Name: "end_session_endpoint", From: &m.EndSessionEndpoint, OmitEmpty: true},
		jsonx.Out{Name: "frontchannel_logout_supported", From: &m.FrontchannelLogoutSupported, OmitEmpty: true},
		jsonx.Out{Name: "frontchannel_logout_session_supported", From: &m.FrontchannelLogoutSessionSupported, OmitEmpty: true},
		jsonx.Out{Name: "backchannel_logout_supported", From: &m.BackchannelLogoutSupported, OmitEmpty: true},
		jsonx.Out{Name: "backchannel_logout_session_supported", From: &m.BackchannelLogoutSessionSupported, OmitEmpty: true},
		jsonx.Out{Name: "id_token_signing_alg_values_supported", From: &m.IDTokenSigningAlgValuesSupported, OmitEmpty: true},
		jsonx.Out{Name: "code_challenge_methods_supported", From: &m.CodeChallengeMethodsSupported, OmitEmpty: true},
		jsonx.Out{Name: "authorization_response_iss_parameter_supported", From: &m.AuthorizationResponseIssParameterSupported, OmitEmpty: true},
	)
}

// claimsReader is a claims set's JSON shape: it reads itself, and names the claims it
// reads for checkExactClaimNames.
type claimsReader interface {
	jsonx.Unmarshaler
	claimNames() []string
}

// claimReader reads a claims set's members as encoding/json read them into a struct: a
// value of the wrong JSON type is remembered (the first one is the error) and the rest is
// still read, while a claim type's own refusal (aud, a time, email_verified) ends the
// reading at once.
type claimReader struct {
	d     *jsonx.Decoder
	saved error
}

func (r *claimReader) keep(err error) error {
	var te *jsonx.TypeError
	if errors.As(err, &te) {
		if r.saved == nil {
			r.saved = err
		}
		return nil
	}
	return err
}

func (r *claimReader) read(member func(name string) error) error {
	if err := r.d.Object(func(name string) error { return r.keep(member(name)) }); err != nil {
		return r.keep(err)
	}
	return r.saved
}

var idTokenClaimNames = []string{"iss", "sub", "aud", "azp", "nonce", "sid", "email", "name", "email_verified", "iat", "exp", "auth_time"}

func (c *idTokenClaims) claimNames() []string { return idTokenClaimNames }

//go:noinline
func (c *idTokenClaims) DecodeJSON(d *jsonx.Decoder) error {
	r := claimReader{d: d}
	return r.read(func(name string) error {
		switch name {
		case "iss":
			return d.String(&c.Issuer)
		case "sub":
			return d.String(&c.Subject)
		case "aud":
			return c.Audience.decode(d)
		case "azp":
			return d.String(&c.AuthorizedParty)
		case "nonce":
			return d.String(&c.Nonce)
		case "sid":
			return d.String(&c.SID)
		case "email":
			return d.String(&c.Email)
		case "name":
			return d.String(&c.Name)
		case "email_verified":
			return c.EmailVerified.decode(d)
		case "iat":
			return decodeDate(d, &c.IssuedAt)
		case "exp":
			return decodeDate(d, &c.Expiry)
		case "auth_time":
			return decodeDate(d, &c.AuthTime)
		}
		d.Skip()
		return nil
	})
}

var logoutTokenClaimNames = []string{"iss", "sub", "sid", "aud", "iat", "exp", "jti", "events", "nonce"}

func (c *logoutTokenClaims) claimNames() []string { return logoutTokenClaimNames }

//go:noinline
func (c *logoutTokenClaims) DecodeJSON(d *jsonx.Decoder) error {
	r := claimReader{d: d}
	return r.read(func(name string) error {
		switch name {
		case "iss":
			return d.String(&c.Issuer)
		case "sub":
			return d.String(&c.Subject)
		case "sid":
			return d.String(&c.SID)
		case "aud":
			return c.Audience.decode(d)
		case "iat":
			return decodeDate(d, &c.IssuedAt)
		case "exp":
			return decodeDate(d, &c.Expiry)
		case "jti":
			return d.String(&c.JTI)
		case "events":
			// As into a map[string]json.RawMessage: null makes it nil; each member's
			// value raw, the last of a repeated name.
			if d.Null() {
				c.Events = nil
				return nil
			}
			if d.Kind() != '{' {
				return d.Object(nil) // the type error
			}
			if c.Events == nil {
				c.Events = map[string][]byte{}
			}
			return d.Object(func(event string) error {
				c.Events[event] = d.Raw()
				return nil
			})
		case "nonce":
			c.Nonce = d.Raw() // null included: its presence is what counts
			return nil
		}
		d.Skip()
		return nil
	})
}

// decode reads "aud": one string, or an array of strings (RFC 7519 §4.1.3); anything else,
// null included, is refused.
func (a *audience) decode(d *jsonx.Decoder) error {
	switch d.Kind() {
	case '"':
		var one string
		_ = d.String(&one)
		*a = audience{one}
		return nil
	case '[':
		var many []string
		if err := d.Strings(&many); err == nil {
			*a = many
			return nil
		}
	default:
		d.Skip()
	}
	return errorf(ErrMalformed, "aud is neither a string nor an array of strings")
}

// decodeDate reads a NumericDate claim: null leaves it absent (nil), a number is its
// seconds with any fraction dropped, anything else is refused.
func decodeDate(d *jsonx.Decoder, p **numericDate) error {
	if d.Null() {
		*p = nil
		return nil
	}
	raw := d.Raw()
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f >= maxNumericDate || f <= -maxNumericDate {
		return errorf(ErrMalformed, "a time claim is not a number of seconds")
	}
	n := numericDate(f)
	*p = &n
	return nil
}

// decode reads email_verified: true or false, the strings "true" and "false" (written
// exactly so) as some providers send it, or null (false).
func (b *flexBool) decode(d *jsonx.Decoder) error {
	switch string(d.Raw()) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`, "null":
		*b = false
	default:
		return errorf(ErrMalformed, "email_verified is neither true nor false")
	}
	return nil
}

// claimMemberNames returns the names of the members of the JSON object payload.
func claimMemberNames(payload []byte) ([]string, error) {
	var names []string
	err := jsonx.Decode(payload, func(d *jsonx.Decoder) error {
		if d.Kind() != '{' {
			return errors.New("not an object")
		}
		return d.Object(func(name string) error {
			names = append(names, name)
			d.Skip()
			return nil
		})
	})
	return names, err
}

// jwksDocument is a JWK Set's shape as ParseJWKS reads it: the "keys" member (nil when
// absent or null), each key raw.
type jwksDocument struct {
	Keys *[][]byte
}

//go:noinline
func (j *jwksDocument) DecodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(name string) error {
		if name != "keys" {
			d.Skip()
			return nil
		}
		if d.Null() {
			j.Keys = nil
			return nil
		}
		if d.Kind() != '[' {
			return d.Array(nil) // the type error
		}
		keys := [][]byte{}
		err := d.Array(func() error {
			keys = append(keys, d.Raw())
			return nil
		})
		j.Keys = &keys
		return err
	})
}

// objectMembers reads a JSON object's members, raw, as encoding/json reads a
// map[string]json.RawMessage (of a repeated name, the last).
func objectMembers(data []byte) (map[string][]byte, error) {
	members := map[string][]byte{}
	err := jsonx.Decode(data, func(d *jsonx.Decoder) error {
		if d.Kind() != '{' {
			if d.Null() {
				members = nil
				return nil
			}
			return d.Object(nil)
		}
		return d.Object(func(name string) error {
			members[name] = d.Raw()
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return members, nil
}
