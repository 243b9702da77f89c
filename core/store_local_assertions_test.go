package core

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Assertions shared between the VMs of one Envoy (store_local_assertions.go): a VM
// adopts what another signed instead of signing again, and recognizes it as an
// id_token_hint by its bytes; nothing else is taken without a signature check.

// vmOf is another VM of s's Envoy: its own engine (and so its own caches) for cfg,
// over the same shared data and the same store ports, counting into its own metrics.
// The browser it returns is s's (the same cookies) meeting that VM.
func vmOf(t *testing.T, s *signoutEnv, cfg *Config) (*browser, *recordingMetrics) {
	t.Helper()
	e, err := NewEngine(cfg, s.e.store, func(msg string) { t.Log(msg) })
	if err != nil {
		t.Fatal(err)
	}
	e.ports = s.e.ports
	m := &recordingMetrics{t: t}
	e.UseMetrics(m)
	return &browser{t: t, e: e, idp: s.idp, jar: s.jar, now: s.now}, m
}

func assertionFor(b *browser, path string) string {
	return headerValue(b.request("GET", "https://exeunt.test"+path).SetHeaders, "x-exeunt-assertion")
}

func TestAnotherVMAdoptsTheSharedAssertionAndKnowsItAsAHint(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn() // VM A signed app1's and app2's assertions
	if got := s.metrics.get(counterAssertionSigned); got != 2 {
		t.Fatalf("VM A signed %d assertions, want 2 (app1, app2)", got)
	}
	b, bm := vmOf(t, s, s.e.cfg)
	if got := assertionFor(b, "/app1/"); got != hint {
		t.Fatalf("VM B passed app1 another assertion than VM A's:\n%s\n%s", got, hint)
	}
	if bm.get(counterAssertionAdopted) != 1 || bm.get(counterAssertionSigned) != 0 {
		t.Fatalf("VM B: adopted %d, signed %d; want 1 and 0", bm.get(counterAssertionAdopted), bm.get(counterAssertionSigned))
	}
	// A third VM that never served the session knows the hint by the shared bytes.
	c, cm := vmOf(t, s, s.e.cfg)
	if claims, own := c.e.ownAssertion(hint); !own || claims.Aud != "app1" {
		t.Fatal("VM C does not recognize the assertion VM A shared")
	}
	// Altered or forged hints are verified in full on VM C, and refused.
	parts := strings.Split(hint, ".")
	sig := []byte(parts[2])
	sig[10] ^= 1
	for name, forged := range map[string]string{
		"signature altered": parts[0] + "." + parts[1] + "." + string(sig),
		"trailing bytes":    hint + "A",
		"header altered":    b64(`{"alg":"ES256","kid":"k1","typ":"JWT","x":1}`) + "." + parts[1] + "." + parts[2],
	} {
		before := cm.get(counterHintVerified)
		if _, own := c.e.ownAssertion(forged); own {
			t.Errorf("%s: taken as a shared assertion", name)
		}
		d := c.request("GET", endSessionURL(url.Values{"id_token_hint": {forged}}))
		if d.Response == nil || d.Response.Status != 400 || cm.get(counterHintVerified) != before+1 {
			t.Fatalf("%s: want 400 after a signature check, got %+v (checks %d)", name, d.Response, cm.get(counterHintVerified)-before)
		}
	}
	// The genuine hint signs out on VM C without a signature check or a prompt.
	before := cm.get(counterHintVerified)
	if to := location(t, c.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))); !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("the genuine hint on VM C: %s", to)
	}
	if cm.get(counterHintVerified) != before {
		t.Fatal("VM C verified the signature of a hint VM A had shared")
	}
	// Signed out: the shared assertion, still live, lets no request through on any VM.
	if d := b.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}); d.Continues() {
		t.Fatal("VM B let a signed-out session through")
	}
	if d := s.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}); d.Continues() {
		t.Fatal("VM A let a signed-out session through")
	}
}

