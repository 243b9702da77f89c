package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// factCounter counts the request facts the engine computes, by engine call (the
// headers phase, and the body phase of a request whose body is read): the engine's
// onFact hook hears every computation a requestView makes.
type factCounter struct {
	phases []map[viewFacts]int
}

func (c *factCounter) phase()            { c.phases = append(c.phases, map[viewFacts]int{}) }
func (c *factCounter) heard(f viewFacts) { c.phases[len(c.phases)-1][f]++ }

func (c *factCounter) total(f viewFacts) int {
	n := 0
	for _, p := range c.phases {
		n += p[f]
	}
	return n
}

var factNames = map[viewFacts]string{factPath: "path", factQuery: "query", factOrigin: "origin", factLanguage: "language", factSession: "session"}

// counted sends one request through b with a fresh counter, and checks that no fact
// was computed twice in one engine call, continuations included.
func counted(t *testing.T, b *browser, name string, send func() Decision) (*factCounter, Decision) {
	t.Helper()
	c := &factCounter{}
	c.phase()
	b.e.onFact = c.heard
	b.beforeBody = c.phase
	defer func() { b.e.onFact, b.beforeBody = nil, nil }()
	d := send()
	for i, p := range c.phases {
		for f, n := range p {
			if n > 1 {
				t.Errorf("%s, engine call %d: the %s was computed %d times", name, i+1, factNames[f], n)
			}
		}
	}
	return c, d
}

// Each request fact is computed at most once per engine call, over the requests
// that read most of them: a signed-in app request (with session management, which
// reads the origin), a request that is sent to sign in, the sign-in callback, an
// RP-initiated sign-out, its confirmation by POST, and the provider's front-channel
// logout. The facts a flow needs are computed (the hook hears them), so a flow that
// went around the view would show as a missing count here, or in the source check
// below.
func TestEachRequestFactIsComputedOnce(t *testing.T) {
	s := newSignoutEnv(t, func(cfg map[string]any) {
		cfg["logout"] = map[string]any{"session_management": true}
	})

	c, d := counted(t, s.browser, "first request", func() Decision { return s.request("GET", "https://exeunt.test/app1/page?x=1") })
	if location(t, d) == "" || c.total(factPath) != 1 || c.total(factSession) != 1 || c.total(factLanguage) != 1 {
		t.Errorf("first request: want path, session and language computed once each, got %v", c.phases)
	}
	back := s.idp.authorize(t, location(t, d))
	c, d = counted(t, s.browser, "sign-in callback", func() Decision { return s.request("GET", back) })
	// The session too: the one this browser holds is replaced, and ended (session_replaced.go).
	if location(t, d) != "https://exeunt.test/app1/page?x=1" || c.total(factQuery) != 1 || c.total(factLanguage) != 1 || c.total(factSession) != 1 {
		t.Errorf("sign-in callback: want the query, the language and the session once each, got %v", c.phases)
	}

	c, d = counted(t, s.browser, "signed-in request", func() Decision { return s.request("GET", "https://exeunt.test/app1/page") })
	hint := headerValue(d.SetHeaders, "x-exeunt-assertion")
	if !d.Continues() || hint == "" || c.total(factPath) != 1 || c.total(factSession) != 1 || c.total(factOrigin) != 1 {
		t.Errorf("signed-in request: want path, session and origin once each, got %v", c.phases)
	}

	// A plain sign-out link shows the prompt; confirming it is a POST read in two
	// engine calls.
	c, d = counted(t, s.browser, "sign-out", func() Decision { return s.request("GET", "https://exeunt.test/connect/endsession") })
	if d.Response == nil || d.Response.Status != 200 || c.total(factQuery) != 1 || c.total(factSession) != 1 {
		t.Fatalf("sign-out: want the prompt, the query and the session once, got %+v, %v", d.Response, c.phases)
	}
	logoutID, csrf := promptFields(t, d.Response)
	c, d = counted(t, s.browser, "sign-out confirmation", func() Decision {
		return s.send("POST", "https://exeunt.test/connect/endsession", []byte(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}.Encode()),
			Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
	})
	if to := location(t, d); !strings.HasPrefix(to, "https://idp.test/logout?") || len(c.phases) != 2 || c.phases[1][factSession] != 1 {
		t.Errorf("confirmation: want the session opened once in the body phase, got %s, %v", to, c.phases)
	}

	// An RP-initiated sign-out with a hint, after signing in again.
	s.signIn("https://exeunt.test/app1/")
	d = s.request("GET", "https://exeunt.test/app1/")
	hint = headerValue(d.SetHeaders, "x-exeunt-assertion")
	c, d = counted(t, s.browser, "sign-out with a hint", func() Decision {
		return s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "ui_locales": {"fr"}}))
	})
	if to := location(t, d); !strings.HasPrefix(to, "https://idp.test/logout?") || c.total(factQuery) != 1 || c.total(factSession) != 1 {
		t.Errorf("sign-out with a hint: got %s, %v", to, c.phases)
	}

	// The provider's front-channel logout, from a browser that still holds a cookie.
	s.signIn("https://exeunt.test/app1/")
	c, d = counted(t, s.browser, "front-channel logout", func() Decision {
		return s.request("GET", "https://exeunt.test/signout-oidc?iss="+url.QueryEscape("https://idp.test")+"&sid=idp-sid-1")
	})
	if d.Response == nil || d.Response.Status != 200 || c.total(factQuery) != 1 || c.total(factSession) != 1 || c.total(factLanguage) != 1 {
		t.Errorf("front-channel logout: got %+v, %v", d.Response, c.phases)
	}
}

// The functions behind the request facts are called only by requestView: a flow that
// called one itself would compute its fact again.
func TestOnlyTheRequestViewComputesRequestFacts(t *testing.T) {
	behind := map[string]bool{"parseCookies": true, "openSession": true, "chooseLanguage": true, "queryOf": true, "requestOrigin": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := map[string]bool{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			if !behind[name] {
				return true
			}
			found[name] = true
			if path != "request_view.go" {
				t.Errorf("%s: %s is called outside request_view.go; ask the request view", fset.Position(call.Pos()), name)
			}
			return true
		})
	}
	if len(found) != len(behind) {
		t.Fatalf("found calls of %v only; the check no longer finds them", found)
	}
}

// Stripping a request path's query, in one place (stripQuery).
func TestStripQuery(t *testing.T) {
	for in, want := range map[string]string{"/a": "/a", "/a?b=1": "/a", "/a#f": "/a", "/a?b#c": "/a", "?x": "", "": "", "/a/?": "/a/"} {
		if got := stripQuery(in); got != want {
			t.Errorf("stripQuery(%q) = %q, want %q", in, got, want)
		}
	}
}
