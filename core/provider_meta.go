package core

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/exeunt/exeunt/core/jose"
	"github.com/exeunt/exeunt/core/oidc"

	"github.com/exeunt/exeunt/core/jsonx"
)

// Provider metadata (discovery) and keys (JWKS) are fetched through the provider's
// cluster, kept in the store so every VM shares one copy, refreshed on ticks, and the
// last good copy is kept when a refresh fails: a provider's brief outage must not sign
// anyone out or block sign-ins that the cached keys can still verify.

const (
	metaRefreshEvery = 10 * time.Minute // a good copy is refreshed this often
	metaRetryEvery   = 30 * time.Second // a failed or missing copy is retried this often
	fetchTimeout     = 5 * time.Second
	// fetchLease stops every VM from fetching at once: the first to take the lease in
	// the store fetches, the others wait for its result.
	fetchLease = 15 * time.Second
)

// providerState is what the store holds for one provider.
type providerState struct {
	Metadata  *oidc.ProviderMetadata `json:"metadata,omitempty"`
	JWKS      rawJSON                `json:"jwks,omitempty"`
	FetchedAt int64                  `json:"fetched_at,omitempty"` // last success
	TriedAt   int64                  `json:"tried_at,omitempty"`   // last attempt (lease)
	FailedAt  int64                  `json:"failed_at,omitempty"`  // last failure
	LastError string                 `json:"last_error,omitempty"`
}

func providerKey(p *Provider) string { return "exeunt/provider/" + p.Scheme }

// providerView is a VM's parsed copy of a providerState, reused while the store's
// version is unchanged.
type providerView struct {
	version uint32
	state   providerState
	keys    *jose.JSONWebKeySet
}

// provider returns what is known of p: from the VM's cache if the store has not
// changed, else parsed from the store. ok is false when no usable copy exists yet.
func (e *Engine) providerInfo(p *Provider) (*providerView, bool) {
	raw, version, err := e.store.Get(providerKey(p))
	if err != nil {
		return nil, false
	}
	if v := e.providers[p.Scheme]; v != nil && v.version == version {
		return v, v.usable(p)
	}
	v := &providerView{version: version}
	if jsonx.Unmarshal(raw, &v.state) != nil {
		return nil, false
	}
	if len(v.state.JWKS) > 0 {
		v.keys, _ = oidc.ParseJWKS(v.state.JWKS)
	}
	e.providers[p.Scheme] = v
	return v, v.usable(p)
}

func (v *providerView) usable(p *Provider) bool {
	return v.keys != nil && v.endpoints(p).TokenEndpoint != ""
}

// endpoints are the provider's endpoints: configured ones win over discovery.
func (v *providerView) endpoints(p *Provider) oidc.ProviderMetadata {
	if !p.UsesDiscovery() {
		return oidc.ProviderMetadata{Issuer: p.Issuer, AuthorizationEndpoint: p.AuthorizationEndpoint,
			TokenEndpoint: p.TokenEndpoint, JWKSURI: p.JWKSURI, EndSessionEndpoint: p.EndSessionEndpoint}
	}
	if v == nil || v.state.Metadata == nil {
		return oidc.ProviderMetadata{}
	}
	return *v.state.Metadata
}

// fetchProvider returns a Call chain that fetches p's discovery document (when it uses
// discovery) and JWKS, stores them, and then hands the outcome to done (nil error on
// success). Failures keep the last good copy and record the error.
func (e *Engine) fetchProvider(p *Provider, now time.Time, done func(error) Decision) *Call {
	fail := func(err error) Decision {
		e.updateProvider(p, func(st *providerState) { st.LastError, st.FailedAt = err.Error(), now.Unix() })
		return done(err)
	}
	jwks := func(jwksURI string, meta *oidc.ProviderMetadata) *Call {
		return e.get(p, jwksURI, func(r CallResult) Decision {
			if err := callError(r, "JWKS", jwksURI); err != nil {
				return fail(err)
			}
			if _, err := oidc.ParseJWKS(r.Body); err != nil {
				return fail(fmt.Errorf("the JWKS at %s: %w", jwksURI, err))
			}
			e.updateProvider(p, func(st *providerState) {
				if meta != nil {
					st.Metadata = meta
				}
				st.JWKS = append(rawJSON(nil), r.Body...)
				st.FetchedAt, st.LastError = now.Unix(), ""
			})
			return done(nil)
		})
	}
	if !p.UsesDiscovery() {
		return jwks(p.JWKSURI, nil)
	}
	return e.get(p, p.DiscoveryURL, func(r CallResult) Decision {
		if err := callError(r, "discovery document", p.DiscoveryURL); err != nil {
			return fail(err)
		}
		meta, err := oidc.ParseDiscovery(r.Body, p.Issuer)
		if err != nil {
			return fail(fmt.Errorf("the discovery document at %s: %w", p.DiscoveryURL, err))
		}
		return Decision{Call: jwks(meta.JWKSURI, meta)}
	})
}

// updateProvider changes the stored state with compare-and-swap, so two VMs' updates
// never lose each other.
func (e *Engine) updateProvider(p *Provider, change func(*providerState)) {
	for attempt := 0; attempt < 10; attempt++ {
		raw, version, err := e.store.Get(providerKey(p))
		var st providerState
		if err == nil {
			_ = jsonx.Unmarshal(raw, &st)
		} else if !errors.Is(err, ErrNotFound) {
			return
		}
		change(&st)
		b, _ := jsonx.Marshal(&st)
		if err := e.store.Set(providerKey(p), b, version); !errors.Is(err, ErrConflict) {
			return
		}
	}
}

// takeFetchLease says whether this VM should refresh p now, and if so records the
// attempt so that other VMs do not fetch at the same time. A good copy is refreshed
// every metaRefreshEvery; after a failure (or with no copy yet) every metaRetryEvery.
func (e *Engine) takeFetchLease(p *Provider, now time.Time) bool {
	raw, version, err := e.store.Get(providerKey(p))
	var st providerState
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return false
	default:
		if jsonx.Unmarshal(raw, &st) != nil {
			st = providerState{}
		}
	}
	t := now.Unix()
	last, wait := st.FetchedAt, metaRefreshEvery
	if st.FailedAt > st.FetchedAt {
		last, wait = st.FailedAt, metaRetryEvery
	}
	inFlight := st.TriedAt > last && t-st.TriedAt < int64(fetchLease/time.Second)
	if inFlight || (last != 0 && t-last < int64(wait/time.Second)) {
		return false
	}
	st.TriedAt = t
	b, _ := jsonx.Marshal(&st)
	return e.store.Set(providerKey(p), b, version) == nil
}

// get is a GET through the provider's cluster.
func (e *Engine) get(p *Provider, rawURL string, then func(CallResult) Decision) *Call {
	u, err := url.Parse(rawURL)
	if err != nil {
		return &Call{Cluster: p.Cluster, Then: func(CallResult) Decision { return then(CallResult{}) }}
	}
	return &Call{Cluster: p.Cluster, Method: "GET", Path: u.RequestURI(), Authority: u.Host,
		Headers: []Header{{Name: "accept", Value: "application/json"}}, Timeout: fetchTimeout, Then: then}
}

// callError turns a failed or non-200 call into an error naming what was fetched.
func callError(r CallResult, what, where string) error {
	switch {
	case r.Status == 0:
		return fmt.Errorf("fetching the %s from %s: no answer (timeout or connection failure)", what, where)
	case r.Status != 200:
		return fmt.Errorf("fetching the %s from %s: HTTP %d", what, where, r.Status)
	}
	return nil
}
