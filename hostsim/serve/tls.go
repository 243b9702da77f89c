package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// TLS as Envoy's envoy.transport_sockets.tls does it, with Go's crypto/tls, from the files
// the configuration names (Envoy v1.33.0: source/common/tls/context_impl.cc,
// server_context_impl.cc, client_context_impl.cc, cert_validator/default_validator.cc).

// tlsVersions maps Envoy's TlsParameters versions to Go's.
var tlsVersions = map[envoyconfig.TLSVersion]uint16{
	"TLSv1_0": tls.VersionTLS10, "TLSv1_1": tls.VersionTLS11,
	"TLSv1_2": tls.VersionTLS12, "TLSv1_3": tls.VersionTLS13,
}

// versions returns Go's bounds for Envoy's: a server's default is TLS 1.2 to 1.3, a client's
// TLS 1.2 to 1.3 as well (api/envoy/extensions/transport_sockets/tls/v3/common.proto).
func versions(min, max envoyconfig.TLSVersion) (uint16, uint16) {
	lo, hi := uint16(tls.VersionTLS12), uint16(tls.VersionTLS13)
	if v, ok := tlsVersions[min]; ok {
		lo = v
	}
	if v, ok := tlsVersions[max]; ok {
		hi = v
	}
	return lo, hi
}

// alpn keeps the protocols hostsim speaks: HTTP/1.1 only (no h2).
func alpn(protos []string) []string {
	var out []string
	for _, p := range protos {
		if p == "http/1.1" {
			out = append(out, p)
		}
	}
	return out
}

// serverTLS builds a listener's TLS configuration; field names the place in envoy.yaml for
// errors.
func serverTLS(field string, c *envoyconfig.DownstreamTLS, baseDir string) (*tls.Config, error) {
	chain, err := c.CertificateChain.Read(baseDir)
	if err != nil {
		return nil, fmt.Errorf("%s.certificate_chain: %v", field, err)
	}
	key, err := c.PrivateKey.Read(baseDir)
	if err != nil {
		return nil, fmt.Errorf("%s.private_key: %v", field, err)
	}
	cert, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return nil, fmt.Errorf("%s: the certificate and key do not load: %v", field, err)
	}
	lo, hi := versions(c.MinVersion, c.MaxVersion)
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: lo, MaxVersion: hi, NextProtos: alpn(c.ALPN)}, nil
}

// upstreamDialer returns the DialTLSContext of a cluster with an UpstreamTlsContext. As Envoy:
// the SNI sent is the configured sni (none when unset); the certificate is verified only
// against trusted_ca, and only when it is set (no trusted_ca: no verification at all); the
// host name is not compared with the certificate, but match_typed_subject_alt_names, when set,
// must match a DNS, URI, email or IP SAN of the certificate.
func upstreamDialer(field string, c *envoyconfig.UpstreamTLS, baseDir string, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	lo, hi := versions(c.MinVersion, c.MaxVersion)
	cfg := &tls.Config{
		ServerName: c.SNI, MinVersion: lo, MaxVersion: hi, NextProtos: alpn(c.ALPN),
		// Verification is Envoy's, below; Go's own would compare the host name.
		InsecureSkipVerify: true,
	}
	if c.CertificateChain != nil && c.PrivateKey != nil {
		chain, err := c.CertificateChain.Read(baseDir)
		if err != nil {
			return nil, fmt.Errorf("%s.certificate_chain: %v", field, err)
		}
		key, err := c.PrivateKey.Read(baseDir)
		if err != nil {
			return nil, fmt.Errorf("%s.private_key: %v", field, err)
		}
		cert, err := tls.X509KeyPair(chain, key)
		if err != nil {
			return nil, fmt.Errorf("%s: the client certificate and key do not load: %v", field, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if c.TrustedCA != nil {
		pem, err := c.TrustedCA.Read(baseDir)
		if err != nil {
			return nil, fmt.Errorf("%s.validation_context.trusted_ca: %v", field, err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s.validation_context.trusted_ca: no PEM certificate in it", field)
		}
		sans := c.SubjectAltNames
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyUpstream(raw, roots, sans)
		}
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		return tc, nil
	}, nil
}

// verifyUpstream checks a chain against the trusted CAs, without a host name, and the SAN
// matchers.
func verifyUpstream(raw [][]byte, roots *x509.CertPool, sans []string) error {
	if len(raw) == 0 {
		return errors.New("the upstream sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, b := range raw {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return err
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	leaf := certs[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("CERTIFICATE_VERIFY_FAILED: %v", err)
	}
	if len(sans) == 0 {
		return nil
	}
	have := slices.Clone(leaf.DNSNames)
	have = append(have, leaf.EmailAddresses...)
	for _, u := range leaf.URIs {
		have = append(have, u.String())
	}
	for _, ip := range leaf.IPAddresses {
		have = append(have, ip.String())
	}
	for _, s := range sans {
		if slices.Contains(have, s) {
			return nil
		}
	}
	return fmt.Errorf("CERTIFICATE_VERIFY_FAILED: no subject alt name of the certificate (%v) matches %v", have, sans)
}
