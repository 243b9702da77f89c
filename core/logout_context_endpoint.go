package core

import (
	"crypto/subtle"
	"time"

	"github.com/exeunt/exeunt/core/jsonx"
)

// logoutContextEndpoint returns the logout context of a logoutId as JSON: the
// equivalent of IdentityServer's GetLogoutContextAsync, for teams that build their own
// logout pages. It tells what the page should show (the prompt, or the signed-out state
// with the front-channel iframes and the way back to the app), never who the user is.
func (e *Engine) logoutContextEndpoint(v *requestView, now time.Time) Decision {
	q := v.queryValues()
	id := q.Get("logoutId")
	if id == "" {
		id = q.Get("logout_id")
	}
	if id == "" {
		return e.failJSON(jsonFailure(400, "invalid_request", "the logoutId query parameter is missing"))
	}
	return e.decodeLogoutID(id, now, func(ctx *logoutContext, err error) Decision {
		if err != nil {
			return e.failJSON(jsonFailure(404, "invalid_request", "no valid logout context for this logoutId: it expired, was altered or never existed"))
		}
		return e.logoutContextOf(v, id, ctx, now)
	})
}

// logoutContextOf answers logoutContextEndpoint once the context is known.
func (e *Engine) logoutContextOf(v *requestView, id string, ctx *logoutContext, now time.Time) Decision {
	// Anyone may hold a logoutId: it travels in the provider's URLs (state) and logs.
	// What only the user's own pages may learn (the app's state and way back, the
	// front-channel URLs with the edge sid) comes only to the browser the context
	// belongs to: the one holding the logoutId cookie Exeunt set with it, or the live
	// session it names.
	own := e.ownsLogoutContext(v, id, ctx, now)
	out := logoutContextAnswer{ClientID: ctx.ClientID, UILocales: ctx.UILocales,
		ShowSignoutPrompt: ctx.Prompt, SignedOut: ctx.SignedOut, FrontchannelLogout: []contextFrame{}, Expires: ctx.Expires, Withheld: !own}
	if c := e.cfg.Client(ctx.ClientID); c != nil {
		out.ClientName = c.Name
	}
	if own {
		out.PostLogoutRedirectURI, out.State = ctx.RedirectURI, ctx.State
	}
	if ctx.SignedOut && own {
		for _, id := range ctx.Clients {
			if c := e.cfg.Client(id); c != nil && c.FrontchannelLogoutURI != "" {
				out.FrontchannelLogout = append(out.FrontchannelLogout, contextFrame{ClientID: c.ClientID, URL: e.frontchannelURL(c, ctx.SID)})
			}
		}
		for i := 0; i+1 < len(ctx.OtherVisits); i += 2 { // the other sessions it ended (signout_all.go)
			if c := e.cfg.Client(ctx.OtherVisits[i+1]); c != nil && c.FrontchannelLogoutURI != "" {
				out.FrontchannelLogout = append(out.FrontchannelLogout, contextFrame{ClientID: c.ClientID, URL: e.frontchannelURL(c, ctx.OtherVisits[i])})
			}
		}
	}
	compact, _ := jsonx.Marshal(&out)
	body := jsonx.Indent(compact, "", "  ")
	return Respond(&Response{Status: 200, Headers: []Header{{Name: "content-type", Value: "application/json"}, {Name: "cache-control", Value: "no-store"}}, Body: body})
}

// ownsLogoutContext reports whether the request comes from the browser ctx belongs to:
// it carries the logoutId cookie with this very id (set when the browser left for the
// provider's sign-out), or a session cookie of the session ctx names.
func (e *Engine) ownsLogoutContext(v *requestView, id string, ctx *logoutContext, now time.Time) bool {
	cs := v.cookies()
	if c, ok := cookieValue(cs, e.logoutCookieName()); ok && subtle.ConstantTimeCompare([]byte(c), []byte(id)) == 1 {
		return true
	}
	if ctx.SID == "" {
		return false
	}
	s, _, err := v.session()
	return err == nil && subtle.ConstantTimeCompare([]byte(s.SID), []byte(ctx.SID)) == 1
}

// logoutContextAnswer is logoutContextEndpoint's JSON (written by its EncodeJSON, json.go).
type logoutContextAnswer struct {
	ClientID              string         `json:"client_id,omitempty"`
	ClientName            string         `json:"client_name,omitempty"`
	PostLogoutRedirectURI string         `json:"post_logout_redirect_uri,omitempty"`
	State                 string         `json:"state,omitempty"`
	UILocales             string         `json:"ui_locales,omitempty"`
	ShowSignoutPrompt     bool           `json:"show_signout_prompt"`
	SignedOut             bool           `json:"signed_out"`
	FrontchannelLogout    []contextFrame `json:"frontchannel_logout"`
	Expires               int64          `json:"expires_at"`
	// Withheld says the browser-bound fields were left out (see logoutContextOf).
	Withheld bool `json:"withheld,omitempty"`
}

// contextFrame is one front-channel logout URL of a logoutContextAnswer.
type contextFrame struct {
	ClientID string `json:"client_id"`
	URL      string `json:"url"`
}
