package core

import (
	"encoding/json"
	"time"
)

// logoutContextEndpoint returns the logout context of a logoutId as JSON: the
// equivalent of IdentityServer's GetLogoutContextAsync, for teams that build their own
// logout pages. It tells what the page should show (the prompt, or the signed-out state
// with the front-channel iframes and the way back to the app), never who the user is.
func (e *Engine) logoutContextEndpoint(r Request, now time.Time) Decision {
	if r.Method != "GET" && r.Method != "HEAD" {
		resp := oauthError(405, "invalid_request", "use GET "+e.cfg.Paths.LogoutContext+"?logoutId=...")
		resp.Headers = append(resp.Headers, Header{"allow", "GET"})
		return Respond(resp)
	}
	q := queryOf(r.Path)
	id := q.Get("logoutId")
	if id == "" {
		id = q.Get("logout_id")
	}
	if id == "" {
		return Respond(oauthError(400, "invalid_request", "the logoutId query parameter is missing"))
	}
	ctx, err := e.decodeLogoutID(id, now)
	if err != nil {
		return Respond(oauthError(404, "invalid_request", "no valid logout context for this logoutId: it expired, was altered or never existed"))
	}
	type frame struct {
		ClientID string `json:"client_id"`
		URL      string `json:"url"`
	}
	out := struct {
		ClientID              string  `json:"client_id,omitempty"`
		ClientName            string  `json:"client_name,omitempty"`
		PostLogoutRedirectURI string  `json:"post_logout_redirect_uri,omitempty"`
		State                 string  `json:"state,omitempty"`
		UILocales             string  `json:"ui_locales,omitempty"`
		ShowSignoutPrompt     bool    `json:"show_signout_prompt"`
		SignedOut             bool    `json:"signed_out"`
		FrontchannelLogout    []frame `json:"frontchannel_logout"`
		Expires               int64   `json:"expires_at"`
	}{ClientID: ctx.ClientID, PostLogoutRedirectURI: ctx.RedirectURI, State: ctx.State, UILocales: ctx.UILocales,
		ShowSignoutPrompt: ctx.Prompt, SignedOut: ctx.SignedOut, FrontchannelLogout: []frame{}, Expires: ctx.Expires}
	if c := e.cfg.Client(ctx.ClientID); c != nil {
		out.ClientName = c.Name
	}
	if ctx.SignedOut {
		for _, id := range ctx.Clients {
			if c := e.cfg.Client(id); c != nil && c.FrontchannelLogoutURI != "" {
				out.FrontchannelLogout = append(out.FrontchannelLogout, frame{ClientID: c.ClientID, URL: e.frontchannelURL(c, ctx.SID)})
			}
		}
	}
	body, _ := json.MarshalIndent(out, "", "  ")
	return Respond(&Response{Status: 200, Headers: []Header{{"content-type", "application/json"}, {"cache-control", "no-store"}}, Body: body})
}
