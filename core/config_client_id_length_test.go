package core

import (
	"net/url"
	"strings"
	"testing"
)

// A client_id longer than the end session endpoint takes (paramLimits) could never be
// named there: its app's every sign-out with client_id was refused ("too long"). The
// configuration refuses it, naming the field; the longest one allowed works end to end.
func TestClientIDLongerThanTheEndSessionTakesIsRefused(t *testing.T) {
	limit := paramLimits["client_id"]
	m := signoutConfigMap()
	m["clients"].([]any)[0].(map[string]any)["client_id"] = strings.Repeat("a", limit+1)
	_, err := ParseConfig([]byte(mustJSON(m)))
	ce, ok := err.(*ConfigError)
	if !ok || ce.Field != "clients[0].client_id" {
		t.Fatalf("a client_id of %d bytes: %v, want an error naming clients[0].client_id", limit+1, err)
	}

	s := newSignoutEnv(t, func(m map[string]any) {
		m["clients"].([]any)[0].(map[string]any)["client_id"] = strings.Repeat("a", limit)
	})
	d := s.request("GET", endSessionURL(url.Values{"client_id": {strings.Repeat("a", limit)},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"s"}}))
	if d.Response == nil || d.Response.Status != 200 || !strings.Contains(string(d.Response.Body), "https://exeunt.test/app1/signed-out?state=s") {
		t.Fatalf("the longest client_id at the end session endpoint: %+v", d.Response)
	}
}
