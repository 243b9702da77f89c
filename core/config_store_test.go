package core

import (
	"strings"
	"testing"
	"time"
)

// etcdStoreSetting is a valid `store` setting for the etcd backend, with only the
// required field.
func etcdStoreSetting(etcd map[string]any) map[string]any {
	if etcd == nil {
		etcd = map[string]any{"cluster": "etcd"}
	}
	return map[string]any{"backend": "etcd", "etcd": etcd}
}

func TestStoreSetting(t *testing.T) {
	const f = `exeunt configuration: field "store.`
	const secret = "hunter2-but-longer"
	runConfigCases(t, []configCase{
		{name: "absent: local", check: func(t *testing.T, c *Config) {
			is(t, "Store", c.Store, StoreSettings{Backend: StoreLocal})
		}},
		{name: "local", edits: []edit{set("store", map[string]any{"backend": "local"})}, check: func(t *testing.T, c *Config) {
			is(t, "Store", c.Store, StoreSettings{Backend: StoreLocal})
		}},
		{name: "empty object: local", edits: []edit{set("store", map[string]any{})}, check: func(t *testing.T, c *Config) {
			is(t, "Store", c.Store, StoreSettings{Backend: StoreLocal})
		}},
		{name: "etcd defaults", edits: []edit{set("store", etcdStoreSetting(nil))}, check: func(t *testing.T, c *Config) {
			is(t, "Backend", c.Store.Backend, StoreEtcd)
			is(t, "Etcd", *c.Store.Etcd, EtcdStore{Cluster: "etcd", Authority: "etcd", KeyPrefix: "/exeunt/",
				Timeout: 2 * time.Second, FollowPeriod: 250 * time.Millisecond, StaleAfter: 30 * time.Second})
			is(t, "etcdSettings", c.etcdSettings(), etcdSettings{Cluster: "etcd", Authority: "etcd", Prefix: "/exeunt/",
				Timeout: 2 * time.Second, FollowEvery: 250 * time.Millisecond, StaleAfter: 30 * time.Second,
				BackchannelTimeout: c.Logout.BackchannelTimeout})
		}},
		{name: "etcd everything", edits: []edit{set("store", etcdStoreSetting(map[string]any{
			"cluster": "outbound|2379||etcd", "authority": "etcd.example.test:2379", "key_prefix": "/fleet-a/",
			"timeout": "500ms", "follow_period": "1s", "stale_after": "1s", "username": "exeunt", "password": secret}))},
			check: func(t *testing.T, c *Config) {
				is(t, "Etcd", *c.Store.Etcd, EtcdStore{Cluster: "outbound|2379||etcd", Authority: "etcd.example.test:2379",
					KeyPrefix: "/fleet-a/", Timeout: 500 * time.Millisecond, FollowPeriod: time.Second, StaleAfter: time.Second,
					Username: "exeunt", Password: secret})
				s := c.etcdSettings()
				is(t, "User", s.User, "exeunt")
				is(t, "Password", s.Password, secret)
			}},

		{name: "generated keys in a fleet", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd"})), set("keys", map[string]any{"dev_generate": true})},
			err: `exeunt configuration: field "keys.dev_generate": must not be true with store.backend "etcd": each replica would generate its own keys and refuse the others' cookies; give keys.sealing and keys.signing, the same on every replica`},
		{name: "unknown backend", edits: []edit{set("store", map[string]any{"backend": "consul"})},
			err: f + `backend": must be "local" (the default) or "etcd", not "consul"`},
		{name: "backend not a string", edits: []edit{set("store", map[string]any{"backend": true})},
			err: f + `backend": must be a string, not a boolean`},
		{name: "store not an object", edits: []edit{set("store", "etcd")},
			err: `exeunt configuration: field "store": must be a JSON object ({...}), not a string`},
		{name: "unknown store field", edits: []edit{set("store", map[string]any{"backend": "local", "etc": map[string]any{}})},
			err: f + `etc": unknown field; remove it or fix its spelling (known fields: backend, etcd)`},
		{name: "etcd without its settings", edits: []edit{set("store", map[string]any{"backend": "etcd"})},
			err: f + `etcd": is required when store.backend is "etcd": give at least its cluster, the Envoy cluster in front of etcd`},
		{name: "etcd settings with local", edits: []edit{set("store", map[string]any{"backend": "local", "etcd": map[string]any{"cluster": "etcd"}})},
			err: f + `etcd": has no effect while store.backend is "local"; set store.backend to "etcd", or remove this`},
		{name: "etcd settings without backend", edits: []edit{set("store", map[string]any{"etcd": map[string]any{"cluster": "etcd"}})},
			err: f + `etcd": has no effect while store.backend is "local"; set store.backend to "etcd", or remove this`},
		{name: "etcd not an object", edits: []edit{set("store", etcdStoreSetting(nil)), set("store.etcd", []any{})},
			err: f + `etcd": must be a JSON object ({...}), not an array`},
		{name: "no cluster", edits: []edit{set("store", etcdStoreSetting(map[string]any{}))},
			err: f + `etcd.cluster": is required when store.backend is "etcd"; name the Envoy cluster in front of etcd's client port`},
		{name: "empty cluster", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": ""}))},
			err: f + `etcd.cluster": must not be empty`},
		{name: "cluster with a space", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "my etcd"}))},
			err: f + `etcd.cluster": must be visible ASCII, without spaces or control characters`},
		{name: "cluster too long", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": strings.Repeat("e", 256)}))},
			err: f + `etcd.cluster": is 256 bytes long; it must be at most 255`},
		{name: "cluster a number", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": 2379}))},
			err: f + `etcd.cluster": must be a string, not a number`},
		{name: "authority with a newline", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "authority": "etcd\n"}))},
			err: f + `etcd.authority": must be visible ASCII, without spaces or control characters`},
		{name: "authority too long", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "authority": strings.Repeat("a", 300)}))},
			err: f + `etcd.authority": is 300 bytes long; it must be at most 255`},
		{name: "prefix without slashes", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "key_prefix": "exeunt"}))},
			err: f + `etcd.key_prefix": must be 3 to 128 bytes of letters, digits, ".", "_", "-" and "/", starting and ending with "/", without "//", like "/exeunt/"`},
		{name: "prefix too long", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "key_prefix": "/" + strings.Repeat("a", 127) + "/"}))},
			err: f + `etcd.key_prefix": must be 3 to 128 bytes of letters, digits, ".", "_", "-" and "/", starting and ending with "/", without "//", like "/exeunt/"`},
		{name: "timeout too short", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "timeout": "1ms"}))},
			err: f + `etcd.timeout": is 1ms; it must be at least 10ms`},
		{name: "timeout too long", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "timeout": "2m"}))},
			err: f + `etcd.timeout": is 2m; it must be at most 1m`},
		{name: "follow period too short", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "follow_period": "10ms"}))},
			err: f + `etcd.follow_period": is 10ms; it must be at least 50ms`},
		{name: "follow period not a duration", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "follow_period": "fast"}))},
			err: f + `etcd.follow_period": must be a duration such as "8h", "90m" or "1h30m" (units: h, m, s, ms; there is no "d")`},
		{name: "stale after too long", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "stale_after": "25h"}))},
			err: f + `etcd.stale_after": is 25h; it must be at most 24h`},
		// A live replica writes its member record after its follows; one that follows less
		// often than memberLiveness looks dead to the others' barriers, which report a
		// sign-out while it still serves from a copy without it (store_etcd_members.go).
		{name: "follow period too long for the barrier", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "follow_period": "5s"}))},
			err: f + `etcd.follow_period": is 5s; it must be at most 1s`},
		{name: "stale before the next follow", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "follow_period": "1s", "stale_after": "500ms"}))},
			err: f + `etcd.stale_after": is 500ms, shorter than follow_period (1s), so the copy of the revocations would go stale between two polls; make it longer`},
		{name: "username without password", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "username": "exeunt"}))},
			err: f + `etcd.password": is required with username (etcd's user and password authentication takes both)`},
		{name: "password without username", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "password": secret}))},
			err: f + `etcd.username": is required with password (etcd's user and password authentication takes both)`},
		{name: "empty username", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "username": "", "password": secret}))},
			err: f + `etcd.username": must be 1 to 128 bytes without control characters`},
		{name: "username with a newline", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "username": "a\nb", "password": secret}))},
			err: f + `etcd.username": must be 1 to 128 bytes without control characters`},
		{name: "username too long", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "username": strings.Repeat("u", 129), "password": secret}))},
			err: f + `etcd.username": must be 1 to 128 bytes without control characters`},
		{name: "empty password", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "username": "u", "password": ""}))},
			err: f + `etcd.password": must be 1 to 256 bytes`},
		{name: "password too long", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "username": "u", "password": secret + strings.Repeat("p", 257)}))},
			err: f + `etcd.password": must be 1 to 256 bytes`},
		{name: "password with a trailing line break", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "username": "u", "password": secret + "\n"}))},
			err: f + `etcd.password": must not contain control characters; a line break copied with the password is the usual cause: copy the password alone`},
		{name: "password with a control character", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "username": "u", "password": "p\x01" + secret}))},
			err: f + `etcd.password": must not contain control characters; a line break copied with the password is the usual cause: copy the password alone`},
		{name: "password a number", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "username": "u", "password": 1234}))},
			err: f + `etcd.password": must be a string, not a number`},
		{name: "unknown etcd field", edits: []edit{set("store", etcdStoreSetting(map[string]any{"cluster": "etcd", "endpoints": []any{"http://etcd:2379"}}))},
			err: f + `etcd.endpoints": unknown field; remove it or fix its spelling (known fields: cluster, authority, key_prefix, timeout, follow_period, stale_after, username, password)`},
	})
}

