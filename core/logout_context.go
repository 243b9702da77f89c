package core

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
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
	Prompt      bool     `json:"prompt,omitempty"`  // the user must confirm first
	SignedOut   bool     `json:"signed_out,omitempty"`
	Expires     int64    `json:"exp"`
}

const logoutPurpose = "logout"

// logoutContexts keeps contexts server-side when their protected form is too long for
// a URL (or when configured so); the logoutId is then "s" and an opaque random id.
//
// Stored contexts are bounded, in total and per session, so that no flood of logout
// requests can grow the store without limit: each of the 256 buckets holds at most
// maxContextBucketBytes (4 MiB in all; a context is at most about 5 KB, its parameters
// being limited, limits.go), dropping its oldest contexts first, and a session keeps
// at most maxContextsPerSession stored contexts, its oldest dropped first. A dropped
// context's logoutId then gets the "link expired" page, never another's context.
var (
	logoutContexts = func() expiringMap {
		m := newExpiringMap("exeunt/logout/", 256)
		m.maxBucketBytes = maxContextBucketBytes
		return m
	}()
	// contextsBySID lists each session's stored contexts (ids separated by spaces),
	// bounded like the contexts themselves (a dropped list only loosens the per-session
	// bound for that session; the total bound holds).
	contextsBySID = func() expiringMap {
		m := newExpiringMap("exeunt/logout-sid/", 256)
		m.maxBucketBytes = 8 << 10
		return m
	}()
)

const (
	maxContextBucketBytes = 16 << 10
	maxContextsPerSession = 4
)

// inForm is encodeLogoutID's urlLen for a logoutId that travels in a form field, not a
// URL: its protected form is kept whatever its length (a form body takes 64 KiB), so
// that showing a prompt never writes to the store in the "auto" storage mode.
const inForm = -1

// storedIDPrefix marks a logoutId that names a stored context. A protected one is a
// compact JWE, which always starts with "ey".
const storedIDPrefix = "s"

// encodeLogoutID returns the logoutId for ctx. urlLen is the length of the longest URL
// that will carry it, without it: when the protected form would push that URL past the
// configured limit (or when contexts are configured to live in the store), the context
// is stored and the logoutId is a short opaque id.
func (e *Engine) encodeLogoutID(ctx *logoutContext, urlLen int, now time.Time) (string, error) {
	if ctx.Expires == 0 {
		ctx.Expires = now.Add(e.cfg.Logout.ContextLifetime).Unix()
	}
	payload, err := json.Marshal(ctx)
	if err != nil {
		return "", err
	}
	if e.cfg.Logout.ContextStorage != "store" {
		sealed, err := e.keys.sealer.Seal(logoutPurpose, payload, now, time.Unix(ctx.Expires, 0))
		if err != nil {
			return "", err
		}
		// The logoutId appears query-escaped; a compact JWE is URL-safe already.
		if urlLen == inForm || urlLen+len(sealed) <= e.cfg.Logout.MaxURLLength {
			return sealed, nil
		}
	}
	id := storedIDPrefix + oidc.RandomID(22)
	until := time.Unix(ctx.Expires, 0)
	if err := logoutContexts.put(e.store, id, string(payload), until, now); err != nil {
		return "", err
	}
	if ctx.SID != "" {
		e.boundSessionContexts(ctx.SID, id, until, now)
	}
	return id, nil
}

// boundSessionContexts records id among the stored contexts of session sid and drops
// that session's oldest ones past maxContextsPerSession. A failure here leaves one
// more context than the bound until it expires, which is logged, not fatal: the context
// itself was stored.
func (e *Engine) boundSessionContexts(sid, id string, until, now time.Time) {
	var evict []string
	err := contextsBySID.update(e.store, sid, now, func(old string, _ bool) mapUpdate {
		ids := strings.Fields(old)
		ids = append(ids, id)
		evict = nil
		if n := len(ids) - maxContextsPerSession; n > 0 {
			evict, ids = ids[:n], ids[n:]
		}
		return mapUpdate{value: strings.Join(ids, " "), until: until}
	})
	if err != nil {
		e.logf("exeunt: logout context: cannot bound the contexts of sid=%s: %v", sid, err)
		return
	}
	for _, old := range evict {
		if err := logoutContexts.update(e.store, old, now, func(string, bool) mapUpdate { return mapUpdate{delete: true} }); err != nil {
			e.logf("exeunt: logout context: cannot drop an old context of sid=%s: %v", sid, err)
		}
	}
}

var errContextInvalid = errors.New("the logout context is expired, altered or unknown")

// decodeLogoutID restores a context from its logoutId. Anything wrong (expired,
// tampered, unknown, sealed for another purpose) is errContextInvalid: the caller shows
// the error page and redirects nowhere.
func (e *Engine) decodeLogoutID(id string, now time.Time) (*logoutContext, error) {
	var payload []byte
	switch {
	case id == "":
		return nil, errContextInvalid
	case strings.HasPrefix(id, storedIDPrefix) && !strings.Contains(id, "."):
		raw, ok, err := logoutContexts.get(e.store, id, now)
		if err != nil || !ok {
			return nil, errContextInvalid
		}
		payload = []byte(raw)
	default:
		p, err := e.keys.sealer.Open(logoutPurpose, id, now)
		if err != nil {
			return nil, errContextInvalid
		}
		payload = p
	}
	var ctx logoutContext
	if err := json.Unmarshal(payload, &ctx); err != nil || ctx.ID == "" || now.Unix() >= ctx.Expires {
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
