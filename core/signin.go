package core

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/exeunt/exeunt/core/jose"
	"github.com/exeunt/exeunt/core/oidc"

	"github.com/exeunt/exeunt/core/jsonx"
)

// Sign-in: the authorization code flow with PKCE (RFC 7636, S256), state and nonce
// (OpenID Connect Core §3.1), at the chosen provider. The state, nonce, PKCE verifier,
// provider and return URL travel in a short-lived sealed cookie bound to this browser,
// named after the state so that two tabs signing in at once do not clobber each other.

const (
	flowPurpose  = "signin"
	flowLifetime = 10 * time.Minute
	idTokenSkew  = 2 * time.Minute // leeway for exp/iat of ID tokens
	tokenTimeout = 10 * time.Second
)

type flowState struct {
	_        noCompare
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Provider string `json:"idp"`
	Return   string `json:"return"`
}

func (e *Engine) flowCookieName(state string) string {
	return e.cfg.Cookie.Name + "-flow-" + state[:8]
}

// startSignIn redirects the browser to p's authorization endpoint, fetching the
// provider's metadata first when no copy is known yet. cs are the request's cookies,
// whose older sign-in flow cookies may have to go (see maxFlowCookies); lang is the
// language of the page shown if it fails.
func (e *Engine) startSignIn(p *Provider, returnURL string, cs cookies, lang string, now time.Time) Decision {
	return e.withProvider(p, now, func(v *providerView, err error) Decision {
		if err != nil {
			return e.failPage(lang, pageFailure(502, "signin_unreachable", p.DisplayName).withRetry(returnURL).
				logged(fmt.Sprintf("exeunt: provider %s: %v", p.Scheme, err)))
		}
		return e.redirectToProvider(p, v, returnURL, cs, lang, now)
	})
}

func (e *Engine) redirectToProvider(p *Provider, v *providerView, returnURL string, cs cookies, lang string, now time.Time) Decision {
	endpoints := v.endpoints(p)
	flow := flowState{State: oidc.RandomID(24), Nonce: oidc.RandomID(24), Provider: p.Scheme, Return: returnURL}
	verifier, challenge := oidc.NewPKCE()
	flow.Verifier = verifier
	payload, _ := jsonx.Marshal(&flow)
	sealed, err := e.keys.sealer.Seal(flowPurpose, payload, now, now.Add(flowLifetime))
	if err != nil {
		e.logf("exeunt: sealing the sign-in state: %v", err)
		return e.failPage(lang, pageFailure(500, "signin_internal"))
	}
	q := encodeQuery(
		"response_type", "code",
		"client_id", p.ClientID,
		"redirect_uri", e.redirectURI(p),
		"scope", p.Scope,
		"state", flow.State,
		"nonce", flow.Nonce,
		"code_challenge", challenge,
		"code_challenge_method", "S256",
	)
	sep := "?"
	if strings.Contains(endpoints.AuthorizationEndpoint, "?") {
		sep = "&"
	}
	// SameSite=Lax at least: the provider's redirect back is a cross-site top-level
	// GET, which Lax cookies accompany and Strict ones do not.
	c := e.cookie(e.flowCookieName(flow.State), sealed, int(flowLifetime/time.Second))
	if c.sameSite == string(SameSiteStrict) {
		c.sameSite = "Lax"
	}
	return Respond(&Response{Status: 302, Headers: append([]Header{
		{Name: "location", Value: endpoints.AuthorizationEndpoint + sep + q},
		{Name: "cache-control", Value: "no-store"},
		c.header(),
	}, e.evictFlowCookies(cs)...)})
}

// maxFlowCookies is how many sign-in flow cookies a browser keeps at once: one per
// sign-in in progress (tabs signing in side by side). Each unauthenticated navigation
// starts a flow, and each flow cookie lives 10 minutes, so without a bound a user who
// opens many pages signed out piles them up (40 visits made an 18 KB Cookie header,
// and enough would pass Envoy's header limit for the whole host).
const maxFlowCookies = 3

