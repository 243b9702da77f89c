package core

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// header is the value of the response header name ("" when absent); it fails the test
// when the header is repeated.
func header(t *testing.T, r *Response, name string) string {
	t.Helper()
	var vals []string
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			vals = append(vals, h.Value)
		}
	}
	if len(vals) > 1 {
		t.Fatalf("header %s sent %d times: %q", name, len(vals), vals)
	}
	if len(vals) == 0 {
		return ""
	}
	return vals[0]
}

// directives splits a CSP into its directives: name -> sources.
func directives(t *testing.T, csp string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			t.Fatalf("empty directive in %q", csp)
		}
		if _, dup := out[f[0]]; dup {
			t.Fatalf("directive %s twice in %q", f[0], csp)
		}
		out[f[0]] = f[1:]
	}
	return out
}

// inline returns the text of every <tag>...</tag> in body.
func inline(body, tag string) []string {
	re := regexp.MustCompile(`(?s)<` + tag + `>(.*?)</` + tag + `>`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func hashSource(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// TestPageHeaders checks every golden page's headers and the CSP against what the page
// actually contains.
func TestPageHeaders(t *testing.T) {
	for _, themed := range []bool{false, true} {
		e := pageEngine(t, themed)
		for _, pc := range goldenPages {
			for _, lang := range languages {
				resp := Respond(pc.render(e, lang)).Response // as it leaves core
				body := string(resp.Body)
				embedded := strings.HasPrefix(pc.name, "loggedout-embedded")
				t.Run(pc.name+"-"+lang+map[bool]string{true: "-themed"}[themed], func(t *testing.T) {
					is(t, "content-type", header(t, resp, "content-type"), "text/html; charset=utf-8")
					is(t, "cache-control", header(t, resp, "cache-control"), "no-store")
					referrer := "no-referrer"
					if strings.HasPrefix(pc.name, "prompt") {
						referrer = "same-origin" // its form's posts show Exeunt's origin (postedFromOwnOrigin)
					}
					is(t, "referrer-policy", header(t, resp, "referrer-policy"), referrer)
					is(t, "x-content-type-options", header(t, resp, "x-content-type-options"), "nosniff")
					d := directives(t, header(t, resp, "content-security-policy"))
					is(t, "default-src", d["default-src"], []string{"'none'"})
					is(t, "base-uri", d["base-uri"], []string{"'none'"})
					if embedded {
						is(t, "x-frame-options", header(t, resp, "x-frame-options"), "")
						is(t, "frame-ancestors", d["frame-ancestors"], []string{"*"})
					} else {
						is(t, "x-frame-options", header(t, resp, "x-frame-options"), "DENY")
						is(t, "frame-ancestors", d["frame-ancestors"], []string{"'none'"})
					}

					styles := inline(body, "style")
					if len(styles) != 1 {
						t.Fatalf("%d inline styles, want 1", len(styles))
					}
					wantStyle := []string{hashSource(styles[0])}
					wantImg := []string(nil)
					if themed && !embedded {
						wantStyle = append(wantStyle, "https://static.acme.test")
						wantImg = []string{"https://cdn.acme.test", "https://static.acme.test"}
						is(t, "font-src", d["font-src"], []string{"https://static.acme.test"})
						if !strings.Contains(body, `<link rel="stylesheet" href="https://static.acme.test/exeunt.css?v=3">`) ||
							!strings.Contains(body, `<img src="https://cdn.acme.test/brand/logo.svg" alt="">`) {
							t.Error("themed page without its stylesheet or logo")
						}
					} else {
						is(t, "font-src", d["font-src"], nil)
						if strings.Contains(body, "<link") || strings.Contains(body, "<img") {
							t.Error("page loads an asset it has no theme for")
						}
					}
					is(t, "style-src", d["style-src"], wantStyle)
					is(t, "img-src", d["img-src"], wantImg)

					scripts := inline(body, "script")
					if len(scripts) > 1 || strings.Count(body, "<script") != len(scripts) {
						t.Fatalf("want at most one inline script, got %d", strings.Count(body, "<script"))
					}
					if len(scripts) == 1 {
						is(t, "script-src", d["script-src"], []string{hashSource(scripts[0])})
					} else {
						is(t, "script-src", d["script-src"], nil)
					}
					if strings.Contains(body, " on") && regexp.MustCompile(`<[^>]+\son\w+=`).MatchString(body) {
						t.Error("inline event handler attribute: the CSP would block it")
					}
					if strings.Contains(body, " style=") {
						t.Error("style attribute: the CSP would block it")
					}
				})
			}
		}
	}
}

func TestLoggedOutPagePolicy(t *testing.T) {
	e := pageEngine(t, false)
	frames := []frontchannelFrame{
		{ClientName: "A", URL: "https://App1.example.test:443/fc?a=1"},
		{ClientName: "B", URL: "https://app1.example.test/other"},
		{ClientName: "C", URL: "http://localhost:8081/fc"},
		{ClientName: "D", URL: "https://[::1]:9443/fc"},
	}
	tests := []struct {
		name      string
		d         loggedOutData
		script    bool
		frameSrc  []string
		iframes   int
		autoLink  bool
		status    string // the server-rendered status, "" for none
		returnURL bool
	}{
		{name: "no frames, link", d: loggedOutData{ClientName: "App", ReturnURL: returnTo}, returnURL: true},
		{name: "no frames, no link", d: loggedOutData{}},
		{name: "no frames, auto", d: loggedOutData{ReturnURL: returnTo, AutoRedirect: true}, script: true, autoLink: true, returnURL: true},
		{name: "auto without a return URL", d: loggedOutData{AutoRedirect: true}},
		{name: "frames", d: loggedOutData{ReturnURL: returnTo, Frames: frames}, script: true, returnURL: true, iframes: 4,
			frameSrc: []string{"https://app1.example.test", "http://localhost:8081", "https://[::1]:9443"},
			status:   "Signing you out of 4 applications…"},
		{name: "one frame", d: loggedOutData{Frames: frames[:1]}, script: true, iframes: 1,
			frameSrc: []string{"https://app1.example.test"}, status: "Signing you out of 1 application…"},
		{name: "embedded drops the way back", d: loggedOutData{Embedded: true, ReturnURL: returnTo, AutoRedirect: true, Frames: frames[2:3]},
			script: true, iframes: 1, frameSrc: []string{"http://localhost:8081"}, status: "Signing you out of 1 application…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.loggedOutPage("en", tt.d)
			body := string(resp.Body)
			is(t, "status", resp.Status, 200)
			d := directives(t, header(t, resp, "content-security-policy"))
			is(t, "script", len(d["script-src"]) == 1 && strings.Contains(body, "<script>"), tt.script)
			is(t, "frame-src", d["frame-src"], tt.frameSrc)
			is(t, "iframes", strings.Count(body, "<iframe "), tt.iframes)
			is(t, "iframes with a title", strings.Count(body, `<iframe src="`)-strings.Count(body, `title=""`), tt.iframes)
			is(t, "auto-redirect link", strings.Contains(body, " data-auto-redirect>"), tt.autoLink)
			is(t, "return link", strings.Contains(body, `href="https://app1.example.test/signed-out?state=st4te&amp;x=1"`), tt.returnURL)
			if tt.status != "" {
				if !strings.Contains(body, `role="status" aria-live="polite"`) || !strings.Contains(body, ">"+tt.status+"</p>") {
					t.Errorf("no live status %q in\n%s", tt.status, body)
				}
			} else if strings.Contains(body, `role="status"`) {
				t.Error("a status without frames")
			}
			if tt.autoLink && !strings.Contains(body, "<noscript>") {
				t.Error("auto-redirect without a note for browsers without script")
			}
		})
	}
}

func TestLogoutPromptPage(t *testing.T) {
	e := pageEngine(t, false)
	resp := e.logoutPromptPage("en", logoutPromptData{ClientName: "App One", Action: "/connect/endsession", LogoutID: "L1", CSRF: "C1"})
	body := string(resp.Body)
	is(t, "status", resp.Status, 200)
	for _, want := range []string{
		`<form method="post" action="/connect/endsession">`,
		`<input type="hidden" name="logout_id" value="L1">`,
		`<input type="hidden" name="csrf" value="C1">`,
		`<button class="button primary" type="submit" name="confirm" value="yes">Yes, sign me out</button>`,
		`<h1>Do you want to sign out?</h1>`,
		`<p>App One asked to sign you out.</p>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("prompt lacks %s", want)
		}
	}
	// The confirmation may be answered with a redirect to the provider's end session
	// endpoint or to an app, and browsers check form-action on a form's redirects too.
	d := directives(t, header(t, resp, "content-security-policy"))
	is(t, "form-action", d["form-action"], []string{"'self'", "https://idp.example.test", "https://app1.example.test"})
	is(t, "script-src", d["script-src"], nil)

	// A discovered end session endpoint elsewhere is allowed once known.
	p := e.cfg.Providers[0]
	if err := e.store.Set(providerKey(p), []byte(`{"metadata":{"issuer":"https://idp.example.test","end_session_endpoint":"https://logout.idp.example.test:8443/end"}}`), 0); err != nil {
		t.Fatal(err)
	}
	d = directives(t, header(t, e.logoutPromptPage("en", logoutPromptData{Action: "/x"}), "content-security-policy"))
	is(t, "form-action after discovery", d["form-action"], []string{"'self'", "https://idp.example.test", "https://logout.idp.example.test:8443", "https://app1.example.test"})
}

func TestErrorPageIn(t *testing.T) {
	e := pageEngine(t, false)
	for _, reason := range errorReasons {
		for _, lang := range languages {
			resp := e.page(lang, pageFailure(400, reason))
			body := string(resp.Body)
			is(t, reason+" status", resp.Status, 400)
			title, _ := messagesFor(lang).T("err." + reason + ".title")
			text, _ := messagesFor(lang).T("err." + reason + ".text")
			if !strings.Contains(body, `<html lang="`+lang+`">`) || !strings.Contains(body, "<h1>"+escapeText(title)+"</h1>") ||
				!strings.Contains(body, "<p>"+escapeText(text)+"</p>") {
				t.Errorf("%s in %s: page lacks its title or text:\n%s", reason, lang, body)
			}
		}
	}
	resp := e.page("en", pageFailure(405, "method_not_allowed"))
	is(t, "405", resp.Status, 405)
	// An unknown reason still says something sensible, and status is kept.
	unknown := e.page("fr", pageFailure(418, "no_such_reason"))
	want := e.page("fr", pageFailure(418, "invalid_request"))
	is(t, "unknown reason", string(unknown.Body), string(want.Body))
	is(t, "unknown reason status", unknown.Status, 418)
	// An unsupported language is English.
	is(t, "unsupported language", string(e.page("de", pageFailure(400, "csrf")).Body), string(e.page("en", pageFailure(400, "csrf")).Body))
}

// escapeText is how html/template writes text that has an apostrophe.
func escapeText(s string) string { return strings.ReplaceAll(s, "'", "&#39;") }

// TestUserStringsEscaped puts markup in every string a page shows and checks none of it
// gets through.
func TestUserStringsEscaped(t *testing.T) {
	const evil = `<script>alert(1)</script>"'&`
	cfg, err := ParseConfig(configWith(t, set("ui.title", evil)))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cfg, NewMemoryStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]*Response{
		"prompt": e.logoutPromptPage("en", logoutPromptData{ClientName: evil, Action: `/connect/endsession"><script>`, LogoutID: evil, CSRF: evil}),
		"logged out": e.loggedOutPage("fr", loggedOutData{ClientName: evil, ReturnURL: "https://app1.example.test/?q=" + evil,
			Frames: []frontchannelFrame{{ClientName: evil, URL: "https://app1.example.test/fc?x=" + evil}}}),
		"error":  freeTextErrorPage(e, 400, evil, evil, "https://auth.example.test/?"+evil),
		"choice": e.choicePage(200, choicePageData{Lang: "en", Providers: []choiceProvider{{Name: evil, URL: "/x?" + evil}}}),
	}
	for name, resp := range pages {
		body := string(resp.Body)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, `"><script>`) {
			t.Errorf("%s: markup got through:\n%s", name, body)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") && !strings.Contains(body, "%3cscript%3ealert") {
			t.Errorf("%s: the string is not shown escaped:\n%s", name, body)
		}
	}
	// A return URL that is not http(s) never becomes a live link.
	body := string(e.loggedOutPage("en", loggedOutData{ReturnURL: "javascript:alert(1)"}).Body)
	if strings.Contains(body, "javascript:") {
		t.Errorf("javascript: URL got through:\n%s", body)
	}
}

// TestPagesAccessible checks what can be checked without a browser on every golden
// page: a language, a title, one h1 (except inside a provider's iframe), headings and
// controls with text, titled iframes, the status announced.
func TestPagesAccessible(t *testing.T) {
	e := pageEngine(t, true)
	for _, pc := range goldenPages {
		for _, lang := range languages {
			body := string(pc.render(e, lang).Body)
			name := pc.name + "-" + lang
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s: no lang=%q", name, lang)
			}
			if !regexp.MustCompile(`<title>[^<]+ – [^<]+</title>`).MatchString(body) {
				t.Errorf("%s: no title naming the page and the service", name)
			}
			h1 := strings.Count(body, "<h1>")
			if strings.HasPrefix(pc.name, "loggedout-embedded") {
				if h1 != 0 || strings.Contains(body, "<header>") {
					t.Errorf("%s: chrome inside a provider's iframe", name)
				}
			} else if h1 != 1 || !strings.Contains(body, "<main>") || !strings.Contains(body, "<header>") {
				t.Errorf("%s: want one h1, a header and a main", name)
			}
			if regexp.MustCompile(`<(a|button|h1)[^>]*>\s*</`).MatchString(body) {
				t.Errorf("%s: a link, button or heading without text", name)
			}
			if n := strings.Count(body, "<iframe "); n != strings.Count(body, `<iframe src="`) ||
				len(regexp.MustCompile(`<iframe [^>]*title="[^"]+"`).FindAllString(body, -1)) != n {
				t.Errorf("%s: an iframe without a title", name)
			}
			if strings.Contains(body, "<iframe") && !strings.Contains(body, `aria-live="polite"`) {
				t.Errorf("%s: frames without a live status", name)
			}
			if strings.Contains(body, "<img") && !strings.Contains(body, `alt=""`) {
				t.Errorf("%s: an image without alt", name)
			}
		}
	}
}

