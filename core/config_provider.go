package core

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Provider is an upstream OpenID Provider Exeunt signs users in with. Treat it as
// read-only.
type Provider struct {
	// Scheme names the provider in paths and in the session's "idp" ("oidc", "aad").
	Scheme string
	// DisplayName is shown on the provider choice page; the scheme by default.
	DisplayName string
	// Issuer is the provider's issuer, verbatim: ID tokens' "iss" must equal it.
	Issuer string
	// ClientID is Exeunt's client id at the provider: the "aud" of its ID tokens.
	ClientID string
	// ClientSecret authenticates Exeunt at the token endpoint; "" for a public client,
	// which relies on PKCE alone.
	ClientSecret string
	// Scopes are requested at sign-in; they always include "openid".
	Scopes []string
	// Scope is Scopes joined with spaces, the authorization request's "scope".
	Scope string
	// Cluster is the Envoy cluster through which the provider's token endpoint, JWKS
	// and discovery document are fetched.
	Cluster string
	// DiscoveryURL is where the provider's metadata is fetched; "" when all endpoints are
	// configured explicitly (then discovery is not used, see UsesDiscovery).
	DiscoveryURL string
	// AuthorizationEndpoint, TokenEndpoint, JWKSURI and EndSessionEndpoint are the
	// provider's endpoints when configured explicitly: the first three together or not
	// at all; EndSessionEndpoint only with them. "" means discovery supplies them.
	AuthorizationEndpoint string
	TokenEndpoint         string
	JWKSURI               string
	EndSessionEndpoint    string
	// LogoutHint is what identifies the session when signing out at the provider.
	LogoutHint LogoutHint
	// IDTokenAlgorithms are the signature algorithms accepted on ID tokens and logout
	// tokens from this provider (JWA names, RFC 7518 §3.1: "RS256", "ES256", ...).
	IDTokenAlgorithms []string
	// CallbackPath receives the authorization response (/signin-{scheme}).
	CallbackPath string
	// SignoutCallbackPath is where the provider sends the browser back after signing
	// out (/signout-callback-{scheme}).
	SignoutCallbackPath string
	// FrontchannelLogoutPath is the provider's front-channel logout target
	// (/signout-{scheme}).
	FrontchannelLogoutPath string
	// BackchannelLogoutPath receives the provider's logout tokens (/backchannel-{scheme}).
	BackchannelLogoutPath string
}

// UsesDiscovery reports whether the provider's endpoints come from its discovery
// document rather than from the configuration.
func (p *Provider) UsesDiscovery() bool { return p.DiscoveryURL != "" }

// LogoutHint is how Exeunt identifies the session to a provider's end session endpoint.
type LogoutHint string

const (
	// LogoutHintIDToken sends the provider's ID token as id_token_hint (the default).
	LogoutHintIDToken LogoutHint = "id_token_hint"
	// LogoutHintClientID sends only client_id, for providers that want that.
	LogoutHintClientID LogoutHint = "client_id"
)

// defaultScopes are requested when a provider's scopes are not configured.
var defaultScopes = []string{"openid", "profile", "email"}

// defaultIDTokenAlgorithms are accepted when a provider's are not configured.
var defaultIDTokenAlgorithms = []string{"RS256", "ES256"}

// idTokenAlgorithms are the asymmetric JWS algorithms an ID token may be signed with.
var idTokenAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// ProviderPath names which of a provider's paths a request is for.
type ProviderPath int

const (
	NoProviderPath             ProviderPath = iota // not a provider's path
	ProviderCallback                               // the authorization response (CallbackPath)
	ProviderSignoutCallback                        // back from the provider's end session endpoint
	ProviderFrontchannelLogout                     // the provider's front-channel logout
	ProviderBackchannelLogout                      // the provider's logout token
)

type providerRoute struct {
	provider *Provider
	kind     ProviderPath
}

// ProviderPathFor says whether a request path (query ignored) is one of a provider's
// paths, and which: (nil, NoProviderPath) when it is none.
func (c *Config) ProviderPathFor(path string) (*Provider, ProviderPath) {
	path = stripQuery(path)
	if !c.providerPathLengths.mayHave(path) {
		return nil, NoProviderPath
	}
	r := c.providerByPath[path]
	return r.provider, r.kind
}

