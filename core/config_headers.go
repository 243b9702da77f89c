package core

import (
	"fmt"
	"strings"
)

// IdentityHeaders are the request headers that carry the signed-in identity to an app.
// Every one of them is stripped from every incoming request, signed in or not, so that
// nobody can pose as someone else by sending them. Names are in lower case. Treat it as
// read-only.
type IdentityHeaders struct {
	_         noCompare
	Sub       string // the user's subject at the provider
	Email     string // the user's email address, when the provider gave one
	Name      string // the user's display name, when the provider gave one
	IDP       string // the provider's scheme
	SID       string // the edge session's id
	Assertion string // a JWS signed by Exeunt (iss, aud = client_id, sub, sid, idp)
	// SessionState is the session_state of OpenID Connect Session Management 1.0, sent
	// only with Logout.SessionManagement (stripped from requests in any case).
	SessionState string
	// EmailVerified is "true" or "false", the provider's email_verified (false when the
	// provider did not send it), sent exactly when Email is.
	EmailVerified string
}

func defaultIdentityHeaders() IdentityHeaders {
	return IdentityHeaders{
		Sub:           "x-exeunt-sub",
		Email:         "x-exeunt-email",
		EmailVerified: "x-exeunt-email-verified",
		Name:          "x-exeunt-name",
		IDP:           "x-exeunt-idp",
		SID:           "x-exeunt-sid",
		Assertion:     "x-exeunt-assertion",
		SessionState:  "x-exeunt-session-state",
	}
}

// IdentityHeaderNames lists every identity header, to strip from each request. The
// slice is shared: do not modify it.
func (c *Config) IdentityHeaderNames() []string { return c.identityHeaderNames }

func (h *IdentityHeaders) fields() []namedString {
	return []namedString{
		{"sub", &h.Sub},
		{"email", &h.Email},
		{"email_verified", &h.EmailVerified},
		{"name", &h.Name},
		{"idp", &h.IDP},
		{"sid", &h.SID},
		{"assertion", &h.Assertion},
		{"session_state", &h.SessionState},
	}
}

func (h IdentityHeaders) names() []string {
	var out []string
	for _, f := range h.fields() {
		out = append(out, *f.value)
	}
	return out
}

// requestNeeds are request headers an app or Envoy needs intact; stripping them from
// every request, as identity headers are, would break it.
var requestNeeds = []string{
	"authorization", "connection", "content-length", "content-type", "cookie", "expect",
	"host", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
	"transfer-encoding", "upgrade",
}

func (cfg *Config) readIdentityHeaders(obj *jsonObject) error {
	o, ok, err := obj.optionalObject("identity_headers")
	if err != nil || !ok {
		return err
	}
	h := &cfg.IdentityHeaders
	for _, f := range h.fields() {
		s, ok, err := o.optionalString(f.name)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		s = strings.ToLower(s)
		if problem := checkIdentityHeader(s); problem != "" {
			return o.fieldError(f.name, problem)
		}
		*f.value = s
	}
	if err := o.rejectUnknown(); err != nil {
		return err
	}
	seen := map[string]string{}
	for _, f := range h.fields() {
		if other, dup := seen[*f.value]; dup {
			return o.fieldError(f.name, fmt.Sprintf("is %q, the same header as identity_headers.%s; each needs its own", *f.value, other))
		}
		seen[*f.value] = f.name
	}
	return nil
}

func checkIdentityHeader(s string) string {
	switch {
	case s == "":
		return "must not be empty (remove the field for the default)"
	case strings.HasPrefix(s, ":"):
		return "must not be a pseudo-header (a name starting with \":\")"
	case strings.HasPrefix(s, "x-envoy-"):
		return `must not start with "x-envoy-": Envoy reserves those headers`
	}
	for _, n := range requestNeeds {
		if s == n {
			return fmt.Sprintf("must not be %q: identity headers are stripped from every request, and requests need that one", s)
		}
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return fmt.Sprintf("must be a header name: letters, digits and !#$%%&'*+-.^_`|~ only (%q at offset %d is not allowed)", s[i], i)
		}
	}
	return ""
}