func TestSharedAssertionFollowsTheRefreshRuleAndExpires(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	life := s.e.cfg.AssertionLifetime
	// Past half its lifetime the shared assertion is not adopted: VM B signs a fresh one
	// and shares it, and VM C adopts that one.
	s.now = s.now.Add(life*3/4 + time.Second)
	b, bm := vmOf(t, s, s.e.cfg)
	fresh := assertionFor(b, "/app1/")
	if fresh == "" || fresh == hint || bm.get(counterAssertionSigned) != 1 || bm.get(counterAssertionAdopted) != 0 {
		t.Fatalf("VM B past half-life: signed %d, adopted %d", bm.get(counterAssertionSigned), bm.get(counterAssertionAdopted))
	}
	c, cm := vmOf(t, s, s.e.cfg)
	if got := assertionFor(c, "/app1/"); got != fresh || cm.get(counterAssertionAdopted) != 1 {
		t.Fatal("VM C did not adopt VM B's fresh assertion")
	}
	// The replaced assertion is no longer shared: another VM verifies it in full.
	d, _ := vmOf(t, s, s.e.cfg)
	if _, own := d.e.ownAssertion(hint); own {
		t.Fatal("a replaced assertion is still taken from shared data")
	}
	// At its expiry the entry is gone, and a later write to its bucket drops it.
	if d.e.sharedAssertion(sid, "app1", s.now) != fresh {
		t.Fatal("the fresh assertion is not shared")
	}
	later := s.now.Add(life + time.Second)
	if d.e.sharedAssertion(sid, "app1", later) != "" {
		t.Fatal("an expired assertion is still shared")
	}
	id := d.e.sharedAssertionID(sid, "app1")
	key := sharedAssertions.bucketKey(sharedAssertions.bucketOf(id))
	neighbour := id + "x" // another id in the same bucket
	for i := 0; sharedAssertions.bucketOf(neighbour) != sharedAssertions.bucketOf(id); i++ {
		neighbour = id + strconv.Itoa(i)
	}
	if err := sharedAssertions.put(s.e.store, neighbour, "v", later.Add(time.Hour), later); err != nil {
		t.Fatal(err)
	}
	if raw, _, _ := s.e.store.Get(key); !strings.Contains(string(raw), neighbour+" ") || strings.Contains(string(raw), fresh) {
		t.Fatalf("the bucket after a write past the expiry: %q", raw)
	}
}

func TestSharedAssertionOfAnotherKeyIsNeitherAdoptedNorTrusted(t *testing.T) {
	m := signoutConfigMap()
	s := &signoutEnv{browser: &browser{t: t, idp: newFakeIdP(t), jar: map[string]string{}, now: time.Now()},
		metrics: &recordingMetrics{t: t}, apps: &listeners{t: t, tokens: map[string][]string{}}}
	s.e = mustEngine(t, configFrom(t, m))
	s.e.UseMetrics(s.metrics)
	hint, _ := s.signedIn()
	// The keys rotate: a new key signs, the old one still verifies.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(key)
	keys := m["keys"].(map[string]any)
	keys["signing"] = append([]any{map[string]any{"kid": "k2", "private_key_pem": string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))}},
		keys["signing"].([]any)...)
	rotated := configFrom(t, m)
	b, bm := vmOf(t, s, rotated)
	if _, own := b.e.ownAssertion(hint); own {
		t.Fatal("a VM with rotated keys took an assertion of the old key as its own")
	}
	if c, err := b.e.verifyHint(hint); err != nil || c.Aud != "app1" || bm.get(counterHintVerified) != 1 {
		t.Fatalf("the old key's hint, verified in full: %v (checks %d)", err, bm.get(counterHintVerified))
	}
	got := assertionFor(b, "/app1/")
	header, _, _ := strings.Cut(got, ".")
	plain, _ := base64.RawURLEncoding.DecodeString(header)
	if got == hint || !strings.Contains(string(plain), `"kid":"k2"`) || bm.get(counterAssertionSigned) != 1 {
		t.Fatalf("after the rotation VM B passed on %s (header %s)", got, plain)
	}
	// And the new key's assertion is not trusted by a VM that still signs with the old.
	if _, own := s.e.ownAssertion(got); own {
		t.Fatal("a VM with the old key took the new key's assertion as its own")
	}
}

