package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// Identity assertions shared between the VMs of one Envoy (core/store_local_assertions.go),
// through build/exeunt.wasm in hostsim with two VMs: what one VM signed, the other
// passes on byte for byte without signing, and takes back as an id_token_hint without
// verifying its signature; an altered hint is still verified, and refused.

// counter is a host-wide counter's value (0 before any VM defined it).
func (e *signinEnv) counter(name string) int64 {
	m, _ := e.host.Metric(name)
	return m.Value
}

// getOn sends a GET that meets VM vm: hostsim hands streams to its two VMs in turn, so
// when the last request met vm, a request to the health path goes to the other first.
// last is the VM the previous request met, and is updated.
func (e *signinEnv) getOn(vm int, last *int, rawURL string) *hostsim.Response {
	e.t.Helper()
	if *last == vm {
		if r := e.get("https://exeunt.test/exeunt/healthz"); r.VM == vm {
			e.t.Fatalf("two requests in a row met VM %d", vm)
		}
	}
	r := e.get(rawURL)
	if r.VM != vm {
		e.t.Fatalf("%s met VM %d, not VM %d", rawURL, r.VM, vm)
	}
	*last = vm
	return r
}

func TestAssertionsSharedBetweenVMs(t *testing.T) {
	e := newSigninEnv(t)
	e.signIn("https://exeunt.test/app1/")
	signed, adopted, verified := e.counter("exeunt.assertion.signed"), e.counter("exeunt.assertion.adopted"), e.counter("exeunt.hint.verified")

	// app1 on one VM, then on the other: the same assertion, signed once.
	first := e.get("https://exeunt.test/app1/")
	a, last := first.VM, first.VM
	b := 1 - a
	fromA := e.apps.seenBy("app1").Get("x-exeunt-assertion")
	if first.Status != 200 || fromA == "" {
		t.Fatalf("app1 on VM %d: %d, assertion %q", a, first.Status, fromA)
	}
	if r := e.getOn(b, &last, "https://exeunt.test/app1/"); r.Status != 200 {
		t.Fatalf("app1 on VM %d: %d", b, r.Status)
	}
	if fromB := e.apps.seenBy("app1").Get("x-exeunt-assertion"); fromB != fromA {
		t.Fatalf("app1 received another assertion from VM %d than from VM %d:\n%s\n%s", b, a, fromB, fromA)
	}
	if s, ad := e.counter("exeunt.assertion.signed")-signed, e.counter("exeunt.assertion.adopted")-adopted; s != 1 || ad != 1 {
		t.Fatalf("app1's assertion: signed %d times, adopted %d times; want 1 and 1", s, ad)
	}

	// app2's assertion is signed on VM A only; VM B never passed it on, so it holds it
	// only through shared data.
	if r := e.getOn(a, &last, "https://exeunt.test/app2/"); r.Status != 200 {
		t.Fatalf("app2 on VM %d: %d", a, r.Status)
	}
	hint := e.apps.seenBy("app2").Get("x-exeunt-assertion")
	parts := strings.Split(hint, ".")
	if len(parts) != 3 || len(parts[2]) < 20 {
		t.Fatalf("app2's assertion: %q", hint)
	}
	sig := []byte(parts[2])
	sig[10] ^= 1 // still base64url
	for name, forged := range map[string]string{
		"signature altered": parts[0] + "." + parts[1] + "." + string(sig),
		"trailing bytes":    hint + "A",
	} {
		before := e.counter("exeunt.hint.verified")
		r := e.getOn(b, &last, "https://exeunt.test/connect/endsession?"+url.Values{"id_token_hint": {forged}}.Encode())
		if r.Status != 400 || e.counter("exeunt.hint.verified") != before+1 {
			t.Fatalf("%s on VM %d: want 400 after a signature check, got %d (checks %d)", name, b, r.Status, e.counter("exeunt.hint.verified")-before)
		}
	}
	if e.counter("exeunt.hint.verified") != verified+2 {
		t.Fatal("the forged hints were not all verified")
	}
	// The genuine hint, on VM B: a sign-out without a prompt and without a signature check.
	r := e.getOn(b, &last, "https://exeunt.test/connect/endsession?"+url.Values{"id_token_hint": {hint}}.Encode())
	if to, _ := url.Parse(redirectOf(t, r)); !e.peer.OnProvider(to) {
		t.Fatalf("the hint VM %d signed, on VM %d: sent to %s, not the provider", a, b, to)
	}
	if e.counter("exeunt.hint.verified") != verified+2 {
		t.Fatalf("VM %d verified the signature of the assertion VM %d shared", b, a)
	}
	// Signed out on both VMs, shared assertions or not.
	for _, vm := range []int{a, b} {
		if r := e.getOn(vm, &last, "https://exeunt.test/app1/"); r.Status == 200 {
			t.Fatalf("VM %d let the signed-out session through", vm)
		}
	}
}
