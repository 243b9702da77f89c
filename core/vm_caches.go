package core

// vmCaches are what one VM remembers between requests to spare itself work: parsed
// provider metadata and keys, signed assertions, opened session cookies and
// session_state values. None is kept in the store (signed assertions are also shared
// with the other VMs of the Envoy, through shared data: store_local_assertions.go); each is
// bounded (it starts over when full) and keyed by what it was derived from (the store's
// version, the assertion's subject and audience with its expiry checked, the whole
// sealed value), so dropping one costs time only (a session_state then gets a fresh
// salt, as it does when its cache starts over). They are apart from the Engine's
// configuration, keys, store and scheduling state so that it is clear what an Engine
// may forget; the Engine embeds them, so its methods read e.providers as before.
type vmCaches struct {
	providers map[string]*providerView // by provider scheme (provider_meta.go)
	// assertions are the signed assertions, by session id, then client (identity.go,
	// hint.go); assertionCount is how many there are in all, for their bound. Keyed by
	// a string, with a small value, so that a lookup takes the runtime's fast path for
	// string keys: a struct key, or a value over 128 bytes, costs a generic lookup that
	// hashes through the type's functions on every signed-in request (BENCHMARKS.md,
	// "Issue 15: the signed-in path and the sign-out"). The same holds for sessions.
	assertions     map[string][]clientAssertion
	assertionCount int
	sessions       map[string]*openedCookie // opened cookies, by the sealed value's last bytes (session.go's unseal)
	// sessionStates caches session_state values, by sid, client and origin
	// (session_management.go); made on first use.
	sessionStates map[string]string
}

func newVMCaches() vmCaches {
	return vmCaches{providers: map[string]*providerView{}, assertions: map[string][]clientAssertion{}, sessions: map[string]*openedCookie{}}
}
