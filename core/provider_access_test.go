package core

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	cjose "github.com/exeunt/exeunt/core/jose"

	"github.com/exeunt/exeunt/core/oidc"
)

// keyedIdP is a provider whose JWKS holds the keys named in kids (the provider rotates
// by changing kids), answering discovery as fakeIdP does; down makes every call fail.
type keyedIdP struct {
	*fakeIdP
	kids []string
	key  *ecdsa.PrivateKey
}

func newKeyedIdP(t *testing.T, kids ...string) *keyedIdP {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return &keyedIdP{fakeIdP: newFakeIdP(t), kids: kids, key: k}
}

func (f *keyedIdP) answer(c *Call) CallResult {
	if c.Path != "/jwks" || f.down {
		return f.fakeIdP.answer(c)
	}
	f.calls = append(f.calls, c.Method+" "+c.Path)
	var set jose.JSONWebKeySet
	for _, kid := range f.kids {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &f.key.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"})
	}
	b, _ := json.Marshal(set)
	return CallResult{Status: 200, Body: b}
}

// run follows d's calls against the provider to the final decision.
func (f *keyedIdP) run(d Decision) Decision {
	for d.Call != nil {
		d = d.Call.Then(f.answer(d.Call))
	}
	return d
}

func (f *keyedIdP) count(path string) int {
	n := 0
	for _, c := range f.calls {
		if strings.HasSuffix(c, " "+path) {
			n++
		}
	}
	return n
}

func TestWithProviderCachedFetchedOrFailed(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cached    bool // a copy is in the store before the request
		down      bool // the provider does not answer
		wantCalls int  // calls made for this request
		wantErr   bool
	}{
		{name: "cached", cached: true, wantCalls: 0},
		{name: "fetched", wantCalls: 2}, // discovery, then JWKS
		{name: "fetch fails", down: true, wantCalls: 1, wantErr: true},
		{name: "provider down, cached copy serves", cached: true, down: true, wantCalls: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustEngine(t, signinConfig(t))
			idp := newKeyedIdP(t, "k1")
			p := e.cfg.Providers[0]
			now := time.Now()
			if tc.cached {
				idp.run(e.withProvider(p, now, func(*providerView, error) Decision { return Continue() }))
				idp.calls = nil
			}
			idp.down = tc.down
			var got *providerView
			var gotErr error
			ran := 0
			idp.run(e.withProvider(p, now, func(v *providerView, err error) Decision {
				ran++
				got, gotErr = v, err
				return Continue()
			}))
			is(t, "then ran", ran, 1)
			is(t, "calls", len(idp.calls), tc.wantCalls)
			if tc.wantErr {
				if gotErr == nil || got != nil {
					t.Fatalf("got %v, %v; want no copy and the fetch's error", got, gotErr)
				}
				return
			}
			if gotErr != nil || got == nil || got.keys == nil || len(got.keys.Key("k1")) != 1 || got.endpoints(p).TokenEndpoint != "https://idp.test/token" {
				t.Fatalf("got %+v, %v; want the provider's copy with key k1", got, gotErr)
			}
		})
	}
}

func TestVerifyProviderTokenRefetchesOnceOnAnUnknownKey(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cached     []string // kids of the copy in the store before the request (nil: none)
		now        []string // kids the provider serves during the request
		down       bool     // the provider does not answer during the request
		kid        string   // the key the token names
		wantJWKS   int      // JWKS fetches during the request
		wantVerify int      // times verify ran
		wantErr    error    // nil: verified
		wantNoCopy bool     // the error says no keys could be had
		fresh      bool     // the cached copy was fetched just now (else a minute before)
	}{
		{name: "known key", cached: []string{"k1"}, now: []string{"k1"}, kid: "k1", wantJWKS: 0, wantVerify: 1},
		{name: "rotated: one refetch, then verified", cached: []string{"k1"}, now: []string{"k2"}, kid: "k2", wantJWKS: 1, wantVerify: 2},
		{name: "still unknown after one refetch", cached: []string{"k1"}, now: []string{"k1"}, kid: "k9", wantJWKS: 1, wantVerify: 2, wantErr: oidc.ErrUnknownKey},
		{name: "refetch fails: the last good copy decides", cached: []string{"k1"}, down: true, kid: "k2", wantJWKS: 0, wantVerify: 2, wantErr: oidc.ErrUnknownKey},
		{name: "another error: no refetch", cached: []string{"k1"}, now: []string{"k1"}, kid: "bad-signature", wantJWKS: 0, wantVerify: 1, wantErr: errBadSignature},
		{name: "no copy: fetched, verified", now: []string{"k1"}, kid: "k1", wantJWKS: 1, wantVerify: 1},
		{name: "no copy: fetched for this request, not refetched", now: []string{"k1"}, kid: "k2", wantJWKS: 1, wantVerify: 1, wantErr: oidc.ErrUnknownKey},
		{name: "no copy and provider down", down: true, kid: "k1", wantJWKS: 0, wantVerify: 0, wantNoCopy: true},
		{name: "unknown key right after a fetch: no refetch", cached: []string{"k1"}, now: []string{"k2"}, kid: "k2", fresh: true, wantJWKS: 0, wantVerify: 1, wantErr: oidc.ErrUnknownKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustEngine(t, signinConfig(t))
			idp := newKeyedIdP(t, tc.cached...)
			p := e.cfg.Providers[0]
			now := time.Now()
			if tc.cached != nil {
				fetchedAt := now.Add(-time.Minute)
				if tc.fresh {
					fetchedAt = now
				}
				idp.run(e.withProvider(p, fetchedAt, func(*providerView, error) Decision { return Continue() }))
				idp.calls = nil
			}
			idp.kids, idp.down = tc.now, tc.down
			verified := 0
			verify := func(keys *cjose.JSONWebKeySet) error {
				verified++
				switch {
				case tc.kid == "bad-signature":
					return errBadSignature
				case len(keys.Key(tc.kid)) == 0:
					return fmt.Errorf("%w: %s", oidc.ErrUnknownKey, tc.kid)
				}
				return nil
			}
			var got error
			ran := 0
			idp.run(e.verifyProviderToken(p, now, verify, func(err error) Decision {
				ran++
				got = err
				return Continue()
			}))
			is(t, "then ran", ran, 1)
			is(t, "JWKS fetches", idp.count("/jwks"), tc.wantJWKS)
			is(t, "verify ran", verified, tc.wantVerify)
			switch {
			case tc.wantNoCopy:
				if !errors.Is(got, errNoProviderCopy) {
					t.Fatalf("err = %v, want errNoProviderCopy", got)
				}
			case tc.wantErr == nil:
				if got != nil {
					t.Fatalf("err = %v, want verified", got)
				}
			default:
				if !errors.Is(got, tc.wantErr) || errors.Is(got, errNoProviderCopy) {
					t.Fatalf("err = %v, want %v", got, tc.wantErr)
				}
			}
		})
	}
}

var errBadSignature = errors.New("bad signature")
