package core

import (
	"fmt"
	"net/url"
)

// discoverySuffix is where OpenID Connect Discovery 1.0 (section 4) looks for an
// issuer's configuration: the issuer, without a trailing "/", followed by this.
const discoverySuffix = "/.well-known/openid-configuration"

// Paths are the paths Exeunt answers itself, on any host routed to the filter. Each is
// distinct from the others, from the health path and from every provider's paths.
type Paths struct {
	_ noCompare
	// Discovery serves Exeunt's OpenID Provider metadata; always the issuer's path
	// followed by /.well-known/openid-configuration, where discovery looks for it.
	Discovery string
	// JWKS serves the public keys of Keys.Signing.
	JWKS string
	// EndSession is the end session endpoint of RP-Initiated Logout, where apps send the
	// user to sign out.
	EndSession string
	// SigninChoice is the page where the user picks a provider when several apply.
	SigninChoice string
	// LogoutContext carries a sign-out across redirects (IdentityServer's logoutId).
	LogoutContext string
	// CheckSession is the check_session_iframe of OpenID Connect Session Management
	// 1.0; answered only with Logout.SessionManagement.
	CheckSession string
}

// defaultPaths are the paths for an issuer whose URL has the given path ("" for none).
func defaultPaths(issuerPath string) Paths {
	return Paths{
		Discovery:     issuerPath + discoverySuffix,
		JWKS:          "/.well-known/jwks.json",
		EndSession:    "/connect/endsession",
		SigninChoice:  "/exeunt/signin",
		LogoutContext: "/exeunt/logout-context",
		CheckSession:  "/connect/checksession",
	}
}

func (cfg *Config) readPaths(obj *jsonObject) error {
	issuerPath := ""
	if cfg.Issuer != "" {
		u, _ := url.Parse(cfg.Issuer) // checked by readIssuer
		issuerPath = u.EscapedPath()
	}
	cfg.Paths = defaultPaths(issuerPath)
	paths, ok, err := obj.optionalObject("paths")
	if err != nil || !ok {
		return err
	}
	for _, f := range cfg.Paths.fields() {
		s, ok, err := paths.optionalString(f.name)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if problem := checkPath(s, *f.value); problem != "" {
			return paths.fieldError(f.name, problem)
		}
		if f.name == "discovery" && s != *f.value {
			return paths.fieldError(f.name, fmt.Sprintf(
				"must be %q, the issuer's path followed by %s: OpenID Connect Discovery looks for the document there and nowhere else (or remove the field)",
				*f.value, discoverySuffix))
		}
		*f.value = s
	}
	return paths.rejectUnknown()
}

// namedString is a configured string (a path, a header name) and the field it comes
// from.
type namedString struct {
	name  string
	value *string
}

func (p *Paths) fields() []namedString {
	return []namedString{
		{"discovery", &p.Discovery},
		{"jwks", &p.JWKS},
		{"end_session", &p.EndSession},
		{"signin_choice", &p.SigninChoice},
		{"logout_context", &p.LogoutContext},
		{"check_session", &p.CheckSession},
	}
}

// checkPathsDistinct refuses two features on one path: only one of them could ever
// answer it.
func (cfg *Config) checkPathsDistinct() error {
	if err := cfg.checkSessionPath(); err != nil {
		return err
	}
	owner := map[string]string{cfg.healthPath: "health_path", cfg.readyPath: "ready_path"}
	claim := func(field, path string) error {
		if other, taken := owner[path]; taken {
			return &ConfigError{Field: field, Problem: fmt.Sprintf(
				"is %q, the same path as %q; every path Exeunt answers must be distinct", path, other)}
		}
		owner[path] = field
		return nil
	}
	for _, f := range cfg.Paths.fields() {
		if err := claim("paths."+f.name, *f.value); err != nil {
			return err
		}
	}
	for i, p := range cfg.Providers {
		for _, f := range p.pathFields() {
			if err := claim(fmt.Sprintf("providers[%d].%s", i, f.name), *f.value); err != nil {
				return err
			}
		}
	}
	return nil
}

// stripQuery drops a request path's query (and a fragment, which clients should not
// send): paths are matched without them, so a cache-busting "?t=123" still reaches an
// endpoint. It is the only function that does this (engine.go's pathOnly was the same
// function under another name).
//
// A byte loop rather than strings.IndexAny, which builds its set of characters on
// every call: this runs on every request.
func stripQuery(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] == '?' || p[i] == '#' {
			return p[:i]
		}
	}
	return p
}