func TestAdoptableChecksEveryClaim(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	opened, err := s.e.unseal(s.jar["__Host-exeunt"], s.now)
	if err != nil {
		t.Fatal(err)
	}
	sess := &opened
	client := s.e.cfg.Client("app1")
	tok, _, err := s.e.signAssertion(sess, client, s.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.e.adoptable(tok, sess, client, s.now); !ok {
		t.Fatal("an assertion this VM would sign is not adoptable")
	}
	life := s.e.cfg.AssertionLifetime
	for name, change := range map[string]func(s *session, c **Client, now *time.Time){
		"another session":   func(s *session, _ **Client, _ *time.Time) { s.SID = "other" },
		"another subject":   func(s *session, _ **Client, _ *time.Time) { s.Sub = "mallory" },
		"another provider":  func(s *session, _ **Client, _ *time.Time) { s.IdP = "other" },
		"another name":      func(s *session, _ **Client, _ *time.Time) { s.Name = "Mallory" },
		"another email":     func(s *session, _ **Client, _ *time.Time) { s.Email = "m@example.test" },
		"another auth_time": func(s *session, _ **Client, _ *time.Time) { s.AuthTime++ },
		"another client":    func(_ *session, c **Client, _ *time.Time) { *c = s.e.cfg.Client("app2") },
		"half-life passed":  func(_ *session, _ **Client, now *time.Time) { *now = now.Add(life/2 + time.Second) },
		"session ends before": func(s *session, _ **Client, now *time.Time) {
			s.Expires = now.Add(life / 2).Unix()
		},
		"from the future": func(_ *session, _ **Client, now *time.Time) { *now = now.Add(-time.Minute) },
	} {
		sc, c, now := *sess, client, s.now
		change(&sc, &c, &now)
		if _, ok := s.e.adoptable(tok, &sc, c, now); ok {
			t.Errorf("%s: adoptable", name)
		}
	}
	if _, ok := s.e.adoptable("", sess, client, s.now); ok {
		t.Error("no assertion: adoptable")
	}
}

func TestSharedAssertionsStayBounded(t *testing.T) {
	s := newSignoutEnv(t, nil)
	now := s.now
	// Too long to share: kept by its VM only.
	s.e.shareAssertion("sid-long", "app1", strings.Repeat("a", maxSharedAssertionBytes+1), now.Add(time.Minute), now)
	if s.e.sharedAssertion("sid-long", "app1", now) != "" {
		t.Fatal("an assertion over maxSharedAssertionBytes was shared")
	}
	// Far more assertions than fit: every bucket stays within its bound, and the
	// newest entry is kept.
	tok := strings.Repeat("t", 900)
	last := ""
	for i := 0; i < 3000; i++ {
		last = "sid-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strconv.Itoa(i)
		s.e.shareAssertion(last, "app1", tok+strconv.Itoa(i), now.Add(time.Duration(i)*time.Second+time.Minute), now)
	}
	if got := s.e.sharedAssertion(last, "app1", now); got != tok+strconv.Itoa(2999) {
		t.Fatal("the newest shared assertion was dropped")
	}
	total := 0
	for b := uint32(0); b < sharedAssertions.buckets; b++ {
		raw, _, err := s.e.store.Get(sharedAssertions.bucketKey(b))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if len(raw) > sharedAssertions.maxBucketBytes {
			t.Fatalf("bucket %d holds %d bytes, over %d", b, len(raw), sharedAssertions.maxBucketBytes)
		}
		total += len(raw)
	}
	if total > 2<<20 || total < 1<<20 {
		t.Fatalf("the shared assertions take %d bytes: want the buckets near full, and at most 2 MiB", total)
	}
}
