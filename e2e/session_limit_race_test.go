package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/exeunt/exeunt/e2e/etcdpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// TestParallelSignInsOfOneUserStayWithinTheLimit: through build/exeunt.wasm in hostsim
// (two VMs) on a real etcd against the real provider, with session.max_per_user 1, one
// user's eight sign-in callbacks arrive at once (eight browsers, one provider session, so
// every code was issued silently). Each callback's steps are etcd calls, so all of them
// can count the user's sessions before any is indexed; afterwards at most one of the eight
// sessions may be live, and one must be. A callback that keeps losing the race may be
// refused with the store's 503 (it counted four times): that makes no session.
func TestParallelSignInsOfOneUserStayWithinTheLimit(t *testing.T) {
	etcd := etcdpeer.Start(t, etcdpeer.Config{})
	e := newEnv(t, envOptions{
		clusters: map[string]hostsim.Cluster{"etcd": {Address: strings.TrimPrefix(etcd.URL, "http://")}},
		config: map[string]any{"session": map[string]any{"max_per_user": 1},
			"store": map[string]any{"backend": "etcd", "etcd": map[string]any{"cluster": "etcd", "timeout": "10s"}}}})
	waitServing(t, e, "https://exeunt.test/app1/")

	const n = 8
	jars := make([]map[string]string, n)
	backs := make([]string, n)
	for i := range jars {
		e.jar = map[string]string{}
		auth := redirectOf(t, e.get("https://exeunt.test/app1/"))
		back, err := e.peer.Login(e.idpJar, auth, "alice") // one provider session: silent after the first
		if err != nil {
			t.Fatal(err)
		}
		jars[i], backs[i] = e.jar, back.String()
	}
	cookieHeader := func(jar map[string]string) string {
		var cs []string
		for k, v := range jar {
			cs = append(cs, k+"="+v)
		}
		return strings.Join(cs, "; ")
	}
	statuses := make([]int, n)
	sessions := make([]string, n)
	var wg sync.WaitGroup
	for i := range backs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			path := strings.TrimPrefix(backs[i], "https://exeunt.test")
			resp, err := e.host.Do(context.Background(), &hostsim.Request{Method: "GET", Scheme: "https", Authority: "exeunt.test", Path: path,
				Header: []hostsim.Pair{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: cookieHeader(jars[i])}}}, e.apps)
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = resp.Status
			for _, sc := range resp.HeaderValues("set-cookie") {
				if v, ok := strings.CutPrefix(sc, "__Host-exeunt="); ok && !strings.Contains(sc, "Max-Age=0") {
					sessions[i], _, _ = strings.Cut(v, ";")
				}
			}
		}(i)
	}
	wg.Wait()
	live := 0
	for i, v := range sessions {
		if statuses[i] != 302 && statuses[i] != 503 {
			t.Errorf("callback %d: %d, want the redirect back (302) or the store's refusal (503)", i, statuses[i])
		}
		if v == "" {
			continue
		}
		e.jar = map[string]string{"__Host-exeunt": v}
		if e.signedIn() {
			live++
		}
	}
	t.Logf("callbacks answered %v; %d session(s) live", statuses, live)
	if live > 1 {
		t.Fatalf("%d of %d parallel sign-ins of one user are live with session.max_per_user 1 (callbacks answered %v)", live, n, statuses)
	}
	if live == 0 {
		t.Fatalf("none of %d parallel sign-ins is live (callbacks answered %v)", n, statuses)
	}
}
