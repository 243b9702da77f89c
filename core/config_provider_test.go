package core

import "testing"

func TestProviders(t *testing.T) {
	const p0 = `exeunt configuration: field "providers[0].`
	explicit := []edit{
		del("providers[0].discovery_url"),
		set("providers[0].authorization_endpoint", "https://idp.example.test/authorize?tenant=a"),
		set("providers[0].token_endpoint", "https://idp.example.test/token"),
		set("providers[0].jwks_uri", "https://idp.example.test/keys"),
	}
	second := map[string]any{"scheme": "aad", "issuer": "https://login.example.test/tid/v2.0", "client_id": "x", "cluster": "aad"}
	runConfigCases(t, []configCase{
		{name: "defaults", edits: []edit{
			del("providers[0].display_name"), del("providers[0].scopes"), del("providers[0].discovery_url"),
			del("providers[0].logout_hint"), del("providers[0].id_token_algorithms"), del("providers[0].client_secret"),
			del("providers[0].callback_path"), del("providers[0].signout_callback_path"),
			del("providers[0].frontchannel_logout_path"), del("providers[0].backchannel_logout_path"),
		}, check: func(t *testing.T, c *Config) {
			p := c.Provider("oidc")
			is(t, "DisplayName", p.DisplayName, "oidc")
			is(t, "ClientSecret", p.ClientSecret, "")
			is(t, "Scopes", p.Scopes, []string{"openid", "profile", "email"})
			is(t, "DiscoveryURL", p.DiscoveryURL, "https://idp.example.test/.well-known/openid-configuration")
			is(t, "LogoutHint", p.LogoutHint, LogoutHintIDToken)
			is(t, "IDTokenAlgorithms", p.IDTokenAlgorithms, []string{"RS256", "ES256"})
			is(t, "paths", []string{p.CallbackPath, p.SignoutCallbackPath, p.FrontchannelLogoutPath, p.BackchannelLogoutPath},
				[]string{"/signin-oidc", "/signout-callback-oidc", "/signout-oidc", "/backchannel-oidc"})
		}},
		{name: "discovery URL from an issuer with a path and trailing slash",
			edits: []edit{set("providers[0].issuer", "https://idp.example.test/realms/a/"), del("providers[0].discovery_url")},
			check: func(t *testing.T, c *Config) {
				is(t, "DiscoveryURL", c.Providers[0].DiscoveryURL, "https://idp.example.test/realms/a/.well-known/openid-configuration")
				is(t, "Issuer", c.Providers[0].Issuer, "https://idp.example.test/realms/a/")
			}},
		{name: "discovery URL with a query", edits: []edit{set("providers[0].discovery_url", "https://idp.example.test/.well-known/openid-configuration?p=b2c_1_signin")},
			check: func(t *testing.T, c *Config) {
				is(t, "DiscoveryURL", c.Providers[0].DiscoveryURL, "https://idp.example.test/.well-known/openid-configuration?p=b2c_1_signin")
			}},
		{name: "explicit endpoints", edits: explicit, check: func(t *testing.T, c *Config) {
			p := c.Providers[0]
			is(t, "UsesDiscovery()", p.UsesDiscovery(), false)
			is(t, "DiscoveryURL", p.DiscoveryURL, "")
			is(t, "endpoints", []string{p.AuthorizationEndpoint, p.TokenEndpoint, p.JWKSURI, p.EndSessionEndpoint},
				[]string{"https://idp.example.test/authorize?tenant=a", "https://idp.example.test/token", "https://idp.example.test/keys", ""})
		}},
		{name: "explicit endpoints with end session", edits: append(explicit[:4:4], set("providers[0].end_session_endpoint", "https://idp.example.test/logout")),
			check: func(t *testing.T, c *Config) {
				is(t, "EndSessionEndpoint", c.Providers[0].EndSessionEndpoint, "https://idp.example.test/logout")
			}},
		{name: "public client", edits: []edit{set("providers[0].client_secret", "")},
			check: func(t *testing.T, c *Config) { is(t, "ClientSecret", c.Providers[0].ClientSecret, "") }},
		{name: "client_id logout hint", edits: []edit{set("providers[0].logout_hint", "client_id")},
			check: func(t *testing.T, c *Config) { is(t, "LogoutHint", c.Providers[0].LogoutHint, LogoutHintClientID) }},
		{name: "scopes", edits: []edit{set("providers[0].scopes", []any{"offline_access", "openid"})},
			check: func(t *testing.T, c *Config) { is(t, "Scope", c.Providers[0].Scope, "offline_access openid") }},
		{name: "every algorithm", edits: []edit{set("providers[0].id_token_algorithms",
			[]any{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})}},
		{name: "two providers", edits: []edit{appendTo("providers", second)}, check: func(t *testing.T, c *Config) {
			is(t, "Provider(aad).Scheme", c.Provider("aad").Scheme, "aad")
			is(t, "Provider(nope)", c.Provider("nope"), (*Provider)(nil))
			is(t, "len(Providers)", len(c.Providers), 2)
		}},
		{name: "scheme with digits and dash", edits: []edit{set("providers[0].scheme", "entra-id2"), del("providers[0].callback_path"), del("clients[0].default_provider")},
			check: func(t *testing.T, c *Config) { is(t, "CallbackPath", c.Providers[0].CallbackPath, "/signin-entra-id2") }},

		{name: "no scheme", edits: []edit{del("providers[0].scheme")},
			err: p0 + `scheme": is required; set a short name such as "oidc"`},
		{name: "scheme upper case", edits: []edit{set("providers[0].scheme", "OIDC")},
			err: p0 + `scheme": must be a lower-case letter followed by at most 31 lower-case letters, digits or "-" (such as "oidc" or "entra-id")`},
		{name: "scheme starts with digit", edits: []edit{set("providers[0].scheme", "1dp")},
			err: p0 + `scheme": must be a lower-case letter followed by at most 31 lower-case letters, digits or "-" (such as "oidc" or "entra-id")`},
		{name: "scheme too long", edits: []edit{set("providers[0].scheme", "a23456789012345678901234567890123")},
			err: p0 + `scheme": must be a lower-case letter followed by at most 31 lower-case letters, digits or "-" (such as "oidc" or "entra-id")`},
		{name: "scheme empty", edits: []edit{set("providers[0].scheme", "")},
			err: p0 + `scheme": must not be empty`},
		{name: "scheme twice", edits: []edit{appendTo("providers", map[string]any{"scheme": "oidc", "issuer": "https://b.example.test", "client_id": "x", "cluster": "b"})},
			err: `exeunt configuration: field "providers[1].scheme": "oidc" is already the scheme of another provider; each provider needs its own`},
		{name: "display name empty", edits: []edit{set("providers[0].display_name", "")},
			err: p0 + `display_name": must not be empty (remove the field for the default, "oidc")`},
		{name: "display name control character", edits: []edit{set("providers[0].display_name", "a\nb")},
			err: p0 + `display_name": must not contain control characters (byte 0xa at offset 1)`},
		{name: "no issuer", edits: []edit{del("providers[0].issuer")},
			err: p0 + `issuer": is required; set the provider's issuer URL, exactly as in its ID tokens' "iss"`},
		{name: "http issuer", edits: []edit{set("providers[0].issuer", "http://idp.example.com")},
			err: p0 + `issuer": must use https; http is allowed only for localhost, 127.0.0.1, [::1] and hosts ending in ".localhost" or ".test"`},
		{name: "issuer with query", edits: []edit{set("providers[0].issuer", "https://idp.example.test?a=b")},
			err: p0 + `issuer": must not have a "?" query`},
		{name: "no client_id", edits: []edit{del("providers[0].client_id")},
			err: p0 + `client_id": is required; set the client id Exeunt is registered under at this provider`},
		{name: "empty client_id", edits: []edit{set("providers[0].client_id", "")},
			err: p0 + `client_id": must not be empty`},
		{name: "secret not a string", edits: []edit{set("providers[0].client_secret", 12)},
			err: p0 + `client_secret": must be a string, not a number`},
		{name: "scopes without openid", edits: []edit{set("providers[0].scopes", []any{"profile"})},
			err: p0 + `scopes": must include "openid": without it the provider returns no ID token`},
		{name: "scopes empty", edits: []edit{set("providers[0].scopes", []any{})},
			err: p0 + `scopes": must include "openid": without it the provider returns no ID token`},
		{name: "scopes as one string", edits: []edit{set("providers[0].scopes", []any{"openid profile"})},
			err: p0 + `scopes[0]": must be one scope: visible ASCII without spaces, '"' or '\'; list several scopes as separate strings`},
		{name: "scopes not a list", edits: []edit{set("providers[0].scopes", "openid")},
			err: p0 + `scopes": must be a list ([...]), not a string`},
		{name: "scope not a string", edits: []edit{set("providers[0].scopes", []any{"openid", true})},
			err: p0 + `scopes[1]": must be a string, not a boolean`},
		{name: "scope twice", edits: []edit{set("providers[0].scopes", []any{"openid", "email", "email"})},
			err: p0 + `scopes[2]": "email" is listed twice`},
		{name: "no cluster", edits: []edit{del("providers[0].cluster")},
			err: p0 + `cluster": is required; set the name of the Envoy cluster that reaches this provider`},
		{name: "cluster with space", edits: []edit{set("providers[0].cluster", "my idp")},
			err: p0 + `cluster": must be the name of an Envoy cluster, without spaces or control characters`},
		{name: "http discovery", edits: []edit{set("providers[0].discovery_url", "http://idp.example.com/.well-known/openid-configuration")},
			err: p0 + `discovery_url": must use https; http is allowed only for localhost, 127.0.0.1, [::1] and hosts ending in ".localhost" or ".test"`},
		{name: "some endpoints", edits: []edit{del("providers[0].discovery_url"), set("providers[0].token_endpoint", "https://idp.example.test/token")},
			err: p0 + `authorization_endpoint": is required because token_endpoint is configured: give authorization_endpoint, token_endpoint and jwks_uri together (end_session_endpoint optional), or none of them to use discovery`},
		{name: "end session alone", edits: []edit{set("providers[0].end_session_endpoint", "https://idp.example.test/logout")},
			err: p0 + `authorization_endpoint": is required because end_session_endpoint is configured: give authorization_endpoint, token_endpoint and jwks_uri together (end_session_endpoint optional), or none of them to use discovery`},
		{name: "endpoints and discovery", edits: append(explicit[1:4:4], set("providers[0].discovery_url", "https://idp.example.test/.well-known/openid-configuration")),
			err: p0 + `discovery_url": must not be given together with explicit endpoints, which replace discovery; remove discovery_url or the endpoints`},
		{name: "endpoint with fragment", edits: append(explicit[:4:4], set("providers[0].jwks_uri", "https://idp.example.test/keys#a")),
			err: p0 + `jwks_uri": must not have a "#" fragment`},
		{name: "bad logout hint", edits: []edit{set("providers[0].logout_hint", "id_token")},
			err: p0 + `logout_hint": must be "id_token_hint" (send the provider's ID token, the default) or "client_id" (send only the client id)`},
		{name: "algorithm none", edits: []edit{set("providers[0].id_token_algorithms", []any{"RS256", "none"})},
			err: p0 + `id_token_algorithms[1]": "none" is refused: an unsigned ID token proves nothing`},
		{name: "algorithm HS256", edits: []edit{set("providers[0].id_token_algorithms", []any{"HS256"})},
			err: p0 + `id_token_algorithms[0]": "HS256" is refused: HMAC algorithms would make the client secret a verification key; Exeunt verifies tokens only with the provider's published public keys (JWKS)`},
		{name: "algorithm unknown", edits: []edit{set("providers[0].id_token_algorithms", []any{"rs256"})},
			err: p0 + `id_token_algorithms[0]": "rs256" is not a supported algorithm; use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA`},
		{name: "algorithm twice", edits: []edit{set("providers[0].id_token_algorithms", []any{"ES256", "ES256"})},
			err: p0 + `id_token_algorithms[1]": "ES256" is listed twice`},
		{name: "no algorithms", edits: []edit{set("providers[0].id_token_algorithms", []any{})},
			err: p0 + `id_token_algorithms": must list at least one algorithm (remove the field for the default, ["RS256", "ES256"])`},
		{name: "relative callback path", edits: []edit{set("providers[0].callback_path", "signin-oidc")},
			err: p0 + `callback_path": must start with "/" (for example "/signin-oidc")`},
		{name: "callback path with query", edits: []edit{set("providers[0].backchannel_logout_path", "/bc?x")},
			err: p0 + `backchannel_logout_path": must be a path only, without a "?" query or "#" fragment`},
		{name: "unknown provider field", edits: []edit{set("providers[0].client_secrett", "x")},
			err: p0 + `client_secrett": unknown field; remove it or fix its spelling (known fields: scheme, display_name, issuer, client_id, client_secret, scopes, cluster, discovery_url, authorization_endpoint, token_endpoint, jwks_uri, end_session_endpoint, logout_hint, id_token_algorithms, callback_path, signout_callback_path, frontchannel_logout_path, backchannel_logout_path)`},
		{name: "provider not an object", edits: []edit{set("providers[0]", "oidc")},
			err: `exeunt configuration: field "providers[0]": must be a JSON object ({...}), not a string`},
		{name: "providers not a list", edits: []edit{set("providers", map[string]any{})},
			err: `exeunt configuration: field "providers": must be a list ([...]), not an object`},
		{name: "repeated provider field",
			raw: `{"issuer": "https://a.test", "providers": [{"scheme": "a", "scheme": "b"}]}`,
			err: p0 + `scheme": appears more than once; keep only one`},
	})
}