// Provider returns the provider with that scheme, or nil.
func (c *Config) Provider(scheme string) *Provider { return c.providerByScheme[scheme] }

// pathFields lists the provider's paths in the order of the ProviderPath kinds.
func (p *Provider) pathFields() []namedString {
	return []namedString{
		{"callback_path", &p.CallbackPath},
		{"signout_callback_path", &p.SignoutCallbackPath},
		{"frontchannel_logout_path", &p.FrontchannelLogoutPath},
		{"backchannel_logout_path", &p.BackchannelLogoutPath},
	}
}

func (cfg *Config) readProviders(obj *jsonObject) error {
	list, ok, err := obj.optionalObjects("providers")
	if err != nil || !ok {
		return err
	}
	for _, o := range list {
		p, err := readProvider(o)
		if err != nil {
			return err
		}
		for _, other := range cfg.Providers {
			if other.Scheme == p.Scheme {
				return o.fieldError("scheme", fmt.Sprintf("%q is already the scheme of another provider; each provider needs its own", p.Scheme))
			}
		}
		cfg.Providers = append(cfg.Providers, p)
	}
	return nil
}

func readProvider(o *jsonObject) (*Provider, error) {
	p := &Provider{LogoutHint: LogoutHintIDToken}
	var err error
	if p.Scheme, err = requiredString(o, "scheme", `a short name such as "oidc"`); err != nil {
		return nil, err
	}
	if problem := checkScheme(p.Scheme); problem != "" {
		return nil, o.fieldError("scheme", problem)
	}
	if p.DisplayName, err = optionalText(o, "display_name", p.Scheme); err != nil {
		return nil, err
	}
	if p.Issuer, err = requiredString(o, "issuer", "the provider's issuer URL, exactly as in its ID tokens' \"iss\""); err != nil {
		return nil, err
	}
	if _, problem := checkURL(p.Issuer, urlRules{}); problem != "" {
		return nil, o.fieldError("issuer", problem)
	}
	if p.ClientID, err = requiredString(o, "client_id", "the client id Exeunt is registered under at this provider"); err != nil {
		return nil, err
	}
	if len(p.ClientID) > maxProviderClientID {
		return nil, o.fieldError("client_id", fmt.Sprintf("is %d bytes long; keep it to at most %d (client ids are tens of bytes: check that the id alone was copied)", len(p.ClientID), maxProviderClientID))
	}
	if p.ClientSecret, _, err = o.optionalString("client_secret"); err != nil {
		return nil, err
	}
	if problem := checkClientSecret(p.ClientSecret); problem != "" {
		return nil, o.fieldError("client_secret", problem)
	}
	if err := readScopes(o, p); err != nil {
		return nil, err
	}
	if p.Cluster, err = requiredString(o, "cluster", "the name of the Envoy cluster that reaches this provider"); err != nil {
		return nil, err
	}
	if problem := checkCluster(p.Cluster); problem != "" {
		return nil, o.fieldError("cluster", problem)
	}
	if err := readEndpoints(o, p); err != nil {
		return nil, err
	}
	if err := readLogoutHint(o, p); err != nil {
		return nil, err
	}
	if err := readAlgorithms(o, p); err != nil {
		return nil, err
	}
	defaults := []string{"/signin-", "/signout-callback-", "/signout-", "/backchannel-"}
	for i, f := range p.pathFields() {
		*f.value = defaults[i] + p.Scheme
		s, ok, err := o.optionalString(f.name)
		if err != nil {
			return nil, err
		}
		if ok {
			if problem := checkPath(s, *f.value); problem != "" {
				return nil, o.fieldError(f.name, problem)
			}
			*f.value = s
		}
	}
	if err := o.rejectUnknown(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkScheme keeps schemes usable in paths, cookie names and claims as they are.
func checkScheme(s string) string {
	ok := len(s) <= 32 && 'a' <= s[0] && s[0] <= 'z'
	for i := 1; ok && i < len(s); i++ {
		c := s[i]
		ok = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-'
	}
	if !ok {
		return `must be a lower-case letter followed by at most 31 lower-case letters, digits or "-" (such as "oidc" or "entra-id")`
	}
	return ""
}

// checkCluster accepts any name Envoy could have given a cluster in envoy.yaml; whether
// it exists is only known when Envoy dispatches a call to it.
func checkCluster(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return "must be the name of an Envoy cluster, without spaces or control characters"
		}
	}
	return ""
}

