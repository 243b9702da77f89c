package core

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// The endpoints Exeunt answers itself, in one table: which path is which endpoint
// (endpointAt, the one switch on paths: Classify asks it once per request and its
// Classification carries the answer to Engine.ownEndpoint; the body phase asks it
// again), which methods each answers, which method has its body read first, and what
// answers each. Engine.ownEndpoint and Engine.ownEndpointWithBody both dispatch
// through it, so the headers phase and the body phase cannot disagree, and no handler
// checks its method again (health gets only GET or HEAD, and says which it answers).
// A refused method's 405 carries Allow, written here from the same table (RFC 9110
// §15.5.6 requires it), so that it cannot disagree with what the endpoint answers.

// endpoint names one of Exeunt's own endpoints.
type endpoint uint8

const (
	noEndpoint                 endpoint = iota // not one of Exeunt's paths
	endpointHealth                             // health_path, on any host
	endpointReady                              // ready_path, on any host
	endpointDiscovery                          // paths.discovery
	endpointJWKS                               // paths.jwks
	endpointSigninChoice                       // paths.signin_choice
	endpointEndSession                         // paths.end_session
	endpointLogoutContext                      // paths.logout_context
	endpointCheckSession                       // paths.check_session (with session_management)
	endpointSignInCallback                     // a provider's callback_path
	endpointSignoutCallback                    // a provider's signout_callback_path
	endpointFrontchannelLogout                 // a provider's frontchannel_logout_path
	endpointBackchannelLogout                  // a provider's backchannel_logout_path
	endpointCount
)

// endpointAt says which own endpoint a path (without its query) is, and for a
// provider's path, whose. It does not look at the host: the health path is answered on
// every host and the others only on the issuer's (Classify checks that).
func (c *Config) endpointAt(path string) (endpoint, *Provider) {
	switch path {
	case c.healthPath:
		return endpointHealth, nil
	case c.readyPath:
		return endpointReady, nil
	case c.Paths.Discovery:
		return endpointDiscovery, nil
	case c.Paths.JWKS:
		return endpointJWKS, nil
	case c.Paths.SigninChoice:
		return endpointSigninChoice, nil
	case c.Paths.EndSession:
		return endpointEndSession, nil
	case c.Paths.LogoutContext:
		return endpointLogoutContext, nil
	case c.Paths.CheckSession:
		if c.Logout.SessionManagement {
			return endpointCheckSession, nil
		}
		return noEndpoint, nil
	}
	p, kind := c.ProviderPathFor(path)
	switch kind {
	case ProviderCallback:
		return endpointSignInCallback, p
	case ProviderSignoutCallback:
		return endpointSignoutCallback, p
	case ProviderFrontchannelLogout:
		return endpointFrontchannelLogout, p
	case ProviderBackchannelLogout:
		return endpointBackchannelLogout, p
	}
	return noEndpoint, nil
}

// ownEndpointSpec is what one endpoint answers.
type ownEndpointSpec struct {
	// methods are the methods answered; another method gets refused with 405 and an
	// Allow header listing these.
	methods []string
	// readBody is the method whose body is read before answering, by onBody ("": none).
	readBody string
	// onHeaders answers an allowed method other than readBody, from the headers alone.
	onHeaders func(e *Engine, v *requestView, p *Provider, now time.Time) Decision
	// onBody answers readBody once the body has arrived.
	onBody func(e *Engine, v *requestView, p *Provider, body []byte, now time.Time) Decision
	// refused answers another method: 405, as a page or as JSON by the endpoint's kind
	// (ownEndpoint adds Allow).
	refused func(e *Engine, v *requestView) Decision
	// tooLarge answers a body over MaxRequestBody (nil: an OAuth-style 413).
	tooLarge func(e *Engine, v *requestView) Decision
}

var (
	getOrHead = []string{"GET", "HEAD"}
	getOrPost = []string{"GET", "POST"}
	onlyGet   = []string{"GET"}
	onlyPost  = []string{"POST"}
)

// The endpoints whose GET acts (ends a session, consumes a logout context, renders the
// iframes that tell the clients) do not take HEAD: a link checker or crawler that sends
// HEAD to an app's sign-out link, a callback or a front-channel page must change nothing,
// and a HEAD's answer has no body, so the page it would claim was shown never is.
// RP-Initiated Logout 1.0 §2 names GET and POST; Front-Channel Logout 1.0 §2 has the
// provider render the page to be fetched with GET. A HEAD there is refused as any other
// method, 405 with Allow.

