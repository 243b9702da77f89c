package core

import (
	"errors"
	"fmt"
	"time"

	"github.com/exeunt/exeunt/core/jose"
	"github.com/exeunt/exeunt/core/oidc"
)

// Provider access: the one place a flow gets a provider's metadata and keys, and
// verifies a token the provider signed. Flows used to write "have the metadata, else
// fetch it and continue" and "verify, refetch once on an unknown key" by hand, each
// with its own idea of when to give up; both are here now, in continuation style on the
// call mechanism (fetching is a Call; the flow continues in then).

// errNoProviderCopy says that no usable copy of a provider's metadata and keys could
// be had, even after fetching them.
var errNoProviderCopy = errors.New("no usable copy of the provider's metadata and keys")

// withProvider continues with a usable copy of p's metadata and keys: at once when
// one is known, else after fetching them once. then gets the copy, or nil and why none
// could be had (the fetch's error, else errNoProviderCopy: the fetch succeeded but the
// store did not keep its result).
func (e *Engine) withProvider(p *Provider, now time.Time, then func(v *providerView, err error) Decision) Decision {
	return e.ensureProvider(p, now, func(v *providerView, _ bool, err error) Decision { return then(v, err) })
}

// ensureProvider is withProvider, also telling then whether the copy was fetched for
// this request (and so is as fresh as a refetch would be).
func (e *Engine) ensureProvider(p *Provider, now time.Time, then func(v *providerView, fetched bool, err error) Decision) Decision {
	if v, ok := e.providerInfo(p); ok {
		return then(v, false, nil)
	}
	return Decision{Call: e.fetchProvider(p, now, func(err error) Decision {
		// Another VM may have stored a copy while this fetch failed: any usable copy
		// serves.
		if v, ok := e.providerInfo(p); ok {
			return then(v, true, nil)
		}
		if err == nil {
			err = errNoProviderCopy
		}
		return then(nil, true, err)
	})}
}

// errProviderKeys wraps why a token could not be verified for want of the provider's
// keys (as opposed to the token being invalid): errors.Is(err, errNoProviderCopy).
func errProviderKeys(err error) error {
	if errors.Is(err, errNoProviderCopy) {
		return err
	}
	return fmt.Errorf("%w: %v", errNoProviderCopy, err)
}

// keyRefetchEvery bounds the refetches an unknown key causes: at most one per this
// interval after the last fetch (good or failed), for the whole Envoy (the state is in
// the store). Anyone can POST a logout token naming any kid to /backchannel-{scheme};
// without the bound each one made Exeunt call the provider twice (discovery and JWKS).
// A provider that rotates publishes its new key before signing with it, and the copy is
// refreshed every metaRefreshEvery anyway: a token signed with a key published less
// than this after the last fetch waits for the next one.
const keyRefetchEvery = 10 * time.Second

// keyRefetchDue says whether an unknown key may make the provider's keys be fetched
// again now.
func keyRefetchDue(st providerState, now time.Time) bool {
	return now.Unix()-max(st.FetchedAt, st.FailedAt) >= int64(keyRefetchEvery/time.Second)
}

// verifyProviderToken runs verify with p's keys, getting them first if none are known.
// When verify fails with oidc.ErrUnknownKey the provider may have rotated its keys: they
// are fetched once more and verify runs once more, unless they were fetched for this
// very request or less than keyRefetchEvery ago. then gets verify's last outcome, or
// an error wrapping errNoProviderCopy when no keys could be had.
func (e *Engine) verifyProviderToken(p *Provider, now time.Time, verify func(*jose.JSONWebKeySet) error, then func(error) Decision) Decision {
	return e.ensureProvider(p, now, func(v *providerView, fetched bool, err error) Decision {
		if err != nil {
			return then(errProviderKeys(err))
		}
		err = verify(v.keys)
		if err == nil || fetched || !errors.Is(err, oidc.ErrUnknownKey) || !keyRefetchDue(v.state, now) {
			return then(err)
		}
		return Decision{Call: e.fetchProvider(p, now, func(fetchErr error) Decision {
			v, ok := e.providerInfo(p)
			if !ok {
				if fetchErr == nil {
					fetchErr = errNoProviderCopy
				}
				return then(errProviderKeys(fetchErr))
			}
			return then(verify(v.keys))
		})}
	})
}
