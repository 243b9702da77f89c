package envoyfilter

import (
	"errors"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/exeunt/exeunt/core"
)

// sharedStore is core.Store on Proxy-Wasm shared data: one key space for every VM of
// the Envoy process, with compare-and-swap versions.
type sharedStore struct{}

func (sharedStore) Get(key string) ([]byte, uint32, error) {
	v, cas, err := proxywasm.GetSharedData(key)
	switch {
	case err == nil:
	case err == types.ErrorStatusNotFound || errors.Is(err, types.ErrorStatusNotFound):
		// The sentinel itself, compared first: errors.Is costs a reflection call on
		// every request's revocation check (BENCHMARKS.md, "Issue 15: the signed-in
		// path and the sign-out").
		return nil, 0, core.ErrNotFound
	case err != nil:
		return nil, 0, err
	}
	return own(v), cas, nil
}

func (sharedStore) Set(key string, value []byte, version uint32) error {
	err := proxywasm.SetSharedData(key, value, version)
	if errors.Is(err, types.ErrorStatusCasMismatch) {
		return core.ErrConflict
	}
	return err
}
