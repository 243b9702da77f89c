package core

import "testing"

// Hostile values: every character html/template escapes in text and attributes (the
// NUL, quotes, ampersand, plus, angle brackets), an unpaired surrogate's worth of bad
// UTF-8, non-ASCII, characters a URL normalizer percent-encodes (space, quote,
// parentheses, braces, backslash), valid and broken percent escapes, and URLs with
// schemes that are not allowed (javascript:, data:, a mixed-case one).
const hostileText = "A+B <b>\"x\" & 'y'\x00 \xff\xfe é \u2028 </script> {{.}} %d %s"

var hostileURLs = []string{
	"https://app.example.test/a b?c=d+e&f='g'(h)ü%zz%41%4{x}|\\^`\"<>",
	"javascript:alert(1)",
	"JaVaScRiPt:alert(1)",
	"data:text/html,<script>alert(1)</script>",
	"/relative/path?x=1&y=2#frag",
	"mailto:someone@example.test",
	"//evil.test/x:y",
	"",
}

// hostileUI is a theme with hostile values, set directly (configuration checks would
// refuse some of them): the page must still escape them.
func hostileEngine(t *testing.T) *Engine {
	e := pageEngine(t, true)
	e.cfg.UI.Title = hostileText
	e.cfg.UI.LogoURL = hostileURLs[1]
	e.cfg.UI.StylesheetURL = hostileURLs[0]
	return e
}

// hostilePages render every page with hostile data. Their golden files were written by
// the html/template renderer the pages had until issue 15, so they pin html/template's
// escaping in every context the pages use (text, attributes, URLs, JSON in a script).
var hostilePages = []pageCase{
	{"hostile-error", func(e *Engine, lang string) *Response {
		return freeTextErrorPage(e, 400, hostileText, hostileText, hostileURLs[0])
	}},
	{"hostile-error-js-retry", func(e *Engine, lang string) *Response {
		return freeTextErrorPage(e, 400, "t", "m", hostileURLs[2])
	}},
	{"hostile-choice", func(e *Engine, lang string) *Response {
		var ps []choiceProvider
		for _, u := range hostileURLs {
			ps = append(ps, choiceProvider{Name: hostileText, URL: u})
		}
		return e.choicePage(200, choicePageData{Lang: lang, Providers: ps})
	}},
	{"hostile-prompt", func(e *Engine, lang string) *Response {
		return e.logoutPromptPage(lang, logoutPromptData{ClientName: hostileText, Action: hostileURLs[3], LogoutID: hostileText, CSRF: hostileText})
	}},
	{"hostile-loggedout", func(e *Engine, lang string) *Response {
		var fs []frontchannelFrame
		for _, u := range hostileURLs {
			fs = append(fs, frontchannelFrame{ClientName: hostileText, URL: u})
		}
		return e.loggedOutPage(lang, loggedOutData{ClientName: hostileText, ReturnURL: hostileURLs[0], AutoRedirect: true, Frames: fs})
	}},
	{"hostile-loggedout-js-return", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{ReturnURL: hostileURLs[1]})
	}},
	{"hostile-loggedout-embedded", func(e *Engine, lang string) *Response {
		return e.loggedOutPage(lang, loggedOutData{Embedded: true, Frames: []frontchannelFrame{{URL: hostileURLs[6]}}})
	}},
}

func TestGoldenHostilePages(t *testing.T) {
	e := hostileEngine(t)
	for _, pc := range hostilePages {
		for _, lang := range languages {
			name := pc.name + "-" + lang
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

// TestGoldenHostileCheckSessionPage renders the check_session_iframe with client ids and
// origins that would end the script element or break JavaScript if not escaped.
func TestGoldenHostileCheckSessionPage(t *testing.T) {
	e := checkSessionEngine(t)
	e.cfg.Clients[0].ClientID = hostileText
	e.cfg.Clients[0].Hosts = []string{"a.example.test"}
	e.cfg.Clients[0].PostLogoutRedirectURIs = []string{"https://x.example.test/\u2029</script><!--"}
	e.cfg.precomputeLogout() // what ParseConfig derives from the fields changed above
	resp := e.checkSessionPage()
	if resp.Status != 200 {
		t.Fatalf("rendering failed: %s", resp.Body)
	}
	checkGolden(t, "checksession-hostile.html", resp.Body)
}
