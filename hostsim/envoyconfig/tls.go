package envoyconfig

import (
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// DataSource is an Envoy envoy.config.core.v3.DataSource: a file, or bytes in the
// configuration itself.
type DataSource struct {
	// File is the filename as written: Envoy resolves a relative one against its working
	// directory, hostsim serve against its base directory.
	File   string
	Inline []byte
}

// Read returns the data, reading File relative to baseDir.
func (d DataSource) Read(baseDir string) ([]byte, error) {
	if d.File == "" {
		return d.Inline, nil
	}
	f := d.File
	if !filepath.IsAbs(f) {
		f = filepath.Join(baseDir, f)
	}
	return os.ReadFile(f)
}

// TLSVersion is a TLS version as Envoy's TlsParameters names it ("TLSv1_2"); "" for Envoy's
// default (TLS_AUTO).
type TLSVersion string

// DownstreamTLS is a listener filter chain's DownstreamTlsContext
// (transport_socket envoy.transport_sockets.tls).
type DownstreamTLS struct {
	// CertificateChain and PrivateKey are the first of common_tls_context.tls_certificates.
	CertificateChain, PrivateKey DataSource
	// ALPN is common_tls_context.alpn_protocols; empty means Envoy negotiates none.
	ALPN []string
	// MinVersion and MaxVersion are common_tls_context.tls_params' versions. Envoy's defaults
	// for a server: TLS 1.2 to TLS 1.3.
	MinVersion, MaxVersion TLSVersion
}

// UpstreamTLS is a cluster's UpstreamTlsContext (transport_socket envoy.transport_sockets.tls).
type UpstreamTLS struct {
	// SNI is the server name sent in the handshake; "" sends none (as Envoy).
	SNI string
	// TrustedCA is common_tls_context.validation_context.trusted_ca. Without it Envoy does not
	// verify the upstream's certificate at all (api/envoy/extensions/transport_sockets/tls/v3/
	// common.proto, CertificateValidationContext: "If not specified ... no verification").
	TrustedCA *DataSource
	// SubjectAltNames are validation_context.match_typed_subject_alt_names (or, when there
	// are none, the deprecated match_subject_alt_names, each as four matchers: DNS, URI,
	// EMAIL, IP_ADDRESS): when set, one of them must match a SAN of the certificate. Envoy
	// does not compare the certificate with SNI unless told to.
	SubjectAltNames []SANMatcher
	// ALPN is common_tls_context.alpn_protocols.
	ALPN []string
	// Certificate is a client certificate (common_tls_context.tls_certificates[0]), or nil.
	CertificateChain, PrivateKey *DataSource
	MinVersion, MaxVersion       TLSVersion
}

// SANMatcher is one SubjectAltNameMatcher: a SAN of type Type ("DNS", "URI", "EMAIL",
// "IP_ADDRESS") that the string matcher matches.
type SANMatcher struct {
	Type string
	// Kind is the StringMatcher's pattern: "exact", "prefix", "suffix" or "contains"; ""
	// for a pattern hostsim does not simulate (safe_regex, custom), which matches nothing.
	Kind, Value string
	IgnoreCase  bool
}

const tlsTransportSocket = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3."

// dataSource reads a DataSource; environment_variable and watched_directory are reported.
func (b *builder) dataSource(p string, d *corev3.DataSource) DataSource {
	b.rest(p, d, "filename", "inline_bytes", "inline_string")
	switch {
	case d.GetFilename() != "":
		return DataSource{File: d.GetFilename()}
	case d.GetInlineBytes() != nil:
		return DataSource{Inline: d.GetInlineBytes()}
	}
	return DataSource{Inline: []byte(d.GetInlineString())}
}

func (b *builder) tlsParams(p string, tp *tlsv3.TlsParameters) (min, max TLSVersion) {
	if tp == nil {
		return "", ""
	}
	b.rest(p, tp, "tls_minimum_protocol_version", "tls_maximum_protocol_version")
	version := func(v tlsv3.TlsParameters_TlsProtocol) TLSVersion {
		if v == tlsv3.TlsParameters_TLS_AUTO {
			return ""
		}
		return TLSVersion(v.String())
	}
	return version(tp.GetTlsMinimumProtocolVersion()), version(tp.GetTlsMaximumProtocolVersion())
}

// transportSocket unpacks a transport_socket's typed_config as T (named want in the
// warning): false when there is none, when it does not unpack (an error), or when it is
// another transport socket (not simulated: a warning).
func transportSocket[T proto.Message](b *builder, p string, ts *corev3.TransportSocket, want string) (T, bool) {
	var zero T
	if ts == nil {
		return zero, false
	}
	b.rest(p, ts, "name", "typed_config")
	m, err := unpack(ts.GetTypedConfig())
	if err != nil {
		b.errs.add(p+".typed_config", "%s", err)
		return zero, false
	}
	t, ok := m.(T)
	if !ok {
		b.unsupported.add(p, "transport socket %s is not simulated by hostsim (%s is)", ts.GetTypedConfig().GetTypeUrl(), want)
		return zero, false
	}
	return t, true
}

// downstreamTLS reads a filter chain's transport_socket; nil for none.
func (b *builder) downstreamTLS(p string, ts *corev3.TransportSocket) *DownstreamTLS {
	d, ok := transportSocket[*tlsv3.DownstreamTlsContext](b, p, ts, "DownstreamTlsContext")
	if !ok {
		return nil
	}
	tp := p + ".typed_config"
	b.rest(tp, d, "common_tls_context")
	c := d.GetCommonTlsContext()
	cp := tp + ".common_tls_context"
	b.rest(cp, c, "tls_certificates", "alpn_protocols", "tls_params")
	out := &DownstreamTLS{ALPN: c.GetAlpnProtocols()}
	out.MinVersion, out.MaxVersion = b.tlsParams(cp+".tls_params", c.GetTlsParams())
	certs := c.GetTlsCertificates()
	if len(certs) == 0 {
		b.errs.add(cp+".tls_certificates", "is empty: a TLS listener needs a certificate (or SDS, which hostsim does not simulate)")
		return nil
	}
	if len(certs) > 1 {
		b.unsupported.add(cp+".tls_certificates", "hostsim serves the first of %d certificates", len(certs))
	}
	cert := certs[0]
	kp := elem(cp+".tls_certificates", 0, "")
	b.rest(kp, cert, "certificate_chain", "private_key")
	if cert.GetCertificateChain() == nil || cert.GetPrivateKey() == nil {
		b.errs.add(kp, "needs both certificate_chain and private_key")
		return nil
	}
	out.CertificateChain = b.dataSource(kp+".certificate_chain", cert.GetCertificateChain())
	out.PrivateKey = b.dataSource(kp+".private_key", cert.GetPrivateKey())
	return out
}

// upstreamTLS reads a cluster's transport_socket; nil for none.
func (b *builder) upstreamTLS(p string, ts *corev3.TransportSocket) *UpstreamTLS {
	u, ok := transportSocket[*tlsv3.UpstreamTlsContext](b, p, ts, "UpstreamTlsContext")
	if !ok {
		return nil
	}
	tp := p + ".typed_config"
	b.rest(tp, u, "common_tls_context", "sni")
	out := &UpstreamTLS{SNI: u.GetSni()}
	c := u.GetCommonTlsContext()
	cp := tp + ".common_tls_context"
	b.rest(cp, c, "tls_certificates", "alpn_protocols", "tls_params", "validation_context")
	out.ALPN = c.GetAlpnProtocols()
	out.MinVersion, out.MaxVersion = b.tlsParams(cp+".tls_params", c.GetTlsParams())
	if certs := c.GetTlsCertificates(); len(certs) > 0 {
		kp := elem(cp+".tls_certificates", 0, "")
		b.rest(kp, certs[0], "certificate_chain", "private_key")
		chain := b.dataSource(kp+".certificate_chain", certs[0].GetCertificateChain())
		key := b.dataSource(kp+".private_key", certs[0].GetPrivateKey())
		out.CertificateChain, out.PrivateKey = &chain, &key
	}
	if vc := c.GetValidationContext(); vc != nil {
		vp := cp + ".validation_context"
		b.rest(vp, vc, "trusted_ca", "match_typed_subject_alt_names", "match_subject_alt_names")
		if vc.GetTrustedCa() != nil {
			ca := b.dataSource(vp+".trusted_ca", vc.GetTrustedCa())
			out.TrustedCA = &ca
		}
		// As Envoy's CertificateValidationContextConfigImpl::getSubjectAltNameMatchers
		// (certificate_validation_context_config_impl.cc): the typed
		// matchers, or else each deprecated matcher for every SAN type but OTHER_NAME.
		typed := vc.GetMatchTypedSubjectAltNames()
		for i, m := range typed {
			mp := elem(vp+".match_typed_subject_alt_names", i, "")
			b.rest(mp, m, "san_type", "matcher")
			t := m.GetSanType().String()
			if t == "OTHER_NAME" || t == "SAN_TYPE_UNSPECIFIED" {
				b.unsupported.add(mp+".san_type", "san_type %s is not simulated by hostsim; this matcher matches nothing here", t)
				out.SubjectAltNames = append(out.SubjectAltNames, SANMatcher{Type: t})
				continue
			}
			out.SubjectAltNames = append(out.SubjectAltNames, b.sanMatch(mp+".matcher", t, m.GetMatcher()))
		}
		if len(typed) == 0 {
			for i, m := range vc.GetMatchSubjectAltNames() { //nolint:staticcheck // deprecated, still accepted
				for _, t := range []string{"DNS", "URI", "EMAIL", "IP_ADDRESS"} {
					out.SubjectAltNames = append(out.SubjectAltNames, b.sanMatch(elem(vp+".match_subject_alt_names", i, ""), t, m))
				}
			}
		}
		// CertificateValidationContextConfigImpl::initialize refuses SAN matchers without a
		// trusted CA.
		if len(out.SubjectAltNames) > 0 && out.TrustedCA == nil {
			b.errs.add(vp, "SAN-based verification of peer certificates without trusted CA is insecure and not allowed (as Envoy): set trusted_ca")
		}
	}
	return out
}

// sanMatch reads a SAN matcher's StringMatcher; a pattern hostsim does not simulate is
// reported and matches nothing (fail closed: hostsim never accepts a certificate only that
// pattern would accept).
func (b *builder) sanMatch(p, sanType string, m *matcherv3.StringMatcher) SANMatcher {
	out := SANMatcher{Type: sanType, IgnoreCase: m.GetIgnoreCase()}
	switch m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		out.Kind, out.Value = "exact", m.GetExact()
	case *matcherv3.StringMatcher_Prefix:
		out.Kind, out.Value = "prefix", m.GetPrefix()
	case *matcherv3.StringMatcher_Suffix:
		out.Kind, out.Value = "suffix", m.GetSuffix()
	case *matcherv3.StringMatcher_Contains:
		out.Kind, out.Value = "contains", m.GetContains()
	default:
		b.unsupported.add(p, "only exact, prefix, suffix and contains subject alt name matchers are simulated by hostsim; this one matches nothing here")
	}
	return out
}

// String names the context, for messages.
func (u *UpstreamTLS) String() string {
	return fmt.Sprintf("TLS (sni %q)", u.SNI)
}