// No error message about the store setting quotes the password, however it is wrong.
func TestStoreSettingNeverQuotesThePassword(t *testing.T) {
	const secret = "s3cr3t-p4ssw0rd"
	for _, etcd := range []map[string]any{
		{"cluster": "etcd", "password": secret},
		{"cluster": "etcd", "username": "u", "password": secret + strings.Repeat("x", 300)},
		{"cluster": "etcd", "username": "u\n", "password": secret},
		{"cluster": "etcd", "username": "u", "password": secret, "stale_after": "1ms"},
		{"cluster": "etcd", "username": "u", "password": secret + "\n"},
		{"cluster": "etcd", "username": "u", "password": secret, "extra": 1},
		{"cluster": "", "username": "u", "password": secret},
	} {
		_, err := ParseConfig(configWith(t, set("store", etcdStoreSetting(etcd))))
		if err == nil {
			t.Fatalf("%v accepted", etcd)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "s3cr3t") {
			t.Fatalf("the error quotes the password: %v", err)
		}
	}
}

// The store setting configures sign-in, and means nothing without it.
func TestStoreSettingNeedsSignIn(t *testing.T) {
	_, err := ParseConfig([]byte(`{"store": {"backend": "etcd", "etcd": {"cluster": "etcd"}}}`))
	want := `exeunt configuration: field "store": has no effect while sign-in is off; configure issuer, providers and clients to turn sign-in on, or remove it`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// The one switch: the etcd setting gives the engine etcd ports, which follow etcd.
func TestStoreSettingPicksTheBackend(t *testing.T) {
	local := mustEngine(t, configFrom(t, exampleConfig(t)))
	if local.ports.follow != nil {
		t.Fatal("the local store follows something")
	}
	m := exampleConfig(t)
	m["store"] = etcdStoreSetting(map[string]any{"cluster": "etcd-c", "authority": "etcd.test", "key_prefix": "/fleet/", "follow_period": "1s"})
	e := mustEngine(t, configFrom(t, m))
	if e.ports.follow == nil || e.ports.followEvery != time.Second {
		t.Fatalf("the etcd store: follow %v every %v", e.ports.follow != nil, e.ports.followEvery)
	}
	if _, ok := e.ports.revocations.(*etcdRevocations); !ok {
		t.Fatalf("revocations are %T", e.ports.revocations)
	}
	// The first follow writes the replica's member record first (its lease), then loads.
	c := e.ports.follow(time.Now()).Call
	if c == nil || c.Cluster != "etcd-c" || c.Authority != "etcd.test" || c.Path != "/v3/lease/grant" {
		t.Fatalf("the first follow is %+v", c)
	}
	c = c.Then(CallResult{Status: 200, Body: []byte(`{"header":{"cluster_id":"1","member_id":"1","revision":"1","raft_term":"1"},"ID":"7","TTL":"10"}`)}).Call
	if c == nil || c.Path != "/v3/kv/put" || !strings.Contains(string(c.Body), "L2ZsZWV0L21lbWJlcnMv") { // base64 of "/fleet/members/"
		t.Fatalf("after the lease, the first follow is %+v", c)
	}
	c = c.Then(CallResult{Status: 200, Body: []byte(`{"header":{"cluster_id":"1","member_id":"1","revision":"2","raft_term":"1"}}`)}).Call
	if c == nil || c.Path != "/v3/kv/range" || !strings.Contains(string(c.Body), "L2ZsZWV0L3Jldm9rZWQv") { // base64 of "/fleet/revoked/"
		t.Fatalf("after the member record, the first follow is %+v", c)
	}
}
