package core

import (
	"errors"
	"strconv"
	"time"
)

// The local store forgets every sign-out when Envoy restarts: shared data lives in the
// Envoy process. The session cookie does not: with configured keys it still opens after
// the restart, so a session signed out before it would be served again, and a page that
// said "signed out" would have lied. So the local store remembers when this Envoy's
// shared data began (the start of the VM that first wrote it; a plugin reload keeps the
// process's shared data, and the instant with it), and a session created at or before that second
// is refused as signed out: the user signs in again. A restart on the local store thus
// signs everyone out, as it does with keys.dev_generate; the etcd store keeps sign-outs
// across restarts and has no such instant.
//
// A session keeps its creation in whole seconds, so the second the store began is
// ambiguous: a session of the previous process may have been created in it. Such sessions
// are refused, and a session this process creates in that second is stamped with the
// next one (startSession), so that it is kept. One case stays open: an Envoy that started,
// signed a session in and out and restarted all within one second, whose session was
// stamped with the next second, which the restarted store does not cover.
// Nor does it cover an Envoy hot restart: the old process serves on during its drain, with
// its own shared data, and a session it makes and signs out after the new process began
// is newer than the new store's instant (RATIONALE.md).

// localStoreSinceKey holds when this Envoy's local store began, Unix seconds in decimal.
const localStoreSinceKey = "exeunt/local-store-since"

// localStoreSince returns when this Envoy's shared data began keeping sign-outs: the now
// of the VM whose write stands (shared data has no create-if-absent, so VMs starting
// together may each write theirs; all of them started after the previous process's
// sessions were made, and they read back the one that stands). A recorded instant is
// never moved back, also not by a later VM or tick whose clock reads earlier (the clock
// was stepped back): moving it back would serve again the previous process's sessions
// created after the new instant, signed out or not. ok is false when shared data cannot
// be read or written.
func localStoreSince(store Store, now time.Time) (since int64, ok bool) {
	candidate := now.Unix()
	for attempt := 0; attempt < 8; attempt++ {
		raw, version, err := store.Get(localStoreSinceKey)
		switch {
		case errors.Is(err, ErrNotFound):
			version = 0
		case err != nil:
			return 0, false
		default:
			if v, perr := strconv.ParseInt(string(raw), 10, 64); perr == nil && v > 0 {
				return v, true
			}
		}
		err = store.Set(localStoreSinceKey, []byte(strconv.FormatInt(candidate, 10)), version)
		if err != nil && !errors.Is(err, ErrConflict) {
			return 0, false
		}
	}
	return 0, false
}