// evictFlowCookies deletes the oldest flow cookies the request carries so that, with
// the one being set, at most maxFlowCookies remain. Browsers send cookies of the same
// path oldest first (RFC 6265 §5.4, step 2), and every flow cookie has the same path,
// so the first ones in the header are the oldest. A flow whose cookie goes fails at
// its callback with "no trace of this sign-in", and the user starts again.
func (e *Engine) evictFlowCookies(cs cookies) []Header {
	prefix := e.cfg.Cookie.Name + "-flow-"
	var names []string
	for _, h := range cs {
		if h.Name != "cookie" {
			continue
		}
		for _, part := range strings.Split(h.Value, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			if strings.HasPrefix(name, prefix) && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	var out []Header
	for i := 0; i < len(names)-(maxFlowCookies-1); i++ {
		out = append(out, e.deleteCookie(names[i]))
	}
	return out
}

// flowRetryURL is where a failed sign-in's "Try again" leads: the page the sign-in was
// started for when it is on our origins (allowedReturn, as for the success redirect:
// with unowned_requests sign_in the sealed return URL names whatever Host the request
// had), else the issuer's root.
func (e *Engine) flowRetryURL(flow flowState) string {
	if flow.Return != "" && e.allowedReturn(flow.Return) {
		return flow.Return
	}
	return e.cfg.IssuerOrigin + "/"
}

func (e *Engine) redirectURI(p *Provider) string { return e.cfg.IssuerOrigin + p.CallbackPath }

// signInCallback handles the authorization response at /signin-{scheme}.
func (e *Engine) signInCallback(p *Provider, v *requestView, now time.Time) Decision {
	q, cs := v.queryValues(), v.cookies()
	state := q.Get("state")
	lang := v.language()
	fail := func(status int, reason string, args ...any) Decision {
		return e.failPage(lang, pageFailure(status, reason, args...).withRetry(e.cfg.IssuerOrigin+"/"))
	}
	if len(state) < 8 || len(state) > maxStateLength || !isBase64URL(state) {
		// Exeunt's states are 32 base64url characters; part of one names the flow
		// cookie, so nothing else may reach a Set-Cookie header.
		return fail(400, "signin_no_state")
	}
	flowName := e.flowCookieName(state)
	clearFlow := e.deleteCookie(flowName)
	fail = func(status int, reason string, args ...any) Decision {
		return e.failPage(lang, pageFailure(status, reason, args...).withRetry(e.cfg.IssuerOrigin+"/").withHeaders(clearFlow))
	}
	raw, ok := cookieValue(cs, flowName)
	if !ok {
		return fail(400, "signin_not_started")
	}
	payload, err := e.keys.sealer.Open(flowPurpose, raw, now)
	var flow flowState
	if err == nil {
		err = jsonx.Unmarshal(payload, &flow)
	}
	if err != nil || subtle.ConstantTimeCompare([]byte(flow.State), []byte(state)) != 1 || flow.Provider != p.Scheme {
		return fail(400, "signin_mismatch")
	}
	// From here the flow is this browser's: "Try again" goes back to the page the user
	// asked for (sealed by Exeunt when the sign-in started), which starts a new sign-in
	// for the same app, rather than to the issuer's root, which may be no app at all.
	retry := e.flowRetryURL(flow)
	fail = func(status int, reason string, args ...any) Decision {
		return e.failPage(lang, pageFailure(status, reason, args...).withRetry(retry).withHeaders(clearFlow))
	}
	if iss := q.Get("iss"); iss != "" && iss != p.Issuer {
		// RFC 9207: a response naming another issuer is a mix-up attack.
		return fail(400, "signin_wrong_issuer")
	}
	if code := q.Get("error"); code != "" {
		// RFC 6749 §4.1.2.1: the provider's error response. The operator reads its code
		// and description in the log; the user, what it means for them.
		e.logf("exeunt: provider %s: authorization response error=%s error_description=%s",
			p.Scheme, logQuote(code), logQuote(q.Get("error_description")))
		if q.Get("iss") != "" {
			return providerErrorPage(code, fail) // iss checked above
		}
		// RFC 9207 §2.4 is for every authorization response, errors too (§2): without
		// iss, whether this error is the provider's own depends on its metadata. The
		// state is not claimed (an error response starts nothing a replay could reuse),
		// so a forged error costs no store write.
		return e.withProvider(p, now, func(pv *providerView, err error) Decision {
			if err != nil {
				// Whether iss was required is unknown: not shown as the provider's
				// refusal, which it may not be; what happened is that it could not
				// be reached.
				e.logf("exeunt: provider %s: an error response without iss, and no metadata to say whether it must have one: %v", p.Scheme, err)
				return fail(502, "signin_unreachable", p.DisplayName)
			}
			if pv.endpoints(p).AuthorizationResponseIssParameterSupported {
				e.logf("exeunt: provider %s: error response refused: no iss, and the provider's metadata says it sends one (RFC 9207 §2.4)", p.Scheme)
				return fail(400, "signin_wrong_issuer")
			}
			return providerErrorPage(code, fail)
		})
	}
	code := q.Get("code")
	if code == "" {
		return fail(400, "signin_no_code")
	}
	// The state is single-use: a replayed callback (from history, a proxy log, an
	// attacker) is refused before anything is sent to the provider.
	return e.ports.claims.claim(claimSignInState, state, now.Add(flowLifetime), now, func(fresh bool, err error) Decision {
		if err != nil {
			// Whether this state was used is unknown (the store did not answer): no
			// session, and no claim that it was replayed. The flow cookie stays, so
			// reloading the callback once the store is back can still complete it.
			e.logf("exeunt: sign-in: the store cannot say whether this sign-in's state was used: %v", err)
			return e.failPage(lang, storeUnavailableFailure("signin_unavailable").withRetry(retry))
		}
		if !fresh {
			return fail(400, "signin_replayed")
		}
		return e.withProvider(p, now, func(pv *providerView, err error) Decision {
			if err != nil {
				e.logf("exeunt: provider %s: %v", p.Scheme, err)
				return fail(502, "signin_unreachable", p.DisplayName)
			}
			if q.Get("iss") == "" && pv.endpoints(p).AuthorizationResponseIssParameterSupported {
				// RFC 9207 §2.4: this provider names itself in every authorization
				// response, so one without iss is not its own (a mix-up): refused
				// before the code goes anywhere.
				return fail(400, "signin_wrong_issuer")
			}
			// The live session this browser holds, if any: the new one replaces it
			// (session_replaced.go).
			var replaced *session
			if old, _, err := v.session(); err == nil {
				o := *old
				replaced = &o
			}
			return Decision{Call: e.exchangeCode(p, pv, flow, code, clearFlow, cs, replaced, lang, now)}
		})
	})
}

// providerErrorPage is the page for a provider's error response with error code code
// (RFC 6749 §4.1.2.1), once the response is known to be the provider's.
func providerErrorPage(code string, fail func(status int, reason string, args ...any) Decision) Decision {
	switch code {
	case "access_denied":
		return fail(403, "signin_denied")
	case "server_error", "temporarily_unavailable":
		// The provider failed (its 500 and 503); it did not refuse this user.
		return fail(502, "provider_unavailable")
	}
	return fail(403, "signin_provider_error")
}

// exchangeCode redeems the code at the token endpoint (RFC 6749 §4.1.3 with the PKCE
// verifier) and, with the ID token it returns, creates the session. lang is the
// language of the pages shown when it fails.
func (e *Engine) exchangeCode(p *Provider, v *providerView, flow flowState, code string, clearFlow Header, cs cookies, replaced *session, lang string, now time.Time) *Call {
	tokenURL := v.endpoints(p).TokenEndpoint
	u, _ := url.Parse(tokenURL)
	form := []string{
		"grant_type", "authorization_code",
		"code", code,
		"redirect_uri", e.redirectURI(p),
		"code_verifier", flow.Verifier,
	}
	headers := []Header{{Name: "content-type", Value: "application/x-www-form-urlencoded"}, {Name: "accept", Value: "application/json"}}
	if p.ClientSecret != "" {
		// client_secret_basic: both parts form-encoded first (RFC 6749 §2.3.1).
		cred := url.QueryEscape(p.ClientID) + ":" + url.QueryEscape(p.ClientSecret)
		headers = append(headers, Header{Name: "authorization", Value: "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))})
	} else {
		form = append(form, "client_id", p.ClientID)
	}
	fail := func(status int, reason string, args ...any) Decision {
		return e.failPage(lang, pageFailure(status, reason, args...).withRetry(e.flowRetryURL(flow)).withHeaders(clearFlow))
	}
	return &Call{Cluster: p.Cluster, Method: "POST", Path: u.RequestURI(), Authority: u.Host, Headers: headers,
		Body: []byte(encodeQuery(form...)), Timeout: tokenTimeout, Then: func(r CallResult) Decision {
			switch {
			case r.Status == 0:
				e.logf("exeunt: provider %s: token endpoint %s did not answer", p.Scheme, tokenURL)
				return fail(504, "signin_timeout", p.DisplayName)
			case r.Status != 200:
				oauthError := stringMember(r.Body, "error")
				if check := tokenRefusalOfExeunt(r.Status, oauthError); check != "" {
					// RFC 6749 §5.2: the provider refuses Exeunt itself, not this sign-in;
					// starting again fails the same way until the configuration changes.
					e.logf("exeunt: provider %s: token endpoint answered HTTP %d error=%s: the provider refuses Exeunt's own registration, so no sign-in can complete; %s", p.Scheme, r.Status, logQuote(oauthError), check)
					return fail(502, "signin_misconfigured")
				}
				e.logf("exeunt: provider %s: token endpoint answered HTTP %d error=%s", p.Scheme, r.Status, logQuote(oauthError))
				if r.Status < 400 || r.Status >= 500 {
					// The provider failed (a 5xx, or an answer a token endpoint never
					// gives): it did not refuse this sign-in, it could not do it now.
					return e.failPage(lang, pageFailure(502, "provider_unavailable").withHeaders(clearFlow))
				}
				return fail(400, "signin_token_refused")
			}
			idToken, err := stringMemberStrict(r.Body, "id_token")
			if err != nil || idToken == "" {
				e.logf("exeunt: provider %s: token response without an id_token", p.Scheme)
				return fail(502, "signin_bad_answer")
			}
			return e.finishSignIn(p, flow, idToken, clearFlow, cs, replaced, lang, now)
		}}
}

// finishSignIn validates the ID token and starts the session. When the token is
// signed with a key the cached JWKS lacks (the provider rotated its keys), the JWKS is
// fetched once more before giving up (verifyProviderToken).
func (e *Engine) finishSignIn(p *Provider, flow flowState, rawIDToken string, clearFlow Header, cs cookies, replaced *session, lang string, now time.Time) Decision {
	verifier := oidc.IDTokenVerifier{Issuer: p.Issuer, ClientID: p.ClientID, Algorithms: p.IDTokenAlgorithms, Leeway: idTokenSkew}
	var tok *oidc.IDToken
	return e.verifyProviderToken(p, now, func(keys *jose.JSONWebKeySet) (err error) {
		tok, err = verifier.Verify(rawIDToken, keys, flow.Nonce, now)
		return err
	}, func(err error) Decision {
		if err == nil {
			err = headerSafeClaims(tok)
		}
		if err != nil {
			return e.failPage(lang, pageFailure(400, "signin_unverified").withRetry(e.flowRetryURL(flow)).withHeaders(clearFlow).
				logged(fmt.Sprintf("exeunt: provider %s: ID token rejected: %v", p.Scheme, err)))
		}
		return e.startSession(p, flow, tok, rawIDToken, clearFlow, cs, replaced, lang, now)
	})
}

// startSession starts the session of a verified sign-in and sends the browser back.
func (e *Engine) startSession(p *Provider, flow flowState, tok *oidc.IDToken, rawIDToken string, clearFlow Header, cs cookies, replaced *session, lang string, now time.Time) Decision {

	// name and email lose the spaces and tabs at their ends (sub with any is refused,
	// headerSafeClaims): no header value may have them (RFC 9110 §5.5), the name is for
	// display, and white space around an address is no part of it (RFC 5322 §3.2.2).
	// Trimmed here, the session, the headers and the assertions all say the same.
	s := &session{SID: oidc.RandomID(24), Sub: tok.Subject, IdP: p.Scheme, Iss: tok.Issuer, PSID: tok.SID,
		IDToken: rawIDToken, Email: strings.Trim(tok.Email, " \t"), EmailVerified: tok.EmailVerified, Name: strings.Trim(tok.Name, " \t"),
		Created: now.Unix(), Seen: now.Unix(),
		Expires: now.Add(e.cfg.Session.AbsoluteLifetime).Unix()}
	s.AuthTime = s.Created
	// Made in the second the local store began: stamped with the next, which is this
	// process's alone (store_local_since.go).
	s.Created = max(s.Created, e.storeSince+1)
	if !tok.AuthTime.IsZero() {
		s.AuthTime = tok.AuthTime.Unix()
	}
	_, oldChunks, _ := joinCookie(cs, e.cfg.Cookie.Name)
	cookies, err := e.sessionCookies(s, now, oldChunks)
	if errors.Is(err, errSessionTooLarge) && s.IDToken != "" {
		// The provider's ID token is kept only for id_token_hint at sign-out; without it
		// the sign-out there names the client instead (redirectToProviderLogout).
		e.logf("exeunt: sign-in at provider %s: its ID token (%d bytes) makes the session too large for its cookies; kept without it (sign-out at the provider will send client_id only)", p.Scheme, len(s.IDToken))
		s.IDToken = ""
		cookies, err = e.sessionCookies(s, now, oldChunks)
	}
	if errors.Is(err, errSessionTooLarge) {
		e.logf("exeunt: sign-in at provider %s refused: %v (its claims are too large)", p.Scheme, err)
		return e.failPage(lang, pageFailure(502, "signin_bad_answer").withHeaders(clearFlow))
	}
	if err != nil {
		e.logf("exeunt: sealing the session: %v", err)
		return e.failPage(lang, pageFailure(500, "signin_internal"))
	}
	// Whether the provider ended this provider session already, read once before anything
	// is ended for the new session (the session this browser held, the user's oldest under
	// session.max_per_user): a logout that came while the browser was on its way back, the
	// common case of the race, refuses the sign-in here and changes nothing. The read after
	// the index write (indexNewSession) closes the rest of the window.
	return e.providerSessionEnded(s, tok.IssuedAt, now, func(ended bool, err error) Decision {
		if err != nil || ended {
			return e.refuseEndedProviderSession(p, flow, s, err, clearFlow, lang)
		}
		if replaced != nil {
			return e.endReplaced(p, flow, replaced, s, tok.IssuedAt, cookies, clearFlow, lang, now)
		}
		return e.limitAndIndex(p, flow, s, tok.IssuedAt, cookies, clearFlow, lang, now, 1)
	})
}

// refuseEndedProviderSession is the page of a sign-in refused because its provider
// session was marked ended (err nil) or the mark could not be read (err), logged.
func (e *Engine) refuseEndedProviderSession(p *Provider, flow flowState, s *session, err error, clearFlow Header, lang string) Decision {
	if err != nil {
		e.logf("exeunt: sign-in sid=%s at provider %s refused: cannot check that the provider did not end its session meanwhile: %v", s.SID, p.Scheme, err)
		return e.failPage(lang, storeUnavailableFailure("signin_unavailable").withRetry(e.flowRetryURL(flow)).withHeaders(clearFlow))
	}
	e.logf("exeunt: sign-in sid=%s at provider %s refused: its provider session was ended by the provider's logout while the sign-in was under way", s.SID, p.Scheme)
	return e.failPage(lang, pageFailure(400, "signin_unverified").withRetry(e.flowRetryURL(flow)).withHeaders(clearFlow))
}

// limitAndIndex keeps the user within session.max_per_user (limitSessions), then
// indexes s (indexNewSession); issuedAt is the ID token's iat. round counts the tries: a
// sign-in of the same user indexed in between makes the count stale, and the user's
// sessions are counted again, at most maxLimitRounds times.
func (e *Engine) limitAndIndex(p *Provider, flow flowState, s *session, issuedAt time.Time, cookies []Header, clearFlow Header, lang string, now time.Time, round int) Decision {
	return e.limitSessions(s, now, func(seen *userRead, err error) Decision {
		if err != nil {
			// Fail closed: the limit is what bounds a user's sessions in the index. The
			// code is spent: "Try again" starts a new sign-in.
			e.logf("exeunt: sign-in at provider %s refused: %v", p.Scheme, err)
			return e.failPage(lang, storeUnavailableFailure("signin_unavailable").withRetry(e.flowRetryURL(flow)).withHeaders(clearFlow))
		}
		return e.indexNewSession(p, flow, s, seen, issuedAt, cookies, clearFlow, lang, now, round)
	})
}

// indexNewSession records s in the index and, once it is there and its provider session
// was not ended meanwhile (signin_ended_provider_session.go), sends the browser back with
// its cookies. issuedAt is the ID token's iat.
func (e *Engine) indexNewSession(p *Provider, flow flowState, s *session, seen *userRead, issuedAt time.Time, cookies []Header, clearFlow Header, lang string, now time.Time, round int) Decision {
	return e.indexSession(s, seen, now, func(err error) Decision {
		if errors.Is(err, errUserChanged) && round < maxLimitRounds {
			return e.limitAndIndex(p, flow, s, issuedAt, cookies, clearFlow, lang, now, round+1)
		}
		if errors.Is(err, errUserChanged) {
			// Sign-ins of this user keep racing: refused as a store that did not answer
			// is (503, "try again"), since its session was not indexed, but the page says
			// what happened: the store answered every time.
			e.logf("exeunt: sign-in at provider %s refused: other sign-ins of the same user were indexed each time its sessions were counted (%d times), so session.max_per_user could not be kept", p.Scheme, round)
			f := storeUnavailableFailure("signin_busy")
			f.description = "other sign-ins of the same user were completed each time this one counted the user's sessions; try again"
			return e.failPage(lang, f.withRetry(e.flowRetryURL(flow)).withHeaders(clearFlow))
		}
		if err != nil {
			// Fail closed: a session the index lacks would outlive the provider's
			// sign-out (indexSession). The code is spent and so is the flow: "Try
			// again" starts a new sign-in, which the provider's session makes quick.
			e.logf("exeunt: sign-in at provider %s refused: the session index did not take the new session, so a sign-out at the provider could not end it: %v", p.Scheme, err)
			return e.failPage(lang, storeUnavailableFailure("signin_unavailable").withRetry(e.flowRetryURL(flow)).withHeaders(clearFlow))
		}
		return e.providerSessionEnded(s, issuedAt, now, func(ended bool, err error) Decision {
			if err != nil || ended {
				// No cookie leaves: the session recorded is held by nobody. Its record and
				// its index links go, so that it counts toward no limit and no later logout
				// finds it (on the local store unlink does nothing: a list drops a member
				// only once its record is gone, so the record must go first).
				d := e.refuseEndedProviderSession(p, flow, s, err, clearFlow, lang)
				return e.ports.sessions.forget(s.SID, now, func(err error) Decision {
					if err != nil {
						e.logf("exeunt: sid=%s, refused at sign-in: its index record stays until it expires, held by no browser: %v", s.SID, err)
					}
					return e.ports.sessions.unlink(recordOf(s), now, func(err error) Decision {
						if err != nil {
							e.logf("exeunt: sid=%s, refused at sign-in: its index links stay until they expire: %v", s.SID, err)
						}
						return d
					})
				})
			}
			e.logf("exeunt: signed in sid=%s idp=%s", s.SID, p.Scheme)
			target := flow.Return
			if !e.allowedReturn(target) {
				target = e.cfg.IssuerOrigin + "/"
			}
			headers := append(append([]Header{{Name: "location", Value: target}, {Name: "cache-control", Value: "no-store"}, clearFlow}, cookies...), e.setBrowserState(s, now)...)
			return Respond(&Response{Status: 302, Headers: headers})
		})
	})
}

// allowedReturn accepts only URLs on our own origins: the issuer's, or a host of a
// configured client, so that a crafted sign-in can never bounce the user elsewhere.
func (e *Engine) allowedReturn(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	if origin(u) == e.cfg.IssuerOrigin {
		return true
	}
	return e.cfg.ClientFor(u.Host, u.EscapedPath()) != nil && (u.Scheme == "https" || !e.cfg.Cookie.Secure)
}

func queryOf(path string) url.Values {
	_, q, _ := strings.Cut(path, "?")
	v, _ := url.ParseQuery(q)
	return v
}

// maxStateLength bounds the state of an authorization response (Exeunt's own are 32
// characters).
const maxStateLength = 128

// isBase64URL reports whether s holds only base64url characters (RFC 4648 §5).
func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// tokenRefusalOfExeunt tells, for a token endpoint's error answer, whether the provider
// refused Exeunt's client rather than this one sign-in (RFC 6749 §5.2), and then what
// to check; "" otherwise (invalid_grant: a code expired or already used, which a new
// start fixes).
func tokenRefusalOfExeunt(status int, code string) string {
	switch {
	case code == "invalid_client" || status == 401:
		return "check this provider's client_id and client_secret against Exeunt's registration at the provider"
	case code == "unauthorized_client" || code == "unsupported_grant_type":
		return "Exeunt's registration at the provider (its client_id) must allow the authorization code grant"
	case code == "invalid_scope":
		return "check this provider's scopes: the provider does not grant one of them to Exeunt's client"
	}
	return ""
}
