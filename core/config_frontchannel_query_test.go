package core

import "testing"

// Front-Channel Logout 1.0 §2: Exeunt adds iss and sid to a frontchannel_logout_uri (for a
// client that requires the session, the default). A URI that already carries either was
// accepted, and the iframe then loaded "?sid=1&iss=...&sid=<the session>": an app that reads
// the first sid (Go's Query().Get, for one) signed out a session named by the configuration
// instead of the one that ended. Without the session required, the query is the app's own.
func TestAFrontchannelURIThatCarriesIssOrSidIsRefused(t *testing.T) {
	const field = `exeunt configuration: field "clients[0].frontchannel_logout_uri": `
	runConfigCases(t, []configCase{
		{name: "sid in the query", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc?sid=1&x=2")},
			err: field + `already has "sid" in its query; Exeunt adds iss and sid itself (frontchannel_logout_session_required): remove it`},
		{name: "iss in the query", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc?x=2&iss=https://auth.example.test")},
			err: field + `already has "iss" in its query; Exeunt adds iss and sid itself (frontchannel_logout_session_required): remove it`},
		{name: "an empty sid", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc?sid")},
			err: field + `already has "sid" in its query; Exeunt adds iss and sid itself (frontchannel_logout_session_required): remove it`},
		{name: "after a semicolon", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc?x=1;sid=2")},
			err: field + `already has "sid" in its query; Exeunt adds iss and sid itself (frontchannel_logout_session_required): remove it`},
		{name: "percent-encoded", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc?%73id=2")},
			err: field + `already has "sid" in its query; Exeunt adds iss and sid itself (frontchannel_logout_session_required): remove it`},
		{name: "explicitly required", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc?sid=1"), set("clients[0].frontchannel_logout_session_required", true)},
			err: field + `already has "sid" in its query; Exeunt adds iss and sid itself (frontchannel_logout_session_required): remove it`},
		{name: "without the session", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc?sid=1&iss=x"), set("clients[0].frontchannel_logout_session_required", false)}},
		{name: "other names", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc?session=1&issuer=x")}},
	})
}

// RP-Initiated Logout 1.0 §3: Exeunt passes the request's state to the app in the
// post_logout_redirect_uri's query. A registered URI that already names state was
// accepted, and the app came back to "?state=abc&state=<its own>": one reading the first
// state found a mismatch on every sign-out.
func TestAPostLogoutRedirectURIThatCarriesStateIsRefused(t *testing.T) {
	runConfigCases(t, []configCase{
		{name: "state in the query", edits: []edit{set("clients[0].post_logout_redirect_uris", []any{"https://app1.example.test/signed-out", "https://app1.example.test/out?x=1&state=abc"})},
			err: `exeunt configuration: field "clients[0].post_logout_redirect_uris[1]": already has "state" in its query; Exeunt adds the state the app sends when it signs out: remove it`},
		{name: "other names", edits: []edit{set("clients[0].post_logout_redirect_uris", []any{"https://app1.example.test/out?states=1&x=state"})}},
	})
}
