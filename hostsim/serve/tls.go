package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"

	"github.com/exeunt/exeunt/hostsim"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// TLS as Envoy's envoy.transport_sockets.tls does it, with Go's crypto/tls, from the files
// the configuration names (Envoy v1.33.0: source/common/tls/context_impl.cc,
// server_context_impl.cc, client_context_impl.cc, cert_validator/default_validator.cc). The
// upstream side was checked again against envoyproxy/envoy's main of the v1.39 line:
// cert_validator/san_matcher.cc at ee2107ff; default_validator.cc, utility.cc, ssl_socket.cc,
// context_config_impl.cc and certificate_validation_context_config_impl.cc as the code index
// holds them (2026, not pinned to a commit), with the pull requests named where they matter.

// tlsVersions maps Envoy's TlsParameters versions to Go's.
var tlsVersions = map[envoyconfig.TLSVersion]uint16{
	"TLSv1_0": tls.VersionTLS10, "TLSv1_1": tls.VersionTLS11,
	"TLSv1_2": tls.VersionTLS12, "TLSv1_3": tls.VersionTLS13,
}

// versions returns Go's bounds for Envoy's. The defaults are Envoy's: TLS 1.2 to 1.3 for a
// server (a listener), TLS 1.2 to 1.2 for a client (a cluster): ClientContextConfigImpl's
// DEFAULT_MIN_VERSION and DEFAULT_MAX_VERSION are both TLS1_2_VERSION
// (source/common/tls/context_config_impl.cc; api/envoy/extensions/transport_sockets/tls/v3/
// common.proto: "By default, it's TLSv1_2 for clients and TLSv1_3 for servers").
func versions(min, max envoyconfig.TLSVersion, client bool) (uint16, uint16) {
	lo, hi := uint16(tls.VersionTLS12), uint16(tls.VersionTLS13)
	if client {
		hi = tls.VersionTLS12
	}
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
	lo, hi := versions(c.MinVersion, c.MaxVersion, false)
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: lo, MaxVersion: hi, NextProtos: alpn(c.ALPN)}, nil
}

// upstreamDialer returns the DialTLSContext of a cluster with an UpstreamTlsContext. As Envoy
// (the sources above, source/common/tls/):
//   - the SNI sent is the configured sni (none when unset);
//   - the client certificate (tls_certificates[0]), when configured, is sent whenever the server
//     asks for one, whatever CAs the server names as acceptable (BoringSSL sends the
//     certificate set on the context; Go's default would send none when the server's list
//     does not name its issuer);
//   - the server's certificate is verified only when trusted_ca is set (no trusted_ca: no
//     verification at all), against trusted_ca alone, for the purpose "ssl_server" (an
//     extended key usage, when present, must allow serverAuth: DefaultCertValidator::
//     doVerifyCertChain), not against the host name; then match_typed_subject_alt_names,
//     when set, must match a SAN of the matcher's type (verifyUpstream);
//   - a failed handshake is a connection failure (hostsim.TransportFailure) whose transport
//     failure reason, BoringSSL's error as Envoy's SslSocket::drainErrorQueue writes it
//     (transportFailure), goes to the debug log, as Envoy's ENVOY_CONN_LOG(debug, "remote
//     address:{},{}") there; debugf may be nil.
func upstreamDialer(field string, c *envoyconfig.UpstreamTLS, baseDir string, dial func(ctx context.Context, network, addr string) (net.Conn, error), debugf func(string)) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	lo, hi := versions(c.MinVersion, c.MaxVersion, true)
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
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
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
			if err := verifyUpstream(raw, roots, sans); err != nil {
				return &verifyError{err}
			}
			return nil
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
			if ctx.Err() != nil {
				return nil, err // the connect timeout, not the handshake, ended it
			}
			tf := transportFailure(err)
			if debugf != nil {
				debugf("remote address:" + addr + "," + tf.Reason)
			}
			return nil, tf
		}
		return tc, nil
	}, nil
}

// verifyError is a certificate that failed Envoy's verification.
type verifyError struct{ err error }

func (e *verifyError) Error() string { return e.err.Error() }
func (e *verifyError) Unwrap() error { return e.err }

// BoringSSL's packed error codes and reason names (ERR_PACK(ERR_LIB_SSL, reason); an alert
// received is SSL_AD_REASON_OFFSET 1000 plus the alert's number), for the alerts an upstream
// sends when it refuses Envoy's certificate or handshake.
const boringSSLLibSSL = 16 << 24

var boringSSLAlerts = map[uint64]string{
	40: "SSLV3_ALERT_HANDSHAKE_FAILURE", 42: "SSLV3_ALERT_BAD_CERTIFICATE",
	43: "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE", 44: "SSLV3_ALERT_CERTIFICATE_REVOKED",
	45: "SSLV3_ALERT_CERTIFICATE_EXPIRED", 46: "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
	48: "TLSV1_ALERT_UNKNOWN_CA", 70: "TLSV1_ALERT_PROTOCOL_VERSION",
	80: "TLSV1_ALERT_INTERNAL_ERROR", 116: "TLSV1_CERTIFICATE_REQUIRED",
}