// TestCatalogsComplete: every message in every language, the same placeholders in each,
// and every error reason with its title and text.
func TestCatalogsComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%[sd]`)
	base := catalogs[languages[0]]
	is(t, "catalogs", len(catalogs), len(languages))
	for _, lang := range languages {
		m, ok := catalogs[lang]
		if !ok {
			t.Fatalf("no catalog for %s", lang)
		}
		for key, text := range m {
			en, ok := base[key]
			if !ok {
				t.Errorf("%s has %q, which %s lacks", lang, key, languages[0])
				continue
			}
			if strings.TrimSpace(text) == "" {
				t.Errorf("%s: %q is empty", lang, key)
			}
			if !slices.Equal(verbs.FindAllString(text, -1), verbs.FindAllString(en, -1)) {
				t.Errorf("%s: %q has placeholders %q, %s has %q", lang, key, verbs.FindAllString(text, -1), languages[0], verbs.FindAllString(en, -1))
			}
		}
		for key := range base {
			if _, ok := m[key]; !ok {
				t.Errorf("%s lacks %q", lang, key)
			}
		}
		for _, r := range errorReasons {
			for _, part := range []string{".title", ".text"} {
				if _, ok := m["err."+r+part]; !ok {
					t.Errorf("%s lacks err.%s%s", lang, r, part)
				}
			}
		}
	}
	if _, err := messagesFor("en").T("no.such.key"); err == nil {
		t.Error("an unknown key is not an error")
	}
}

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 0, "other"}, {"en", 1, "one"}, {"en", 2, "other"},
		{"fr", 0, "one"}, {"fr", 1, "one"}, {"fr", 2, "other"}, {"fr", 10, "other"},
	} {
		if got := plural(tt.lang, tt.n); got != tt.want {
			t.Errorf("plural(%q, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestChooseLanguage(t *testing.T) {
	tests := []struct {
		name, uiLocales, acceptLanguage, want string
	}{
		{"nothing", "", "", "en"},
		{"ui_locales French first", "fr-CA en", "", "fr"},
		{"ui_locales English first", "en-GB fr", "fr", "en"},
		{"ui_locales skips unsupported", "de fr", "", "fr"},
		{"ui_locales case", "FR-ca", "", "fr"},
		{"ui_locales extra spaces", "  de   fr  ", "", "fr"},
		{"ui_locales beats Accept-Language", "fr", "en-US,en;q=0.9", "fr"},
		{"ui_locales unsupported falls back", "de ja", "fr-FR,fr;q=0.9,en;q=0.8", "fr"},
		{"ui_locales unsupported, no header", "de", "", "en"},
		{"ui_locales empty uses header", "", "fr", "fr"},
		{"Accept-Language order", "", "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "fr"},
		{"Accept-Language English", "", "en-US,en;q=0.9,fr;q=0.8", "en"},
		{"quality beats order", "", "en;q=0.5, fr;q=0.8", "fr"},
		{"quality beats order, English", "", "fr;q=0.4, de, en;q=0.7", "en"},
		{"equal quality: first listed", "", "fr;q=0.8, en;q=0.8", "fr"},
		{"q=0 refuses", "", "fr;q=0, en;q=0.1", "en"},
		{"q=0 refuses both", "", "fr;q=0, en;q=0", "en"},
		{"only unsupported", "", "de-DE, de;q=0.9", "en"},
		{"wildcard", "", "*", "en"},
		{"wildcard below French", "", "fr;q=0.5, *;q=0.3", "fr"},
		{"wildcard above French", "", "fr;q=0.5, *", "en"},
		{"wildcard but English refused", "", "en;q=0, *", "fr"},
		{"first mention counts", "", "fr;q=0.2, en;q=0.5, fr", "en"},
		{"malformed quality ignored", "", "fr;q=abc, en;q=0.2", "en"},
		{"quality above 1 ignored", "", "fr;q=2, en;q=0.1", "en"},
		{"spaces and case", "", " FR-be ; Q=0.9 ,EN;q=0.8", "fr"},
		{"garbage", "", ";;,,=,q=", "en"},
		{"primary subtag only", "", "french, fra", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chooseLanguage(tt.uiLocales, tt.acceptLanguage); got != tt.want {
				t.Errorf("chooseLanguage(%q, %q) = %q, want %q", tt.uiLocales, tt.acceptLanguage, got, tt.want)
			}
		})
	}
}

func FuzzChooseLanguage(f *testing.F) {
	f.Add("fr-CA en", "en;q=0.5, fr")
	f.Add("", "*;q=0.1, de")
	f.Fuzz(func(t *testing.T, uiLocales, acceptLanguage string) {
		if got := chooseLanguage(uiLocales, acceptLanguage); !slices.Contains(languages, got) {
			t.Fatalf("chooseLanguage(%q, %q) = %q", uiLocales, acceptLanguage, got)
		}
	})
}
