package core

import "testing"

// A logout landing page passes without a session (Classify); when it is its client's
// entry page, the app's front page would pass to anyone, for any query. Such a
// configuration is refused at start, naming the field.
func TestALandingPageMustNotBeItsClientsEntryPage(t *testing.T) {
	const p = `exeunt configuration: field "clients[0].`
	app1At := func(prefix string) edit { return set("clients[0].path_prefixes", []string{prefix}) }
	landing := func(uri string) edit { return appendTo("clients[0].post_logout_redirect_uris", uri) }
	public := func(c *Config, host, path string) Classification {
		return c.Classify(Request{Scheme: "https", Authority: host, Path: path})
	}
	runConfigCases(t, []configCase{
		{name: "the host's root for a client owning the host", edits: []edit{landing("https://app1.example.test/")},
			err: p + `post_logout_redirect_uris[1]": "https://app1.example.test/" is the entry page of client "app1" (its path prefix "/", clients[0].path_prefixes[0]): a logout landing page passes without a session, so that page would be served to anyone signed out, with any query and without identity headers; point it at a page of its own that only says the user is signed out, such as "https://app1.example.test/signed-out"`},
		{name: "the root without a path", edits: []edit{landing("https://APP1.example.test:443")},
			err: p + `post_logout_redirect_uris[1]": "https://APP1.example.test:443" is the entry page of client "app1" (its path prefix "/", clients[0].path_prefixes[0]): a logout landing page passes without a session, so that page would be served to anyone signed out, with any query and without identity headers; point it at a page of its own that only says the user is signed out, such as "https://app1.example.test/signed-out"`},
		{name: "the root with a query", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test/?logout=1")},
			err: p + `frontchannel_logout_uri": "https://app1.example.test/?logout=1" is the entry page of client "app1" (its path prefix "/", clients[0].path_prefixes[0]): a logout landing page passes without a session, so that page would be served to anyone signed out, with any query and without identity headers; point it at a page of its own that only says the user is signed out, such as "https://app1.example.test/signed-out"`},
		{name: "the prefix itself", edits: []edit{app1At("/app1/"), set("clients[0].public_path_prefixes", []string{"/public/"}), landing("https://app1.example.test/app1/")},
			err: p + `post_logout_redirect_uris[1]": "https://app1.example.test/app1/" is the entry page of client "app1" (its path prefix "/app1/", clients[0].path_prefixes[0]): a logout landing page passes without a session, so that page would be served to anyone signed out, with any query and without identity headers; point it at a page of its own that only says the user is signed out, such as "https://app1.example.test/app1/signed-out"`},
		{name: "the prefix without its slash", edits: []edit{app1At("/app1/"), set("clients[0].public_path_prefixes", []string{"/public/"}), landing("https://app1.example.test/app1")},
			err: p + `post_logout_redirect_uris[1]": "https://app1.example.test/app1" is the entry page of client "app1" (its path prefix "/app1/", clients[0].path_prefixes[0]): a logout landing page passes without a session, so that page would be served to anyone signed out, with any query and without identity headers; point it at a page of its own that only says the user is signed out, such as "https://app1.example.test/app1/signed-out"`},
		{name: "the prefix with a slash added", edits: []edit{set("clients[0].path_prefixes", []string{"/api/", "/app1"}), set("clients[0].public_path_prefixes", []string{"/public/"}), landing("https://app1.example.test/app1/?x=1")},
			err: p + `post_logout_redirect_uris[1]": "https://app1.example.test/app1/?x=1" is the entry page of client "app1" (its path prefix "/app1", clients[0].path_prefixes[1]): a logout landing page passes without a session, so that page would be served to anyone signed out, with any query and without identity headers; point it at a page of its own that only says the user is signed out, such as "https://app1.example.test/app1/signed-out"`},
		{name: "on a host with a port", unreached: true, edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test:8443/frontchannel-logout"), set("clients[0].hosts", []string{"app1.example.test:8443"}), set("clients[0].post_logout_redirect_uris", []string{"https://app1.example.test:8443/"})},
			err: p + `post_logout_redirect_uris[0]": "https://app1.example.test:8443/" is the entry page of client "app1" (its path prefix "/", clients[0].path_prefixes[0]): a logout landing page passes without a session, so that page would be served to anyone signed out, with any query and without identity headers; point it at a page of its own that only says the user is signed out, such as "https://app1.example.test:8443/signed-out"`},
		// A public prefix cannot make the entry page public either: it would cover the
		// whole path prefix, which is refused before the landing is looked at.
		{name: "a public prefix cannot cover the entry page", edits: []edit{app1At("/app1/"), set("clients[0].public_path_prefixes", []string{"/app1"}), landing("https://app1.example.test/app1")},
			err: p + `public_path_prefixes[0]": "/app1" covers client "app1"'s path prefix "/app1/" (clients[0].path_prefixes[0]) on host "app1.example.test": all of it would be public; list narrower prefixes`},

		{name: "a page of its own under the prefix", edits: []edit{app1At("/app1/"), set("clients[0].public_path_prefixes", []string{"/public/"}), landing("https://app1.example.test/app1/signed-out")},
			check: func(t *testing.T, c *Config) {
				// Landings are matched by exact path: the page alone is public, not
				// what lies below it, and the entry page still needs a session.
				is(t, "/app1/signed-out", public(c, "app1.example.test", "/app1/signed-out?x=1").Class, ClassPublic)
				is(t, "/app1/signed-out/x", public(c, "app1.example.test", "/app1/signed-out/x").Class, ClassClient)
				is(t, "/app1/", public(c, "app1.example.test", "/app1/?x=1").Class, ClassClient)
				is(t, "/app1", public(c, "app1.example.test", "/app1").Class, ClassClient)
			}},
		{name: "the root of a host the client does not own", edits: []edit{landing("https://www.example.test/")},
			check: func(t *testing.T, c *Config) { is(t, "www", public(c, "www.example.test", "/").Class, ClassPublic) }},
		{name: "another client's entry page is not made public", edits: []edit{
			appendTo("clients", map[string]any{"client_id": "app2", "hosts": []string{"app1.example.test"}, "path_prefixes": []string{"/app2/"}}),
			landing("https://app1.example.test/app2/")},
			check: func(t *testing.T, c *Config) {
				is(t, "/app2/", public(c, "app1.example.test", "/app2/").Class, ClassClient)
			}},
	})
}
