package core

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// expectedEndpoint is what the test expects of one own endpoint, written out here
// rather than read from the table: its path in cfg, the provider it belongs to, the
// methods it answers (nil: any) and the method whose body it reads.
type expectedEndpoint struct {
	path     string
	provider *Provider
	methods  []string
	readBody string
}

func expectedEndpoints(cfg *Config) map[endpoint]expectedEndpoint {
	p := cfg.Providers[0]
	getHead := []string{"GET", "HEAD"}
	return map[endpoint]expectedEndpoint{
		endpointHealth:             {cfg.HealthPath(), nil, getHead, ""},
		endpointReady:              {cfg.ReadyPath(), nil, getHead, ""},
		endpointDiscovery:          {cfg.Paths.Discovery, nil, getHead, ""},
		endpointJWKS:               {cfg.Paths.JWKS, nil, getHead, ""},
		endpointSigninChoice:       {cfg.Paths.SigninChoice, nil, getHead, ""},
		endpointEndSession:         {cfg.Paths.EndSession, nil, []string{"GET", "POST"}, "POST"},
		endpointLogoutContext:      {cfg.Paths.LogoutContext, nil, getHead, ""},
		endpointCheckSession:       {cfg.Paths.CheckSession, nil, getHead, ""},
		endpointSignInCallback:     {p.CallbackPath, p, []string{"GET"}, ""},
		endpointSignoutCallback:    {p.SignoutCallbackPath, p, []string{"GET"}, ""},
		endpointFrontchannelLogout: {p.FrontchannelLogoutPath, p, []string{"GET"}, ""},
		endpointBackchannelLogout:  {p.BackchannelLogoutPath, p, []string{"POST"}, "POST"},
	}
}

// The one table decides, for every own endpoint, what Classify, the headers phase and
// the body phase do: each method is refused with 405, has its body read, or is
// answered, exactly as the table says. A 405 names every method the endpoint answers
// in Allow (RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in
// a 405 response"), HEAD included where GET only reads (not where it acts: the end
// session endpoint, the sign-out callback and the front-channel pages); and no endpoint answers every method
// (the discovery document and the JWKS are read with GET, OpenID Connect Discovery 1.0
// §4, RFC 7517 §5).
func TestOwnEndpointTable(t *testing.T) {
	s := newSessionManagementEnv(t)
	e, cfg := s.e, s.e.cfg
	paths := expectedEndpoints(cfg)
	if len(paths) != int(endpointCount)-1 {
		t.Fatalf("the test knows %d endpoints, the table has %d", len(paths), endpointCount-1)
	}
	now := time.Now()
	for ep := noEndpoint + 1; ep < endpointCount; ep++ {
		want := paths[ep]
		spec := &ownEndpoints[ep]
		if !slices.Equal(spec.methods, want.methods) || spec.readBody != want.readBody {
			t.Errorf("%s: the table says methods %q, body on %q; want %q, %q", want.path, spec.methods, spec.readBody, want.methods, want.readBody)
		}
		allows := func(m string) bool { return want.methods == nil || slices.Contains(want.methods, m) }
		if got, p := cfg.endpointAt(want.path); got != ep || p != want.provider {
			t.Errorf("endpointAt(%q) = %d, %v; want %d", want.path, got, p, ep)
		}
		if c := cfg.Classify(Request{Method: "GET", Scheme: "https", Authority: "exeunt.test", Path: want.path + "?x=1"}); c.Class != ClassOwnEndpoint {
			t.Errorf("%s: classified %s, want own endpoint", want.path, c.Class)
		}
		// The entry is complete: a handler for every allowed method, a refusal when
		// some method is refused, a body handler exactly when a body is read.
		if spec.methods != nil && spec.refused == nil {
			t.Errorf("%s: refuses methods but has no refusal", want.path)
		}
		if (spec.readBody != "") != (spec.onBody != nil) || (spec.readBody != "" && !spec.allows(spec.readBody)) {
			t.Errorf("%s: readBody %q and onBody disagree", want.path, spec.readBody)
		}
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"} {
			r := Request{Method: m, Scheme: "https", Authority: "exeunt.test", Path: want.path, Headers: []Header{{Name: "accept-language", Value: "en"}}}
			d := e.OnRequestHeaders(r, now)
			switch {
			case !allows(m):
				if d.Response == nil || d.Response.Status != 405 {
					t.Errorf("%s %s: %+v, want 405", m, want.path, d)
				} else if got, wantAllow := headerValues(d.Response.Headers, "allow"), strings.Join(want.methods, ", "); len(got) != 1 || got[0] != wantAllow {
					t.Errorf("%s %s: 405 with Allow %q, want exactly %q", m, want.path, got, wantAllow)
				}
			case m == want.readBody:
				if !d.ReadBody {
					t.Errorf("%s %s: %+v, want the body read", m, want.path, d)
				}
				if b := e.OnRequestBody(r, nil, true, now); b.Response == nil || b.Response.Status != 413 {
					t.Errorf("%s %s with a body too large: %+v, want 413", m, want.path, b)
				}
			default:
				if spec.onHeaders == nil {
					t.Errorf("%s %s: allowed, but nothing answers it", m, want.path)
				} else if d.ReadBody || d.Continues() || (d.Response != nil && d.Response.Status == 405) {
					t.Errorf("%s %s: %+v, want an answer", m, want.path, d)
				}
				if b := e.OnRequestBody(r, []byte("a=1"), false, now); b.Response == nil || b.Response.Status != 404 {
					t.Errorf("%s %s: a body where none is read: %+v, want 404", m, want.path, b)
				}
			}
		}
	}
	for _, path := range []string{"/", "/app1/", cfg.Paths.EndSession + "/more"} {
		if ep, _ := cfg.endpointAt(path); ep != noEndpoint {
			t.Errorf("endpointAt(%q) = %d, want none", path, ep)
		}
	}
}

// Without session management, the check_session path is nobody's endpoint.
func TestCheckSessionIsAnEndpointOnlyWithSessionManagement(t *testing.T) {
	cfg := newSignoutEnv(t, nil).e.cfg
	if ep, _ := cfg.endpointAt(cfg.Paths.CheckSession); ep != noEndpoint {
		t.Fatalf("endpointAt(check_session) = %d without session management, want none", ep)
	}
	if c := cfg.Classify(Request{Method: "GET", Scheme: "https", Authority: "exeunt.test", Path: cfg.Paths.CheckSession}); c.Class == ClassOwnEndpoint {
		t.Fatalf("check_session classified as an own endpoint without session management")
	}
}