// ownEndpoints is the table, indexed by endpoint.
var ownEndpoints = [endpointCount]ownEndpointSpec{
	endpointHealth: {
		methods:   getOrHead,
		onHeaders: func(_ *Engine, v *requestView, _ *Provider, _ time.Time) Decision { return health(v.Method == "HEAD") },
		refused:   func(*Engine, *requestView) Decision { return healthRefused() },
	},
	endpointReady: {
		methods: getOrHead,
		onHeaders: func(e *Engine, v *requestView, _ *Provider, now time.Time) Decision {
			return e.readiness(v.Method == "HEAD", now)
		},
		refused: func(*Engine, *requestView) Decision { return healthRefused() },
	},
	endpointDiscovery: {
		// Read with GET (OpenID Connect Discovery 1.0 §4).
		methods: getOrHead,
		onHeaders: func(e *Engine, _ *requestView, _ *Provider, _ time.Time) Decision {
			return Respond(e.discoveryDocument())
		},
		refused: refusedAsJSON,
	},
	endpointJWKS: {
		methods:   getOrHead,
		onHeaders: func(e *Engine, _ *requestView, _ *Provider, _ time.Time) Decision { return Respond(e.jwksDocument()) },
		refused:   refusedAsJSON,
	},
	endpointSigninChoice: {
		methods:   getOrHead,
		onHeaders: func(e *Engine, v *requestView, _ *Provider, now time.Time) Decision { return e.signinChoice(v, now) },
		refused:   refusedAsPage,
	},
	endpointEndSession: {
		methods:  getOrPost,
		readBody: "POST",
		onHeaders: func(e *Engine, v *requestView, _ *Provider, now time.Time) Decision {
			if isSpeculativeLoad(&v.Request) { // a prefetch must not sign anyone out (speculative.go)
				return e.speculativeLoadRefused(v)
			}
			return e.endSession(v, v.queryValues(), now)
		},
		onBody: func(e *Engine, v *requestView, _ *Provider, body []byte, now time.Time) Decision {
			return e.endSessionPost(v, body, now)
		},
		refused: refusedAsPage,
		tooLarge: func(e *Engine, v *requestView) Decision {
			return e.failPage(v.language(), pageFailure(413, "body_too_large"))
		},
	},
	endpointLogoutContext: {
		methods: getOrHead,
		onHeaders: func(e *Engine, v *requestView, _ *Provider, now time.Time) Decision {
			return e.logoutContextEndpoint(v, now)
		},
		refused: func(e *Engine, _ *requestView) Decision {
			return e.failJSON(jsonFailure(405, "invalid_request", "use GET "+e.cfg.Paths.LogoutContext+"?logoutId=..."))
		},
	},
	endpointCheckSession: {
		methods: getOrHead,
		onHeaders: func(e *Engine, v *requestView, _ *Provider, now time.Time) Decision {
			return e.checkSessionEndpoint(v, now)
		},
		refused: refusedAsPage,
	},
	endpointSignInCallback: {
		methods: onlyGet,
		onHeaders: func(e *Engine, v *requestView, p *Provider, now time.Time) Decision {
			return e.signInCallback(p, v, now)
		},
		refused: func(e *Engine, v *requestView) Decision {
			return e.failPage(v.language(), pageFailure(405, "signin_callback_only").withRetry(e.cfg.IssuerOrigin+"/"))
		},
	},
	endpointSignoutCallback: {
		methods: onlyGet,
		onHeaders: func(e *Engine, v *requestView, p *Provider, now time.Time) Decision {
			return e.signoutCallback(p, v, now)
		},
		refused: refusedAsPage,
	},
	endpointFrontchannelLogout: {
		methods: onlyGet,
		onHeaders: func(e *Engine, v *requestView, p *Provider, now time.Time) Decision {
			return e.providerFrontchannelLogout(p, v, now)
		},
		refused: refusedAsPage,
	},
	endpointBackchannelLogout: {
		methods:  onlyPost,
		readBody: "POST",
		onBody: func(e *Engine, v *requestView, p *Provider, body []byte, now time.Time) Decision {
			return e.providerBackchannelLogout(p, v, body, now)
		},
		refused: func(e *Engine, _ *requestView) Decision {
			return e.failJSON(jsonFailure(405, "invalid_request", "the back-channel logout endpoint takes only POST with a logout_token form field"))
		},
	},
}

// refusedAsPage is the translated 405 page (ownEndpoint adds Allow).
func refusedAsPage(e *Engine, v *requestView) Decision {
	return e.failPage(v.language(), pageFailure(405, "method_not_allowed"))
}

// refusedAsJSON is the OAuth-style 405 of an endpoint programs read (ownEndpoint adds
// Allow).
func refusedAsJSON(e *Engine, _ *requestView) Decision {
	return e.failJSON(jsonFailure(405, "invalid_request", "method not allowed"))
}

func (s *ownEndpointSpec) allows(method string) bool {
	return slices.Contains(s.methods, method)
}

// withAllow adds the Allow header of a 405 (RFC 9110 §10.2.1, §15.5.6): the methods the
// endpoint answers, from the table. A refusal that wrote its own (health) keeps it.
func (s *ownEndpointSpec) withAllow(d Decision) Decision {
	if d.Response != nil && headerValue(d.Response.Headers, "allow") == "" {
		d.Response.Headers = append(d.Response.Headers, Header{Name: "allow", Value: strings.Join(s.methods, ", ")})
	}
	return d
}

// ownEndpoint answers the paths Exeunt serves itself: the health path (on any host) and,
// on its issuer's host, the others; Classify has checked the host and said which
// endpoint ep is (and p, whose).
func (e *Engine) ownEndpoint(v *requestView, ep endpoint, p *Provider) Decision {
	s := &ownEndpoints[ep]
	switch {
	case !s.allows(v.Method):
		return s.withAllow(s.refused(e, v))
	case v.Method == s.readBody:
		return Decision{ReadBody: true}
	}
	return s.onHeaders(e, v, p, v.now)
}

// ownEndpointWithBody answers the own endpoints that take a form body. Only requests the
// engine itself paused with ReadBody arrive here.
func (e *Engine) ownEndpointWithBody(v *requestView, body []byte, tooLarge bool) Decision {
	ep, p := e.cfg.endpointAt(v.pathOnly())
	s := &ownEndpoints[ep]
	reads := ep != noEndpoint && s.readBody != "" && v.Method == s.readBody
	switch {
	case tooLarge && reads && s.tooLarge != nil:
		return s.tooLarge(e, v)
	case tooLarge:
		return e.failJSON(jsonFailure(413, "invalid_request", "the request body is larger than "+strconv.Itoa(MaxRequestBody)+" bytes"))
	case !reads:
		return e.failJSON(jsonFailure(404, "invalid_request", "no endpoint takes a body at "+v.pathOnly()))
	}
	return s.onBody(e, v, p, body, v.now)
}
