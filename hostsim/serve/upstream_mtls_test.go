package serve

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	stdlog "log"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// issueFor makes a certificate for the names with the extended key usages given, signed by
// ca, and writes it and its key as PEM files.
func (ca *testCA) issueFor(t testing.TB, dir, name string, eku []x509.ExtKeyUsage, names ...string) (certFile, keyFile string, cert tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: eku,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	if cert, err = tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

// mtlsUpstream is a TLS server that requires a client certificate signed by its client CA
// (etcd with --client-cert-auth and --trusted-ca-file does the same, with Go's crypto/tls).
// It records, for each handshake, whether the client presented a certificate.
type mtlsUpstream struct {
	addr      string
	mu        sync.Mutex
	presented []bool
}

func newMTLSUpstream(t *testing.T, cert tls.Certificate, clientCAs *x509.CertPool) *mtlsUpstream {
	u := &mtlsUpstream{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.addr = ln.Addr().String()
	// RequireAndVerifyClientCert, spelt out so that the certificate is recorded before it is
	// verified: a certificate presented but refused counts as presented.
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			u.mu.Lock()
			u.presented = append(u.presented, len(raw) > 0)
			u.mu.Unlock()
			leaf, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			_, err = leaf.Verify(x509.VerifyOptions{Roots: clientCAs, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			return err
		}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "mtls app "+r.TLS.PeerCertificates[0].Subject.CommonName)
	}), ErrorLog: stdlog.New(io.Discard, "", 0)}
	go srv.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return u
}

// presentedSince says whether a client certificate was presented in a handshake after the
// first n, and how many handshakes there were.
func (u *mtlsUpstream) presentedSince(n int) (presented bool, handshakes int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, p := range u.presented[min(n, len(u.presented)):] {
		presented = presented || p
	}
	return presented, len(u.presented)
}

// TestServeUpstreamMutualTLS: a cluster with an UpstreamTlsContext presenting a client
// certificate to an upstream that requires one (etcd with --client-cert-auth), as Envoy
// (envoyproxy/envoy source/common/tls/, see tls.go): the request passes with the right
// certificate and CA; every misconfiguration an operator can make fails closed with Envoy's
// 503 (without the transport failure reason since envoyproxy/envoy#44746; Envoy logs it at
// debug level, and so does hostsim): no client certificate, a client certificate the
// upstream does not trust (presented anyway, as BoringSSL does), a trusted_ca that did not
// sign the upstream's certificate, a SAN matcher of another SAN type (typed matchers), a
// server certificate only good for client authentication (purpose ssl_server).
func TestServeUpstreamMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "etcd")
	other := newTestCA(t, dir, "other")
	server := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	_, _, srvCert := ca.issueFor(t, dir, "etcd-0", server, "etcd-0.etcd.internal", "127.0.0.1")
	_, _, clientOnly := ca.issueFor(t, dir, "etcd-1", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, "etcd-1.etcd.internal")
	clientCert, clientKey, _ := ca.issueFor(t, dir, "exeunt", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	foreignCert, foreignKey, _ := other.issueFor(t, dir, "stranger", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	up := newMTLSUpstream(t, srvCert, ca.pool)
	upClientOnly := newMTLSUpstream(t, clientOnly, ca.pool)

	cluster := func(name, addr, ctx string) string {
		return staticCluster(name, "STATIC", addr) + `    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: etcd.internal
        common_tls_context:
` + ctx
	}
	certs := func(chain, key string) string {
		return "          tls_certificates:\n          - certificate_chain: {filename: " + chain + "}\n            private_key: {filename: " + key + "}\n"
	}
	validation := func(caFile, san string) string {
		return "          validation_context:\n            trusted_ca: {filename: " + caFile + "}\n" +
			"            match_typed_subject_alt_names:\n            - san_type: " + san + "\n              matcher: {suffix: .etcd.internal}\n"
	}
	routes := "            virtual_hosts:\n            - name: all\n              domains: [\"*\"]\n              routes:\n"
	clusters := ""
	tests := []struct {
		name, addr, ctx string
		status          int
		reason          string // in the debug log
		presented       bool   // a client certificate reached the upstream
	}{
		{"mtls", up.addr, certs(clientCert, clientKey) + validation(ca.file, "DNS"), 200, "", true},
		{"nocert", up.addr, validation(ca.file, "DNS"), 503,
			"TLS_error:|268436496:SSL routines:OPENSSL_internal:SSLV3_ALERT_HANDSHAKE_FAILURE:TLS_error_end", false},
		{"foreigncert", up.addr, certs(foreignCert, foreignKey) + validation(ca.file, "DNS"), 503, "SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE", true},
		{"wrongca", up.addr, certs(clientCert, clientKey) + validation(other.file, "DNS"), 503,
			"TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end", false},
		{"urisan", up.addr, certs(clientCert, clientKey) + validation(ca.file, "URI"), 503, "CERTIFICATE_VERIFY_FAILED", false},
		{"clientonly", upClientOnly.addr, certs(clientCert, clientKey) + validation(ca.file, "DNS"), 503, "CERTIFICATE_VERIFY_FAILED", false},
	}
	for _, c := range tests {
		routes += "              - match: {prefix: \"/" + c.name + "/\"}\n                route: {cluster: " + c.name + "}\n"
		clusters += cluster(c.name, c.addr, c.ctx)
	}
	app := upstream(t, "app")
	s, log := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr(), routeConfig: routes, clusters: clusters}, Options{LogLevel: "debug"})
	base := "http://" + s.ListenerAddr("main")
	for _, tt := range tests {
		u := up
		if tt.addr == upClientOnly.addr {
			u = upClientOnly
		}
		_, before := u.presentedSince(0)
		logged := len(log.String())
		res := get(t, base+"/"+tt.name+"/x")
		want := "mtls app exeunt"
		if tt.status == 503 {
			want = "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure"
		}
		if res.status != tt.status || res.body != want {
			t.Errorf("%s: %d %q, want %d %q", tt.name, res.status, res.body, tt.status, want)
		}
		if line := "[debug][connection] remote address:" + tt.addr + ","; tt.reason != "" && !strings.Contains(log.String()[logged:], line) {
			t.Errorf("%s: no debug line %q", tt.name, line)
		} else if tt.reason != "" && !strings.Contains(log.String()[logged:], tt.reason) {
			t.Errorf("%s: the debug log does not name the failure %q:\n%s", tt.name, tt.reason, log.String()[logged:])
		}
		if got, _ := u.presentedSince(before); got != tt.presented {
			t.Errorf("%s: a client certificate reached the upstream: %v, want %v", tt.name, got, tt.presented)
		}
	}
}

