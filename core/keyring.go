package core

import (
	"errors"
	"fmt"
	"slices"

	"github.com/exeunt/exeunt/core/oidc"

	"github.com/exeunt/exeunt/core/jsonx"
)

// keyring holds what seals cookies and signs tokens, for one VM.
type keyring struct {
	sealer *oidc.Sealer
	signer *oidc.Signer
	// signerID names the key that signs, for assertions shared between VMs
	// (store_local_assertions.go).
	signerID [32]byte
}

func newKeyring(sealing []oidc.SealingKey, signing []oidc.SigningKey) (*keyring, error) {
	sealer, err := oidc.NewSealer(sealing)
	if err != nil {
		return nil, err
	}
	signer, err := oidc.NewSigner(signing)
	if err != nil {
		return nil, err
	}
	id, err := signerID(signing[0]) // the first key signs (oidc.NewSigner)
	if err != nil {
		return nil, err
	}
	return &keyring{sealer: sealer, signer: signer, signerID: id}, nil
}

// configuredKeyring converts the configuration's keys.
func configuredKeyring(k Keys) (*keyring, error) {
	sealing := make([]oidc.SealingKey, len(k.Sealing))
	for i, s := range k.Sealing {
		sealing[i] = oidc.SealingKey{KID: s.KID, Secret: s.Secret}
	}
	signing := make([]oidc.SigningKey, len(k.Signing))
	for i, s := range k.Signing {
		signing[i] = oidc.SigningKey{KID: s.KID, Key: s.Key}
	}
	return newKeyring(sealing, signing)
}

// devKeysKey holds the keys generated when the configuration asks for dev_generate.
const devKeysKey = "exeunt/keys/dev"

// devKeys is the stored form of generated keys: every VM contributes the pair it
// generated, and all VMs use the first pair to seal and sign.
type devKeys struct {
	Sealing []string `json:"sealing"` // PEM
	Signing []string `json:"signing"` // PEM
}

// devKeyring makes sure the store holds generated keys every VM agrees on, and returns
// them. Proxy-Wasm shared data cannot create a key only if it is absent (CAS 0 writes
// unconditionally), so two VMs starting at once may each write their own first pair;
// each VM therefore adds its own pair back with compare-and-swap until the stored set
// contains it, and merge runs again on every tick, so that all VMs converge on one set
// within a tick even in that race. Cookies sealed with a pair that lost the race still
// open, because every pair stays in the set.
func devKeyring(store Store, own *devPair) (*keyring, *devPair, error) {
	if own == nil {
		seal, err := oidc.GenerateSealingKey("dev-seal-" + oidc.RandomID(6))
		if err != nil {
			return nil, nil, err
		}
		sign, err := oidc.GenerateSigningKey("dev-sign-" + oidc.RandomID(6))
		if err != nil {
			return nil, nil, err
		}
		sealPEM, err := oidc.MarshalSealingKeyPEM(seal)
		if err != nil {
			return nil, nil, err
		}
		signPEM, err := oidc.MarshalSigningKeyPEM(sign)
		if err != nil {
			return nil, nil, err
		}
		own = &devPair{sealing: string(sealPEM), signing: string(signPEM)}
	}
	for attempt := 0; attempt < 100; attempt++ {
		raw, version, err := store.Get(devKeysKey)
		var set devKeys
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return nil, own, fmt.Errorf("reading generated keys from the store: %w", err)
		default:
			if err := jsonx.Unmarshal(raw, &set); err != nil {
				return nil, own, fmt.Errorf("the generated keys in the store are corrupt: %w", err)
			}
		}
		if slices.Contains(set.Sealing, own.sealing) {
			kr, err := parseDevKeys(set)
			return kr, own, err
		}
		set.Sealing = append(set.Sealing, own.sealing)
		set.Signing = append(set.Signing, own.signing)
		b, _ := jsonx.Marshal(&set)
		if err := store.Set(devKeysKey, b, version); err != nil && !errors.Is(err, ErrConflict) {
			return nil, own, fmt.Errorf("storing generated keys: %w", err)
		}
	}
	return nil, own, errors.New("storing generated keys: too many concurrent writers")
}

type devPair struct {
	_                noCompare
	sealing, signing string
}

func parseDevKeys(set devKeys) (*keyring, error) {
	var sealing []oidc.SealingKey
	for _, p := range set.Sealing {
		k, err := oidc.ParseSealingKeyPEM([]byte(p))
		if err != nil {
			return nil, err
		}
		sealing = append(sealing, k)
	}
	var signing []oidc.SigningKey
	for _, p := range set.Signing {
		k, err := oidc.ParseSigningKeyPEM([]byte(p))
		if err != nil {
			return nil, err
		}
		signing = append(signing, k)
	}
	return newKeyring(sealing, signing)
}
