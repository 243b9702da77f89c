package core

import (
	"encoding/json"
	"strings"
	"testing"
)

// A client secret is printable ASCII (RFC 6749 Appendix A.2: client-secret = *VSCHAR,
// %x20-7E). One with a line break (read from a file with its trailing newline, as
// `jq -Rs .` does) or any other byte outside that range is a copying mistake that would
// only show at the first sign-in, as the provider's invalid_client: it is refused at
// start, naming the field and the byte, never quoting the secret.
func TestAClientSecretOutsidePrintableASCIIIsRefusedAtStart(t *testing.T) {
	parse := func(secret string) error {
		m := signinConfigMap()
		m["providers"].([]any)[0].(map[string]any)["client_secret"] = secret
		b, _ := json.Marshal(m)
		_, err := ParseConfig(b)
		return err
	}
	for _, ok := range []string{"s3cret", "", " ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}", "Abc~123.x_Y-z"} {
		if err := parse(ok); err != nil {
			t.Errorf("client_secret %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"hunter2secret\n", "hunter2\tsecret", "hunter2secret\x7f", "hunter2sécret", "\r\nhunter2secret"} {
		err := parse(bad)
		if err == nil {
			t.Errorf("client_secret %q accepted", bad)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `field "providers[0].client_secret"`) || !strings.Contains(msg, "0x") || strings.Contains(msg, "hunter2") {
			t.Errorf("client_secret %q: the message must name the field and the byte, never quote the secret: %s", bad, msg)
		}
	}
}

// A provider's client secret is bounded (maxClientSecret): real ones are tens of bytes,
// and a longer value is something else pasted in. The message names the field and both
// lengths, never the secret; the longest allowed is accepted.
func TestAClientSecretLongerThanTheLimitIsRefusedAtStart(t *testing.T) {
	parse := func(secret string) error {
		m := signinConfigMap()
		m["providers"].([]any)[0].(map[string]any)["client_secret"] = secret
		b, _ := json.Marshal(m)
		_, err := ParseConfig(b)
		return err
	}
	if err := parse(strings.Repeat("%", maxClientSecret)); err != nil {
		t.Fatalf("a client_secret of %d bytes refused: %v", maxClientSecret, err)
	}
	err := parse(strings.Repeat("k", maxClientSecret+1))
	ce, ok := err.(*ConfigError)
	if !ok || ce.Field != "providers[0].client_secret" {
		t.Fatalf("a client_secret of %d bytes: %v, want an error naming providers[0].client_secret", maxClientSecret+1, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "1025 bytes") || !strings.Contains(msg, "at most 1024") || strings.Contains(msg, "kkkk") {
		t.Fatalf("the message must give both lengths and never quote the secret: %s", msg)
	}
	// A key file pasted in (line breaks and all) is reported by its length, the
	// likelier mistake, not by its first line break.
	pem := "-----BEGIN PRIVATE KEY-----\n" + strings.Repeat(strings.Repeat("Q", 64)+"\n", 20) + "-----END PRIVATE KEY-----\n"
	if err := parse(pem); err == nil || !strings.Contains(err.Error(), "at most 1024") {
		t.Fatalf("a pasted key file: %v", err)
	}
}

// Exeunt's client id at a provider is bounded too (maxProviderClientID): it travels in
// the same Authorization header as the secret, and in every authorization and end
// session URL. The longest allowed works with the longest secret; one byte more is
// refused, naming the field and both lengths.
func TestAProviderClientIDLongerThanTheLimitIsRefusedAtStart(t *testing.T) {
	parse := func(id string) error {
		m := signinConfigMap()
		m["providers"].([]any)[0].(map[string]any)["client_id"] = id
		m["providers"].([]any)[0].(map[string]any)["client_secret"] = strings.Repeat("%", maxClientSecret)
		b, _ := json.Marshal(m)
		_, err := ParseConfig(b)
		return err
	}
	if err := parse(strings.Repeat("%", maxProviderClientID)); err != nil {
		t.Fatalf("a client_id of %d bytes refused: %v", maxProviderClientID, err)
	}
	err := parse(strings.Repeat("c", maxProviderClientID+1))
	ce, ok := err.(*ConfigError)
	if !ok || ce.Field != "providers[0].client_id" || !strings.Contains(err.Error(), "513 bytes") || !strings.Contains(err.Error(), "at most 512") {
		t.Fatalf("a client_id of %d bytes: %v, want an error naming providers[0].client_id and both lengths", maxProviderClientID+1, err)
	}
}
