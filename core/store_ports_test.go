package core

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The flows reach state outside the cookie only through the ports (store_ports.go):
// no file but the local backend's names a key space of shared data or calls a bucket
// helper. A new flow that writes to the store directly fails here.
func TestFlowsNameNoStoreKeyOrBucket(t *testing.T) {
	backend := map[string]bool{"store_local.go": true, "store_local_map.go": true, "store_local_set.go": true,
		"store_local_assertions.go": true, "store_local_since.go": true} // the VMs' shared assertions: a cache of one Envoy, not a port
	// Reaching the raw Store stays with components that are not flows: provider
	// metadata (a per-Envoy cache of what the provider publishes), generated dev keys, and
	// the etcd backend's one follow per Envoy (its state kept in shared data).
	rawStore := map[string]bool{"store.go": true, "provider_meta.go": true, "keyring.go": true, "store_etcd_share.go": true}
	keySpaces := `revokedSessions|usedStates|usedLogoutTokens|sessionRecords|providerSessions|subjectSessions|logoutContexts|contextsBySID|deliveries|sharedAssertions`
	forbidden := regexp.MustCompile(`(?:^|[^.\w])(` + keySpaces + `)\.|\bnewExpiring(Map|Set)\b|\bexpiring(Map|Set)\b|\bmapUpdate\b`)
	keyName := regexp.MustCompile(`"exeunt/`)
	storeUse := regexp.MustCompile(`\be\.store\b|\bstore\.(Get|Set)\(`)
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		name := f.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || backend[name] {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(src), "\n") {
			code, _, _ := strings.Cut(line, "//")
			if m := forbidden.FindString(code); m != "" {
				t.Errorf("%s:%d names %q: reach the store through a port (store_ports.go)", name, i+1, m)
			}
			if m := keyName.FindString(code); m != "" && !rawStore[name] {
				t.Errorf("%s:%d names a store key: reach the store through a port (store_ports.go)", name, i+1)
			}
			if m := storeUse.FindString(code); m != "" && !rawStore[name] && name != "engine.go" {
				t.Errorf("%s:%d uses the raw store (%q): reach it through a port (store_ports.go)", name, i+1, m)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d files: is the test running in core/?", checked)
	}
}

// decodeNow, encodeNow and revokeNow run a port-backed step to its end with the local
// backend, whose continuations run before it returns.
func decodeNow(t *testing.T, e *Engine, id string, now time.Time) (*logoutContext, error) {
	t.Helper()
	var ctx *logoutContext
	var err error
	ran := false
	d := e.decodeLogoutID(id, now, func(c *logoutContext, er error) Decision { ctx, err, ran = c, er, true; return Continue() })
	if !ran || !d.Continues() {
		t.Fatal("the local backend did not answer at once")
	}
	return ctx, err
}

func encodeNow(t *testing.T, e *Engine, ctx *logoutContext, urlLen int, now time.Time) (string, error) {
	t.Helper()
	var id string
	var err error
	ran := false
	e.encodeLogoutID(ctx, urlLen, now, func(i string, er error) Decision { id, err, ran = i, er, true; return Continue() })
	if !ran {
		t.Fatal("the local backend did not answer at once")
	}
	return id, err
}

func revokeNow(t *testing.T, e *Engine, sid string, expires int64, now time.Time) error {
	t.Helper()
	var err error
	ran := false
	e.revokeSession(sid, expires, now, func(er error) Decision { err, ran = er, true; return Continue() })
	if !ran {
		t.Fatal("the local backend did not answer at once")
	}
	return err
}

// useStore makes e a VM sharing store with another: the raw store and every port.
func (e *Engine) useStore(store Store) {
	e.store = store
	ports, err := newStorePorts(e.cfg, store, nil)
	if err != nil {
		panic(err)
	}
	e.ports = ports
	if deferStorePorts {
		e.ports = deferPorts(e.ports)
	}
	if etcdFlows.url != "" {
		e.ports = etcdFlowPorts(etcdFlows.t, e.cfg)
	}
}