func readScopes(o *jsonObject, p *Provider) error {
	scopes, ok, err := o.optionalStrings("scopes")
	if err != nil {
		return err
	}
	if !ok {
		scopes = slices.Clone(defaultScopes)
	}
	for i, s := range scopes {
		if problem := checkScopeToken(s); problem != "" {
			return o.fieldError(indexed("scopes", i), problem)
		}
		if slices.Contains(scopes[:i], s) {
			return o.fieldError(indexed("scopes", i), fmt.Sprintf("%q is listed twice", s))
		}
	}
	if !slices.Contains(scopes, "openid") {
		return o.fieldError("scopes", `must include "openid": without it the provider returns no ID token`)
	}
	p.Scopes, p.Scope = scopes, strings.Join(scopes, " ")
	return nil
}

// checkScopeToken follows RFC 6749 section 3.3: scope-token = 1*NQCHAR.
func checkScopeToken(s string) string {
	if s == "" {
		return "must not be empty"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return `must be one scope: visible ASCII without spaces, '"' or '\'; list several scopes as separate strings`
		}
	}
	return ""
}

// readEndpoints reads discovery_url and the explicit endpoints. An empty string counts
// as absent, so that a template may leave them "".
func readEndpoints(o *jsonObject, p *Provider) error {
	discovery, err := optionalURL(o, "discovery_url", urlRules{query: true})
	if err != nil {
		return err
	}
	explicit := []struct {
		name  string
		value *string
	}{
		{"authorization_endpoint", &p.AuthorizationEndpoint},
		{"token_endpoint", &p.TokenEndpoint},
		{"jwks_uri", &p.JWKSURI},
		{"end_session_endpoint", &p.EndSessionEndpoint},
	}
	for _, e := range explicit {
		if *e.value, err = optionalURL(o, e.name, urlRules{query: true}); err != nil {
			return err
		}
	}
	var given, missing []string
	for _, e := range explicit {
		switch {
		case *e.value != "":
			given = append(given, e.name)
		case e.name != "end_session_endpoint":
			missing = append(missing, e.name)
		}
	}
	switch {
	case len(given) == 0:
		if discovery == "" {
			discovery = strings.TrimSuffix(p.Issuer, "/") + discoverySuffix
		}
		p.DiscoveryURL = discovery
	case len(missing) > 0:
		return o.fieldError(missing[0], fmt.Sprintf(
			"is required because %s is configured: give authorization_endpoint, token_endpoint and jwks_uri together (end_session_endpoint optional), or none of them to use discovery",
			given[0]))
	case discovery != "":
		return o.fieldError("discovery_url", "must not be given together with explicit endpoints, which replace discovery; remove discovery_url or the endpoints")
	}
	return nil
}

func readLogoutHint(o *jsonObject, p *Provider) error {
	o.note("logout_hint", func(f *ConfigField) {
		f.Enum = []string{string(LogoutHintIDToken), string(LogoutHintClientID)}
	})
	s, ok, err := o.optionalString("logout_hint")
	if err != nil || !ok {
		return err
	}
	switch LogoutHint(s) {
	case LogoutHintIDToken, LogoutHintClientID:
		p.LogoutHint = LogoutHint(s)
		return nil
	}
	return o.fieldError("logout_hint", `must be "id_token_hint" (send the provider's ID token, the default) or "client_id" (send only the client id)`)
}