// transportFailure wraps a failed handshake with Envoy's transport failure reason:
// "TLS_error:|<code>:SSL routines:OPENSSL_internal:<reason>:TLS_error_end"
// (SslSocket::drainErrorQueue). Where Go's error has no BoringSSL counterpart named here, the
// reason is Go's text; Envoy 1.37+ appends the validator's detail after
// CERTIFICATE_VERIFY_FAILED (envoyproxy/envoy#42420), which hostsim does not write.
func transportFailure(err error) *hostsim.TransportFailure {
	reason := func(code int, name string) string {
		return fmt.Sprintf("TLS_error:|%d:SSL routines:OPENSSL_internal:%s:TLS_error_end", code, name)
	}
	var v *verifyError
	var rh tls.RecordHeaderError
	var r string
	alert, isAlert := receivedAlert(err)
	switch {
	case errors.As(err, &v):
		r = reason(boringSSLLibSSL|125, "CERTIFICATE_VERIFY_FAILED")
	case isAlert && boringSSLAlerts[alert] != "":
		r = reason(boringSSLLibSSL|(1000+int(alert)), boringSSLAlerts[alert])
	case errors.As(err, &rh):
		r = reason(boringSSLLibSSL|247, "WRONG_VERSION_NUMBER") // the upstream does not speak TLS
	default:
		r = "TLS_error:|" + err.Error() + ":TLS_error_end"
	}
	return &hostsim.TransportFailure{Reason: r, Err: err}
}

// receivedAlert is the number of the alert the upstream sent, when err is one: crypto/tls
// reports it as a *net.OpError "remote error" around its unexported alert type, a uint8.
func receivedAlert(err error) (uint64, bool) {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return 0, false
	}
	if v := reflect.ValueOf(op.Err); v.Kind() == reflect.Uint8 {
		return v.Uint(), true
	}
	return 0, false
}

// verifyUpstream checks a chain against the trusted CAs, without a host name, for the purpose
// ssl_server, and the SAN matchers.
func verifyUpstream(raw [][]byte, roots *x509.CertPool, sans []envoyconfig.SANMatcher) error {
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
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return fmt.Errorf("verify cert failed: %v", err)
	}
	if len(sans) == 0 || matchSANs(leaf, sans) {
		return nil
	}
	return errors.New("verify cert failed: SAN matcher")
}

// matchSANs is DefaultCertValidator::matchSubjectAltName: some matcher matches some SAN of its
// type. A DNS SAN against an exact matcher follows DNS matching (dnsNameMatch: a wildcard in
// the certificate's left-most label), as StringSanMatcher::match does.
func matchSANs(leaf *x509.Certificate, sans []envoyconfig.SANMatcher) bool {
	var uris, ips []string
	for _, u := range leaf.URIs {
		uris = append(uris, u.String())
	}
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	byType := map[string][]string{"DNS": leaf.DNSNames, "URI": uris, "EMAIL": leaf.EmailAddresses, "IP_ADDRESS": ips}
	for _, m := range sans {
		for _, san := range byType[m.Type] {
			if m.Type == "DNS" && m.Kind == "exact" {
				if dnsNameMatch(m.Value, san) {
					return true
				}
			} else if stringMatch(m, san) {
				return true
			}
		}
	}
	return false
}

// stringMatch is Envoy's StringMatcher for the patterns hostsim reads (an unsimulated one,
// Kind "", matches nothing).
func stringMatch(m envoyconfig.SANMatcher, s string) bool {
	v := m.Value
	if m.IgnoreCase {
		s, v = strings.ToLower(s), strings.ToLower(v)
	}
	switch m.Kind {
	case "exact":
		return s == v
	case "prefix":
		return strings.HasPrefix(s, v)
	case "suffix":
		return strings.HasSuffix(s, v)
	case "contains":
		return strings.Contains(s, v)
	}
	return false
}

// dnsNameMatch is Envoy's Utility::dnsNameMatch (source/common/tls/utility.cc): name (the
// configured one) equals the certificate's pattern ignoring case, or the pattern's left-most
// label holds the one wildcard, is not an A-label, and the rest is equal.
func dnsNameMatch(name, pattern string) bool {
	name, pattern = strings.ToLower(name), strings.ToLower(pattern)
	if name == pattern {
		return true
	}
	pLabel, pRest, ok1 := strings.Cut(pattern, ".")
	nLabel, nRest, ok2 := strings.Cut(name, ".")
	if !ok1 || !ok2 {
		return false
	}
	if !strings.Contains(pLabel, "*") || strings.Contains(pRest, "*") || strings.HasPrefix(pLabel, "xn--") || nRest != pRest {
		return false
	}
	if pLabel == "*" {
		return true
	}
	if strings.Count(pLabel, "*") != 1 {
		return false
	}
	before, after, _ := strings.Cut(pLabel, "*")
	return len(pLabel) <= len(nLabel)+1 && strings.HasPrefix(nLabel, before) && strings.HasSuffix(nLabel, after)
}
