package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/exeunt/exeunt/core/oidc"
	"github.com/exeunt/exeunt/hostsim"
)

// Sign-out benchmarks, run by `make bench`: the time to answer a logout request when
// the session visited 1 or 100 back-channel clients (the answer must not wait for the
// deliveries, so the two should be close), and the time until all 100 clients have
// their logout token.

// logoutBench is a filter with n back-channel clients, all served by one counting
// listener, and the means to mint signed-in sessions without a provider round trip.
type logoutBench struct {
	e         *signinEnv
	n         int
	delivered atomic.Int64
	sealer    *oidc.Sealer
	signer    *ecdsa.PrivateKey
}

func newLogoutBench(b *testing.B, n int) *logoutBench {
	lb := &logoutBench{n: n}
	listener := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lb.delivered.Add(1)
		w.WriteHeader(200)
	}))
	b.Cleanup(listener.Close)
	clients := make([]any, n)
	for i := range clients {
		clients[i] = map[string]any{"client_id": fmt.Sprintf("c%03d", i), "hosts": []string{"exeunt.test"},
			"path_prefixes":          []string{fmt.Sprintf("/c%03d/", i)},
			"backchannel_logout_uri": fmt.Sprintf("http://c%03d.internal/logout", i), "backchannel_cluster": "apps"}
	}
	lb.e = newEnv(b, envOptions{clients: clients,
		clusters: map[string]hostsim.Cluster{"apps": {Address: listener.Listener.Addr().String()}},
		host:     func(o *hostsim.Options) { o.LogLevel = hostsim.LogWarn }})
	var cfg struct {
		Keys struct {
			Signing []struct {
				PEM string `json:"private_key_pem"`
			} `json:"signing"`
		} `json:"keys"`
	}
	json.Unmarshal(lb.e.pluginConfig, &cfg)
	block, _ := pem.Decode([]byte(cfg.Keys.Signing[0].PEM))
	lb.signer, _ = x509.ParseECPrivateKey(block.Bytes)
	lb.sealer, _ = oidc.NewSealer([]oidc.SealingKey{lb.e.sealing})
	return lb
}

// session mints a session cookie that visited every client, and a hint for it.
func (lb *logoutBench) session(b *testing.B) (cookie, hint string) {
	now := time.Now()
	sid := oidc.RandomID(24)
	clients := make([]string, lb.n)
	for i := range clients {
		clients[i] = fmt.Sprintf("c%03d", i)
	}
	payload, _ := json.Marshal(map[string]any{"sid": sid, "sub": "alice", "idp": "oidc", "iss": lb.e.peer.Issuer,
		"auth_time": now.Unix(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "seen": now.Unix(), "clients": clients})
	sealed, err := lb.sealer.Seal("session", payload, now, now.Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: lb.signer, KeyID: "k1"}}, nil)
	hint, err = jwt.Signed(signer).Claims(map[string]any{"iss": "https://exeunt.test", "aud": "c000", "sub": "alice", "sid": sid,
		"idp": "oidc", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}).Serialize()
	if err != nil {
		b.Fatal(err)
	}
	return "__Host-exeunt=" + sealed, hint
}

// logout sends the end session request and returns how long the answer took.
func (lb *logoutBench) logout(b *testing.B, cookie, hint string) time.Duration {
	req := &hostsim.Request{Method: "GET", Scheme: "https", Authority: "exeunt.test",
		Path:   "/connect/endsession?" + url.Values{"id_token_hint": {hint}}.Encode(),
		Header: []hostsim.Pair{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: cookie}}}
	start := time.Now()
	resp, err := lb.e.host.Do(context.Background(), req, lb.e.apps)
	took := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if resp.Status != 302 {
		b.Fatalf("logout answered %d: %s", resp.Status, resp.Body)
	}
	return took
}

// waitDelivered waits until the listener has received want tokens in all.
func (lb *logoutBench) waitDelivered(b *testing.B, want int64) {
	deadline := time.Now().Add(2 * time.Minute)
	for lb.delivered.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d logout tokens delivered", lb.delivered.Load(), want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// BenchmarkLogoutAnswer measures the logout answer with 1 and with 100 back-channel
// clients, alternating request by request in one run, and reports their ratio.
// Deliveries are let finish between iterations, outside the timing, so that each
// answer meets an idle VM.
func BenchmarkLogoutAnswer(b *testing.B) {
	one, hundred := newLogoutBench(b, 1), newLogoutBench(b, 100)
	for _, lb := range []*logoutBench{one, hundred} { // warm up: provider metadata, keys, caches
		c, h := lb.session(b)
		lb.logout(b, c, h)
		lb.waitDelivered(b, int64(lb.n))
	}
	var t1, t100 time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, lb := range []*logoutBench{one, hundred} {
			b.StopTimer()
			c, h := lb.session(b)
			before := lb.delivered.Load()
			b.StartTimer()
			took := lb.logout(b, c, h)
			b.StopTimer()
			lb.waitDelivered(b, before+int64(lb.n))
			b.StartTimer()
			if lb == one {
				t1 += took
			} else {
				t100 += took
			}
		}
	}
	b.ReportMetric(float64(t1.Microseconds())/float64(b.N), "1client-µs/answer")
	b.ReportMetric(float64(t100.Microseconds())/float64(b.N), "100clients-µs/answer")
	b.ReportMetric(float64(t100)/float64(t1), "ratio")
}

// BenchmarkLogoutDelivery measures the time from the logout request until all 100
// clients have received their logout token.
func BenchmarkLogoutDelivery(b *testing.B) {
	lb := newLogoutBench(b, 100)
	c, h := lb.session(b)
	lb.logout(b, c, h)
	lb.waitDelivered(b, 100)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c, h := lb.session(b)
		before := lb.delivered.Load()
		b.StartTimer()
		start := time.Now()
		lb.logout(b, c, h)
		lb.waitDelivered(b, before+100)
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/100-delivered")
}