// TestUpstreamSANMatchersNeedTrustedCA: Envoy refuses SAN matchers without a trusted CA
// (CertificateValidationContextConfigImpl::initialize), and so does hostsim.
func TestUpstreamSANMatchersNeedTrustedCA(t *testing.T) {
	clusters := staticCluster("etcd", "STATIC", "127.0.0.1:1") + `    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        common_tls_context:
          validation_context:
            match_typed_subject_alt_names: [{san_type: DNS, matcher: {exact: etcd.internal}}]
`
	_, err := envoyconfig.Load([]byte(config{wasm: "x.wasm", app: "127.0.0.1:2", clusters: clusters}.yaml()))
	if err == nil || !strings.Contains(err.Error(), "without trusted CA is insecure and not allowed") {
		t.Fatalf("SAN matchers without trusted_ca: %v, want Envoy's refusal", err)
	}
}

// TestDNSNameMatch: Envoy's Utility::dnsNameMatch, for an exact DNS SAN matcher against a
// certificate's (possibly wildcard) DNS SAN.
func TestDNSNameMatch(t *testing.T) {
	for _, tt := range []struct {
		name, pattern string
		want          bool
	}{
		{"etcd-0.etcd.internal", "etcd-0.etcd.internal", true},
		{"ETCD-0.etcd.internal", "etcd-0.ETCD.internal", true},
		{"etcd-0.etcd.internal", "*.etcd.internal", true},
		{"a.b.etcd.internal", "*.etcd.internal", false}, // one label only
		{"etcd.internal", "*.internal", true},
		{"internal", "*", false}, // one label: no match
		{"etcd-0.etcd.internal", "etcd-*.etcd.internal", true},
		{"etcd-0.etcd.internal", "*-1.etcd.internal", false},
		{"xn--bcher-kva.example", "xn--*.example", false}, // an A-label takes no wildcard
		{"a.etcd.internal", "*.*.internal", false},
	} {
		if got := dnsNameMatch(tt.name, tt.pattern); got != tt.want {
			t.Errorf("dnsNameMatch(%q, %q) = %v, want %v", tt.name, tt.pattern, got, tt.want)
		}
	}
}
