package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// What an app trusts Exeunt for: tokens signed with ES256 by a key in Exeunt's JWKS, found
// through Exeunt's discovery document, as any OpenID Connect library would do it.

// backchannelLogoutEvent is the one member the events claim of a logout token must have.
const backchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// clockSkew is the leeway on exp, iat and nbf.
const clockSkew = time.Minute

// issuerKeys caches Exeunt's discovery document and JWKS.
type issuerKeys struct {
	issuer string
	client *http.Client

	mu        sync.Mutex
	discovery *discoveryDoc
	fetchedAt time.Time
	jwks      *jose.JSONWebKeySet
	jwksAt    time.Time
}

type discoveryDoc struct {
	Issuer             string `json:"issuer"`
	JWKSURI            string `json:"jwks_uri"`
	EndSessionEndpoint string `json:"end_session_endpoint"`
}

func newIssuerKeys(issuer string, client *http.Client) *issuerKeys {
	return &issuerKeys{issuer: issuer, client: client}
}

func (k *issuerKeys) getJSON(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// metadata returns Exeunt's discovery document, fetched at most once a minute.
func (k *issuerKeys) metadata(ctx context.Context) (*discoveryDoc, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.discovery != nil && time.Since(k.fetchedAt) < time.Minute {
		return k.discovery, nil
	}
	var doc discoveryDoc
	if err := k.getJSON(ctx, strings.TrimSuffix(k.issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
		return nil, fmt.Errorf("Exeunt's discovery document: %w", err)
	}
	if doc.Issuer != k.issuer {
		return nil, fmt.Errorf("Exeunt's discovery document names the issuer %q, not %q", doc.Issuer, k.issuer)
	}
	if doc.JWKSURI == "" {
		return nil, errors.New("Exeunt's discovery document has no jwks_uri")
	}
	k.discovery, k.fetchedAt = &doc, time.Now()
	return k.discovery, nil
}

// endSessionEndpoint is Exeunt's end session endpoint, from its discovery document.
func (k *issuerKeys) endSessionEndpoint(ctx context.Context) (string, error) {
	doc, err := k.metadata(ctx)
	if err != nil {
		return "", err
	}
	if doc.EndSessionEndpoint == "" {
		return "", errors.New("Exeunt's discovery document has no end_session_endpoint")
	}
	return doc.EndSessionEndpoint, nil
}

// key returns the verification key with the given kid, fetching the JWKS again (at most once
// a second) when the cached copy does not have it: Exeunt may have rotated its keys.
func (k *issuerKeys) key(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	doc, err := k.metadata(ctx)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.jwks != nil {
		if keys := k.jwks.Key(kid); len(keys) > 0 {
			return &keys[0], nil
		}
		if time.Since(k.jwksAt) < time.Second {
			return nil, fmt.Errorf("no key %q in Exeunt's JWKS", kid)
		}
	}
	var set jose.JSONWebKeySet
	if err := k.getJSON(ctx, doc.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("Exeunt's JWKS: %w", err)
	}
	k.jwks, k.jwksAt = &set, time.Now()
	if keys := set.Key(kid); len(keys) > 0 {
		return &keys[0], nil
	}
	return nil, fmt.Errorf("no key %q in Exeunt's JWKS", kid)
}

// verified parses a JWS signed by Exeunt and checks its signature; claims are decoded into
// out (each a pointer).
func (a *App) verified(ctx context.Context, raw string, out ...any) (jose.Header, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return jose.Header{}, fmt.Errorf("not a JWS signed with ES256: %w", err)
	}
	h := tok.Headers[0]
	key, err := a.keys.key(ctx, h.KeyID)
	if err != nil {
		return h, err
	}
	if err := tok.Claims(key.Key, out...); err != nil {
		return h, fmt.Errorf("signature: %w", err)
	}
	return h, nil
}

// Assertion is what the app read from a verified x-exeunt-assertion.
type Assertion struct {
	KeyID    string
	Issuer   string
	Audience []string
	Subject  string
	SID      string
	IdP      string
	IssuedAt time.Time
	Expiry   time.Time
}

func (a *App) verifyAssertion(ctx context.Context, raw string) (*Assertion, error) {
	var c jwt.Claims
	var extra struct {
		SID string `json:"sid"`
		IdP string `json:"idp"`
	}
	h, err := a.verified(ctx, raw, &c, &extra)
	if err != nil {
		return nil, err
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: a.cfg.Issuer, AnyAudience: jwt.Audience{a.cfg.ClientID}, Time: a.cfg.Now()}, clockSkew); err != nil {
		return nil, err
	}
	as := &Assertion{KeyID: h.KeyID, Issuer: c.Issuer, Audience: c.Audience, Subject: c.Subject, SID: extra.SID, IdP: extra.IdP}
	if c.IssuedAt != nil {
		as.IssuedAt = c.IssuedAt.Time()
	}
	if c.Expiry != nil {
		as.Expiry = c.Expiry.Time()
	}
	return as, nil
}

// logoutClaims are a logout token's claims.
type logoutClaims struct {
	jwt.Claims
	SID    string                     `json:"sid"`
	Events map[string]json.RawMessage `json:"events"`
	Nonce  *string                    `json:"nonce"`
}

// verifyLogoutToken validates a logout token as Back-Channel Logout 1.0 §2.6 says. It returns
// the claims it could read even when the token is refused, to record what was refused.
func (a *App) verifyLogoutToken(ctx context.Context, raw string) (*logoutClaims, error) {
	if raw == "" {
		return nil, errors.New("no logout_token in the form body")
	}
	var c logoutClaims
	h, err := a.verified(ctx, raw, &c)
	if err != nil {
		return nil, err
	}
	// The typ header is RECOMMENDED; when present it must say logout+jwt, so that another
	// kind of token signed by the same keys cannot be passed off as a logout token.
	if typ, ok := h.ExtraHeaders[jose.HeaderType].(string); ok && !strings.EqualFold(strings.TrimPrefix(strings.ToLower(typ), "application/"), "logout+jwt") {
		return &c, fmt.Errorf("typ %q is not logout+jwt", typ)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: a.cfg.Issuer, AnyAudience: jwt.Audience{a.cfg.ClientID}, Time: a.cfg.Now()}, clockSkew); err != nil {
		return &c, err
	}
	switch {
	case c.IssuedAt == nil:
		return &c, errors.New("no iat")
	case c.Expiry == nil:
		return &c, errors.New("no exp")
	case c.ID == "":
		return &c, errors.New("no jti")
	case c.SID == "" && c.Subject == "":
		return &c, errors.New("neither sid nor sub")
	case c.Nonce != nil:
		return &c, errors.New("a nonce: logout tokens must not have one")
	}
	ev, ok := c.Events[backchannelLogoutEvent]
	if !ok {
		return &c, errors.New("events lacks " + backchannelLogoutEvent)
	}
	var obj map[string]any
	if json.Unmarshal(ev, &obj) != nil || obj == nil {
		return &c, errors.New("the back-channel logout event is not a JSON object")
	}
	// Replay: a jti is accepted once while its token could still be valid.
	now := a.cfg.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for jti, until := range a.jtis {
		if now.After(until) {
			delete(a.jtis, jti)
		}
	}
	if _, seen := a.jtis[c.ID]; seen {
		return &c, fmt.Errorf("jti %q was already used", c.ID)
	}
	a.jtis[c.ID] = c.Expiry.Time().Add(clockSkew)
	return &c, nil
}