func readAlgorithms(o *jsonObject, p *Provider) error {
	o.note("id_token_algorithms", func(f *ConfigField) { f.ItemEnum = slices.Clone(idTokenAlgorithms) })
	algs, ok, err := o.optionalStrings("id_token_algorithms")
	if err != nil {
		return err
	}
	if !ok {
		p.IDTokenAlgorithms = slices.Clone(defaultIDTokenAlgorithms)
		return nil
	}
	if len(algs) == 0 {
		return o.fieldError("id_token_algorithms", `must list at least one algorithm (remove the field for the default, ["RS256", "ES256"])`)
	}
	for i, a := range algs {
		field := indexed("id_token_algorithms", i)
		switch {
		case strings.EqualFold(a, "none"):
			return o.fieldError(field, `"none" is refused: an unsigned ID token proves nothing`)
		case strings.HasPrefix(strings.ToUpper(a), "HS"):
			return o.fieldError(field, fmt.Sprintf("%q is refused: HMAC algorithms would make the client secret a verification key; Exeunt verifies tokens only with the provider's published public keys (JWKS)", a))
		case !slices.Contains(idTokenAlgorithms, a):
			return o.fieldError(field, fmt.Sprintf("%q is not a supported algorithm; use %s", a, strings.Join(idTokenAlgorithms, ", ")))
		case slices.Contains(algs[:i], a):
			return o.fieldError(field, fmt.Sprintf("%q is listed twice", a))
		}
	}
	p.IDTokenAlgorithms = algs
	return nil
}

// optionalText reads a name that defaults to def when absent.
func optionalText(o *jsonObject, name, def string) (string, error) {
	s, ok, err := o.optionalString(name)
	if err != nil {
		return "", err
	}
	if !ok {
		return def, nil
	}
	if problem := checkText(s); problem != "" {
		if s == "" {
			problem += fmt.Sprintf(" (remove the field for the default, %q)", def)
		}
		return "", o.fieldError(name, problem)
	}
	return s, nil
}

// optionalURL reads a URL field that may be absent; "" counts as absent.
func optionalURL(o *jsonObject, name string, r urlRules) (string, error) {
	s, ok, err := o.optionalString(name)
	if err != nil || !ok || s == "" {
		return "", err
	}
	if _, problem := checkURL(s, r); problem != "" {
		return "", o.fieldError(name, problem)
	}
	return s, nil
}

// maxClientSecret bounds a provider's client secret, in bytes. Real ones are tens of
// bytes; a much longer value is most likely something else pasted in (a key file, a
// certificate). It travels in the Authorization header of every token request,
// form-encoded (up to 3 bytes per byte) then base64-encoded (4 per 3): 1024 bytes take at
// most 4096 there, half the 8 KB header line that common servers
// accept by default (nginx's large_client_header_buffers, Apache's
// LimitRequestFieldSize), leaving room for the client id (maxProviderClientID).
const maxClientSecret = 1024

// maxProviderClientID bounds Exeunt's client id at a provider, in bytes. Real ones are
// tens of bytes (a URL, for a client id metadata document, a hundred or two). With
// maxClientSecret, the token request's Authorization header is at most
// 6 + 4*ceil((3*512 + 1 + 3*1024)/3) = 6,154 bytes, under the 8 KB line above.
const maxProviderClientID = 512

// checkClientSecret refuses a client secret longer than maxClientSecret, or with a byte
// RFC 6749 does not allow in one (Appendix A.2: client-secret = *VSCHAR, %x20-7E),
// naming the byte, never the secret.
// Such a byte is a copying mistake (most often the line break at the end of the file the
// secret was read from) that the provider would only report at the first sign-in, as
// invalid_client.
func checkClientSecret(secret string) string {
	if len(secret) > maxClientSecret {
		// Before the bytes: a pasted key file has line breaks too, and its length is
		// what tells the operator what went wrong.
		return "is " + strconv.Itoa(len(secret)) + " bytes long; keep it to at most " + strconv.Itoa(maxClientSecret) +
			" (client secrets are tens of bytes: check that the secret alone was copied, not a key file or certificate)"
	}
	for i := 0; i < len(secret); i++ {
		if c := secret[i]; c < 0x20 || c > 0x7e {
			return "must be printable ASCII, as RFC 6749 requires of a client secret (byte 0x" +
				strconv.FormatUint(uint64(c), 16) + " at offset " + strconv.Itoa(i) +
				" is not); a line break copied with the secret is the usual cause: copy the secret alone"
		}
	}
	return ""
}
