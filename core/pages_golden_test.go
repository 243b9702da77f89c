package core

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/golden instead of comparing with them")

// checkGolden compares got with testdata/golden/name, or rewrites that file with -update
// (go test ./core -run Golden -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./core -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file; if the change is intended, run go test ./core -run Golden -update and review the diff\n got:\n%s", path, got)
	}
}

// pageCase is one page to render, in one language, with or without a theme.
type pageCase struct {
	name   string
	render func(e *Engine, lang string) *Response
}

// themedUI is the theme of the themed golden pages.
var themedUI = map[string]any{
	"title":          "Intranet d'ACME",
	"logo_url":       "https://cdn.acme.test/brand/logo.svg",
	"stylesheet_url": "https://static.acme.test/exeunt.css?v=3",
}

// pageEngine is an engine over the example configuration, themed or not.
func pageEngine(t testing.TB, themed bool) *Engine {
	t.Helper()
	var edits []edit
	if themed {
		edits = append(edits, set("ui", themedUI))
	}
	cfg, err := ParseConfig(configWith(t, edits...))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cfg, NewMemoryStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var twoFrames = []frontchannelFrame{
	{ClientName: "App One", URL: "https://app1.example.test/frontchannel-logout?iss=https%3A%2F%2Fauth.example.test&sid=s1"},
	{ClientName: "Wiki", URL: "https://wiki.example.test:8443/logout?iss=https%3A%2F%2Fauth.example.test&sid=s1"},
}

const returnTo = "https://app1.example.test/signed-out?state=st4te&x=1"

// goldenPages are the pages the golden files hold, each rendered in every language,
// with and without theme.
var goldenPages = []pageCase{
	{"error-context-invalid", func(e *Engine, lang string) *Response { return e.page(lang, pageFailure(400, "context_invalid")) }},
	{"error-csrf", func(e *Engine, lang string) *Response { return e.page(lang, pageFailure(400, "csrf")) }},
	{"error-no-app", func(e *Engine, lang string) *Response { return e.page(lang, pageFailure(404, "no_app")) }},
	{"error-signout-unconfirmed", func(e *Engine, lang string) *Response { return e.page(lang, signoutUnconfirmedFailure()) }},
	{"error-signin", func(e *Engine, lang string) *Response {
		// A sign-in flow's error page (translated since issue 13).
		return e.page(lang, pageFailure(502, "signin_unreachable", "Example IdP").withRetry("https://auth.example.test/"))
	}},
	{"choice", func(e *Engine, lang string) *Response {
		return e.choicePage(200, choicePageData{Lang: lang, Providers: []choiceProvider{
			{Name: "Example IdP", URL: "/exeunt/signin?provider=oidc&return=https%3A%2F%2Fapp1.example.test%2F"},
			{Name: "Partner AD", URL: "/exeunt/signin?provider=adfs&return=https%3A%2F%2Fapp1.example.test%2F"},
		}})
	}},
	{"prompt", func(e *Engine, lang string) *Response {
		return e.logoutPromptPage(lang, logoutPromptData{ClientName: "App One", Action: "/connect/endsession", LogoutID: "bG9nb3V0LWlk", CSRF: "Y3NyZi10b2tlbg"})
	}},
	{"prompt-unknown-client", func(e *Engine, lang string) *Response {
		return e.logoutPromptPage(lang, logoutPromptData{Action: "/connect/endsession", LogoutID: "bG9nb3V0LWlk", CSRF: "Y3NyZi10b2tlbg"})
	}},
	{"loggedout-0-frames", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{ClientName: "App One", ReturnURL: returnTo})
	}},
	{"loggedout-0-frames-no-return", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{})
	}},
	{"loggedout-2-frames", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{ClientName: "App One", ReturnURL: returnTo, Frames: twoFrames})
	}},
	{"loggedout-1-frame-no-name", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{ReturnURL: returnTo, Frames: []frontchannelFrame{{URL: "https://app1.example.test/fc"}}})
	}},
	{"loggedout-2-frames-auto", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{ClientName: "App One", ReturnURL: returnTo, AutoRedirect: true, Frames: twoFrames})
	}},
	{"loggedout-0-frames-auto", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{ClientName: "App One", ReturnURL: returnTo, AutoRedirect: true})
	}},
	{"loggedout-embedded", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{Embedded: true, Frames: twoFrames})
	}},
	{"loggedout-embedded-0-frames", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{Embedded: true, Ended: true})
	}},
	{"loggedout-embedded-none-ended", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{Embedded: true})
	}},
}

func TestGoldenPages(t *testing.T) {
	for _, themed := range []bool{false, true} {
		e := pageEngine(t, themed)
		for _, pc := range goldenPages {
			for _, lang := range languages {
				name := pc.name + "-" + lang
				if themed {
					name += "-themed"
				}
				t.Run(name, func(t *testing.T) {
					resp := pc.render(e, lang)
					if resp.Status == 500 {
						t.Fatalf("rendering failed: %s", resp.Body)
					}
					checkGolden(t, name+".html", resp.Body)
				})
			}
		}
	}
}

// freeTextErrorPage renders the error page with a heading and message of its own, in
// English: the renderer's tests use it to show any text escaped (flows answer failures,
// whose texts come from the catalogs).
func freeTextErrorPage(e *Engine, status int, title, message, retryURL string) *Response {
	return e.errorPage(status, "en", title, errorPageData{Message: message, RetryURL: retryURL})
}
