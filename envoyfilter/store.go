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
	case errors.Is(err, types.ErrorStatusNotFound):
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
