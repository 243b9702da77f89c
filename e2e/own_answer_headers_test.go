package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// What build/exeunt.wasm answers itself carries x-content-type-options: nosniff once, as
// the browser receives it from Envoy; what an app answers reaches the browser without it.
func TestOwnAnswersSayNosniffAndAppsAnswersAreLeftAlone(t *testing.T) {
	h := startHost(t, "exeunt.wasm", hostsim.Options{PluginConfig: envoyPluginConfig(t)})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("from the app"))
	})
	for _, tc := range []struct {
		path, accept string
		status       int
		nosniff      int
	}{
		{"/exeunt/healthz", "", 200, 1},
		{"/.well-known/jwks.json", "application/json", 200, 1},
		{"/.well-known/openid-configuration", "application/json", 200, 1},
		{"/exeunt/logout-context?logoutId=x", "application/json", 404, 1}, // unknown logoutId
		{"/app1/api", "application/json", 401, 1},                         // login_required, as JSON
		{"/nobody/", "text/html", 404, 1},                                 // the error page
		{"/public/app1/page", "text/html", 200, 0},                        // the app's own answer
	} {
		resp, err := h.Do(context.Background(), &hostsim.Request{Method: "GET", Scheme: "http", Authority: "localhost:10000", Path: tc.path,
			Header: []hostsim.Pair{{Name: "accept", Value: tc.accept}}}, app)
		if err != nil {
			t.Fatal(err)
		}
		got := resp.HeaderValues("x-content-type-options")
		if resp.Status != tc.status || len(got) != tc.nosniff || tc.nosniff == 1 && got[0] != "nosniff" {
			t.Errorf("GET %s: %d with x-content-type-options %q; want %d with it %d time(s)", tc.path, resp.Status, got, tc.status, tc.nosniff)
		}
	}
}