func TestProviderPathFor(t *testing.T) {
	cfg, err := ParseConfig(configWith(t, appendTo("providers",
		map[string]any{"scheme": "aad", "issuer": "https://login.example.test", "client_id": "x", "cluster": "aad", "callback_path": "/aad/cb"})))
	if err != nil {
		t.Fatal(err)
	}
	oidc, aad := cfg.Provider("oidc"), cfg.Provider("aad")
	tests := []struct {
		path string
		p    *Provider
		kind ProviderPath
	}{
		{"/signin-oidc", oidc, ProviderCallback},
		{"/signin-oidc?code=x&state=y", oidc, ProviderCallback},
		{"/signout-callback-oidc", oidc, ProviderSignoutCallback},
		{"/signout-oidc?iss=a&sid=b", oidc, ProviderFrontchannelLogout},
		{"/backchannel-oidc", oidc, ProviderBackchannelLogout},
		{"/aad/cb", aad, ProviderCallback},
		{"/signout-callback-aad", aad, ProviderSignoutCallback},
		{"/signin-aad", nil, NoProviderPath},
		{"/signin-oidc/", nil, NoProviderPath},
		{"/Signin-oidc", nil, NoProviderPath},
		{"/", nil, NoProviderPath},
		{"", nil, NoProviderPath},
	}
	for _, tt := range tests {
		p, kind := cfg.ProviderPathFor(tt.path)
		if p != tt.p || kind != tt.kind {
			t.Errorf("ProviderPathFor(%q) = %v, %v; want %v, %v", tt.path, p, kind, tt.p, tt.kind)
		}
	}
}
