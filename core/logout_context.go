package core

import (
	"errors"
	"strings"
	"time"

	"github.com/exeunt/exeunt/core/oidc"

	"github.com/exeunt/exeunt/core/jsonx"
)

// logoutContext is everything the pages after a logout request need, carried across
// the redirects to the provider and back: IdentityServer's sign-out message, whose
// handle is the logoutId. It is created by the end session endpoint once the request
// is validated (or by a plain "sign out" link, which has no parameters at all).
type logoutContext struct {
	ID          string   `json:"id"`                     // random; binds the prompt's anti-forgery token
	ClientID    string   `json:"client_id,omitempty"`    // the client that asked, when established
	RedirectURI string   `json:"redirect_uri,omitempty"` // validated post_logout_redirect_uri
	State       string   `json:"state,omitempty"`
	UILocales   string   `json:"ui_locales,omitempty"`
	LogoutHint  string   `json:"logout_hint,omitempty"`
	SID         string   `json:"sid,omitempty"` // the edge session to end (or that ended)
	Sub         string   `json:"sub,omitempty"`
	IdP         string   `json:"idp,omitempty"`
	Clients     []string `json:"clients,omitempty"` // the clients the session visited
	// HintSID: of two or more sessions the browser held at an end session request, the
	// one its verified id_token_hint named, ended first; it authorizes and chooses
	// nothing else (the planter holds her own hint: signout_all.go).
	HintSID string `json:"hint_sid,omitempty"`
	// OtherVisits: the other sessions one sign-out ended with SID's, as pairs of a sid
	// and a client it visited, for their front-channel iframes.
	OtherVisits []string `json:"other_visits,omitempty"`
	Prompt      bool     `json:"prompt,omitempty"` // the user must confirm first
	SignedOut   bool     `json:"signed_out,omitempty"`
	Expires     int64    `json:"exp"`

	// hinted: ClientID came with a verified id_token_hint of the browser's session (its
	// one valid session), an assertion Exeunt gave that client for it, so the prompt
	// may say the client asked. A bare client_id is a parameter anyone writes into a
	// link, and so is a hint of another session (anyone signed in to the app has one of
	// his own, and it is verified without its expiry). Not kept in the logoutId: only
	// the prompt reads it.
	hinted bool
}

const logoutPurpose = "logout"

// Contexts are kept server-side (the logoutContextStore port) when their protected
// form is too long for a URL (or when configured so); the logoutId is then "s" and an
// opaque random id. Stored contexts are bounded, in total and per session, so that no
// flood of logout requests can grow the store without limit: a session keeps at most
// maxContextsPerSession stored contexts, its oldest dropped first. A dropped context's
// logoutId then gets the "link expired" page, never another's context.

const maxContextsPerSession = 4

// inForm is encodeLogoutID's urlLen for a logoutId that travels in a form field, not a
// URL: its protected form is kept whatever its length (a form body takes 64 KiB), so
// that showing a prompt never writes to the store in the "auto" storage mode.
const inForm = -1

// storedIDPrefix marks a logoutId that names a stored context. A protected one is a
// compact JWE, which always starts with "ey".
const storedIDPrefix = "s"

// encodeLogoutID makes the logoutId for ctx and goes on with then. urlLen is the length
// of the longest URL that will carry it, without it: when the protected form would push
// that URL past the configured limit, or would not fit the logoutId cookie that goes
// with the URL (or when contexts are configured to live in the store), the context is
// stored and the logoutId is a short opaque id.
func (e *Engine) encodeLogoutID(ctx *logoutContext, urlLen int, now time.Time, then func(id string, err error) Decision) Decision {
	if ctx.Expires == 0 {
		ctx.Expires = now.Add(e.cfg.Logout.ContextLifetime).Unix()
	}
	payload, err := jsonx.Marshal(ctx)
	if err != nil {
		return then("", err)
	}
	if e.cfg.Logout.ContextStorage != "store" {
		sealed, err := e.keys.sealer.Seal(logoutPurpose, payload, now, time.Unix(ctx.Expires, 0))
		if err != nil {
			return then("", err)
		}
		// The logoutId appears query-escaped; a compact JWE is URL-safe already. One
		// that travels in a URL also rides in the logoutId cookie (signout.go), which
		// browsers drop past 4096 bytes (RFC 6265 §6.1): a max_url_length over about
		// 4 KB must not let a context into the URL that the cookie cannot carry.
		if urlLen == inForm || urlLen+len(sealed) <= e.cfg.Logout.MaxURLLength && len(sealed) <= maxCookieChunk {
			return then(sealed, nil)
		}
	}
	id := storedIDPrefix + oidc.RandomID(22)
	return e.ports.contexts.save(id, ctx.SID, payload, time.Unix(ctx.Expires, 0), now, func(err error) Decision {
		var bound *boundError
		if errors.As(err, &bound) {
			// Stored, but one more than the per-session bound until it expires.
			e.logf("exeunt: logout context: %v", err)
			err = nil
		}
		if err != nil {
			return then("", err)
		}
		return then(id, nil)
	})
}

var errContextInvalid = errors.New("the logout context is expired, altered or unknown")

// decodeLogoutID restores a context from its logoutId and goes on with then. Anything
// wrong (expired, tampered, unknown, sealed for another purpose, a store that cannot
// answer) is errContextInvalid: the caller shows the error page and redirects nowhere.
func (e *Engine) decodeLogoutID(id string, now time.Time, then func(*logoutContext, error) Decision) Decision {
	switch {
	case id == "":
		return then(nil, errContextInvalid)
	case strings.HasPrefix(id, storedIDPrefix) && !strings.Contains(id, "."):
		return e.ports.contexts.load(id, now, func(payload []byte, found bool, err error) Decision {
			if err != nil || !found {
				return then(nil, errContextInvalid)
			}
			return then(e.openLogoutContext(payload, now))
		})
	}
	payload, err := e.keys.sealer.Open(logoutPurpose, id, now)
	if err != nil {
		return then(nil, errContextInvalid)
	}
	return then(e.openLogoutContext(payload, now))
}

// openLogoutContext parses and checks a context's payload.
func (e *Engine) openLogoutContext(payload []byte, now time.Time) (*logoutContext, error) {
	var ctx logoutContext
	if err := jsonx.Unmarshal(payload, &ctx); err != nil || ctx.ID == "" || now.Unix() >= ctx.Expires {
		return nil, errContextInvalid
	}
	// A context is only ever created after its client and redirect URI were validated;
	// check again, so that a configuration change in between cannot turn an old context
	// into an open redirect.
	if ctx.RedirectURI != "" {
		c := e.cfg.Client(ctx.ClientID)
		if c == nil || !c.AllowsPostLogoutRedirectURI(ctx.RedirectURI) {
			return nil, errContextInvalid
		}
	}
	return &ctx, nil
}
