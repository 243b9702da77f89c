package oidcpeer

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// maxSteps bounds the requests one browser-like helper makes at the provider.
const maxSteps = 20

// Login plays the browser at the provider for a sign-in: it GETs authorizeURL with jar's
// cookies, follows the redirects that stay on the provider, submits devInteractions' login
// form (login, any password) and, when asked, its consent form, and returns the first redirect
// that leaves the provider (normally the client's redirect_uri with code and state, or with
// error) WITHOUT requesting it. A provider that already has a session in jar signs the user in
// without a form. jar may be nil (a fresh one is used). Provider error pages become errors
// quoting the page.
func (p *Peer) Login(jar http.CookieJar, authorizeURL, login string) (*url.URL, error) {
	redirect, _, err := p.LoginWithPrompts(jar, authorizeURL, login)
	return redirect, err
}

// LoginWithPrompts is [Peer.Login] that also tells which interactions the provider asked
// for, in order: "login", "consent"; none when the provider's session in jar signed the user
// in silently.
func (p *Peer) LoginWithPrompts(jar http.CookieJar, authorizeURL, login string) (redirect *url.URL, prompts []string, err error) {
	redirect, prompts, err = p.login(jar, authorizeURL, login)
	if err != nil {
		return nil, prompts, fmt.Errorf("oidcpeer: Login: %w", err)
	}
	return redirect, prompts, nil
}

func (p *Peer) login(jar http.CookieJar, authorizeURL, login string) (*url.URL, []string, error) {
	var prompts []string
	c, err := p.browser(jar)
	if err != nil {
		return nil, nil, err
	}
	target, err := url.Parse(authorizeURL)
	if err != nil {
		return nil, nil, err
	}
	req, _ := http.NewRequest(http.MethodGet, target.String(), nil)
	for step := 0; step < maxSteps; step++ {
		page, err := p.do(c, req)
		if err != nil {
			return nil, prompts, err
		}
		if page.redirect != nil {
			if !p.OnProvider(page.redirect) {
				return page.redirect, prompts, nil
			}
			req, _ = http.NewRequest(http.MethodGet, page.redirect.String(), nil)
			continue
		}
		if page.resp.StatusCode != http.StatusOK {
			return nil, prompts, fmt.Errorf("%s %s: %s: %s", req.Method, req.URL, page.resp.Status, page.summary())
		}
		f := page.formWith("prompt")
		if f == nil {
			return nil, prompts, fmt.Errorf("%s %s: a page with neither a login nor a consent form: %s", req.Method, req.URL, page.summary())
		}
		values := f.values()
		prompt := values.Get("prompt")
		switch prompt {
		case "login":
			values.Set("login", login)
			values.Set("password", "any password will do")
		case "consent":
		default:
			return nil, prompts, fmt.Errorf("%s: an interaction this helper does not know: prompt=%q", req.URL, prompt)
		}
		prompts = append(prompts, prompt)
		req, err = f.request(page.url, values)
		if err != nil {
			return nil, prompts, err
		}
		if !p.OnProvider(req.URL) {
			return nil, prompts, fmt.Errorf("the provider posts a form to %s (response_mode=form_post is not supported here)", req.URL)
		}
	}
	return nil, prompts, fmt.Errorf("no redirect away from the provider after %d requests", maxSteps)
}

// LogoutResult is where a logout at the provider ended.
type LogoutResult struct {
	// Redirect is the first redirect that leaves the provider (normally the
	// post_logout_redirect_uri with state), not requested. Besides an HTTP redirect, this is
	// also where oidc-provider v6's front-channel page sends the browser by script once its
	// iframes have loaded. Nil when the browser stays at the provider.
	Redirect *url.URL

	// Page is the address of the last provider page the browser stopped at: the logged-out
	// page, or v6's front-channel page (the confirmation URL it was posted to).
	Page *url.URL

	// Response is that page's response; its Body is buffered (closing it is optional).
	Response *http.Response

	// FrontchannelIframes are the iframes of the page: v6's front-channel logout
	// notifications, one per client with a frontchannel_logout_uri (iss and sid included when
	// the client asked for them). Loading them is the test's business.
	FrontchannelIframes []*url.URL
}

// Logout plays the browser at the provider's end_session endpoint: it GETs endSessionURL
// (with any id_token_hint, client_id, post_logout_redirect_uri and state the test put in it),
// submits the logout confirmation form (xsrf and logout=yes; also when the provider, having no
// session, submits it by script) and reports where that ended. jar may be nil.
//
// oidc-provider answers the confirmation only after its back-channel logout POSTs have been
// answered (or have timed out, after 2.5 s each): the listeners must not wait for this call.
func (p *Peer) Logout(jar http.CookieJar, endSessionURL string) (*LogoutResult, error) {
	c, err := p.browser(jar)
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(endSessionURL)
	if err != nil {
		return nil, fmt.Errorf("oidcpeer: Logout: %w", err)
	}
	req, _ := http.NewRequest(http.MethodGet, target.String(), nil)
	confirmed := false
	for step := 0; step < maxSteps; step++ {
		page, err := p.do(c, req)
		if err != nil {
			return nil, fmt.Errorf("oidcpeer: Logout: %w", err)
		}
		if page.redirect != nil {
			if !p.OnProvider(page.redirect) {
				return &LogoutResult{Redirect: page.redirect}, nil
			}
			req, _ = http.NewRequest(http.MethodGet, page.redirect.String(), nil)
			continue
		}
		if page.resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("oidcpeer: Logout: %s %s: %s: %s", req.Method, req.URL, page.resp.Status, page.summary())
		}
		if !confirmed {
			if f := page.formWith("xsrf"); f != nil {
				values := f.values()
				values.Set("logout", "yes")
				req, err = f.request(page.url, values)
				if err != nil {
					return nil, fmt.Errorf("oidcpeer: Logout: %w", err)
				}
				confirmed = true
				continue
			}
		}
		res := &LogoutResult{Page: page.url, Response: page.resp, FrontchannelIframes: page.iframes()}
		if next := page.scriptRedirect(); next != nil && !p.OnProvider(next) {
			res.Redirect = next
		}
		if !confirmed && len(res.FrontchannelIframes) == 0 {
			return nil, fmt.Errorf("oidcpeer: Logout: %s: a page without a logout confirmation form: %s", page.url, page.summary())
		}
		return res, nil
	}
	return nil, fmt.Errorf("oidcpeer: Logout: no end after %d requests", maxSteps)
}

// ConfirmLogout is [Peer.Logout] reduced to an address: the first redirect that leaves the
// provider (the post_logout_redirect_uri with state), or when there is none the last provider
// page's URL.
func (p *Peer) ConfirmLogout(jar http.CookieJar, endSessionURL string) (*url.URL, error) {
	res, err := p.Logout(jar, endSessionURL)
	if err != nil {
		return nil, err
	}
	if res.Redirect != nil {
		return res.Redirect, nil
	}
	return res.Page, nil
}

// LogoutAtProvider signs the user of jar out directly at the provider, as a user would on
// the provider's own pages: GET the end_session endpoint without any client parameter and
// confirm. The provider then notifies every client of that session: a back-channel logout
// token POSTed to each backchannel_logout_uri (before this returns) and, on v6, the returned
// page's iframes to each frontchannel_logout_uri (see [Peer.Logout] for those). It returns
// the provider's last page, body buffered.
func (p *Peer) LogoutAtProvider(jar http.CookieJar) (*http.Response, error) {
	endSession, err := p.Endpoint("end_session_endpoint")
	if err != nil {
		return nil, err
	}
	res, err := p.Logout(jar, endSession)
	if err != nil {
		return nil, err
	}
	if res.Response == nil {
		return nil, fmt.Errorf("oidcpeer: LogoutAtProvider: the provider sent the browser away, to %s", res.Redirect)
	}
	return res.Response, nil
}

// OnProvider tells whether u is an address of the provider (its issuer's origin).
func (p *Peer) OnProvider(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, p.issuer.Scheme) && strings.EqualFold(u.Host, p.issuer.Host)
}

func (p *Peer) browser(jar http.CookieJar) (*http.Client, error) {
	if jar == nil {
		var err error
		if jar, err = cookiejar.New(nil); err != nil {
			return nil, err
		}
	}
	return p.HTTPClient(jar), nil
}

// page is one response at the provider, its body read.
type page struct {
	url      *url.URL
	resp     *http.Response
	body     string
	redirect *url.URL // set for a 3xx with Location
}

func (p *Peer) do(c *http.Client, req *http.Request) (*page, error) {
	if !p.OnProvider(req.URL) {
		return nil, fmt.Errorf("%s is not at the provider %s", req.URL, p.Issuer)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the body: %w", req.Method, req.URL, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	pg := &page{url: req.URL, resp: resp, body: string(body)}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc := resp.Header.Get("Location")
		if loc == "" {
			return nil, fmt.Errorf("%s %s: %s without Location", req.Method, req.URL, resp.Status)
		}
		next, err := req.URL.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("%s %s: bad Location %q: %w", req.Method, req.URL, loc, err)
		}
		pg.redirect = next
	}
	return pg, nil
}

var (
	formRE   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRE  = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	iframeRE = regexp.MustCompile(`(?is)<iframe\b([^>]*)>`)
	attrRE   = regexp.MustCompile(`(?is)([a-z_:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
	// v6's front-channel page: window.location.replace("<post logout address>")
	locationReplaceRE = regexp.MustCompile(`window\.location\.replace\("([^"]*)"\)`)
	errorLineRE       = regexp.MustCompile(`(?is)<pre><strong>([^<]*)</strong>:\s*([^<]*)</pre>`)
	titleRE           = regexp.MustCompile(`(?is)<title>([^<]*)</title>`)
)

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2] + a[3] + a[4])
	}
	return m
}

type form struct {
	attrs  map[string]string
	inputs []map[string]string
}

func (pg *page) forms() []form {
	var out []form
	for _, m := range formRE.FindAllStringSubmatch(pg.body, -1) {
		f := form{attrs: attrs(m[1])}
		for _, in := range inputRE.FindAllStringSubmatch(m[2], -1) {
			f.inputs = append(f.inputs, attrs(in[1]))
		}
		out = append(out, f)
	}
	return out
}

// formWith returns the first form with an input named name.
func (pg *page) formWith(name string) *form {
	for _, f := range pg.forms() {
		for _, in := range f.inputs {
			if in["name"] == name {
				return &f
			}
		}
	}
	return nil
}

// values are the form's hidden (and other valued) inputs.
func (f *form) values() url.Values {
	v := url.Values{}
	for _, in := range f.inputs {
		if in["name"] == "" {
			continue
		}
		switch strings.ToLower(in["type"]) {
		case "submit", "button", "checkbox", "radio":
			continue
		}
		v.Set(in["name"], in["value"])
	}
	return v
}

func (f *form) request(base *url.URL, values url.Values) (*http.Request, error) {
	action, err := base.Parse(f.attrs["action"])
	if err != nil {
		return nil, fmt.Errorf("form action %q: %w", f.attrs["action"], err)
	}
	if m := strings.ToUpper(f.attrs["method"]); m != "" && m != http.MethodPost {
		action.RawQuery = values.Encode()
		return http.NewRequest(http.MethodGet, action.String(), nil)
	}
	req, err := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(values.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base.Scheme+"://"+base.Host)
	return req, nil
}

func (pg *page) iframes() []*url.URL {
	var out []*url.URL
	for _, m := range iframeRE.FindAllStringSubmatch(pg.body, -1) {
		if src := attrs(m[1])["src"]; src != "" {
			if u, err := pg.url.Parse(src); err == nil {
				out = append(out, u)
			}
		}
	}
	return out
}

func (pg *page) scriptRedirect() *url.URL {
	m := locationReplaceRE.FindStringSubmatch(pg.body)
	if m == nil {
		return nil
	}
	u, err := pg.url.Parse(m[1])
	if err != nil {
		return nil
	}
	return u
}

// summary quotes what a provider page says, for error messages: oidc-provider's error page
// lists error and error_description; anything else is shown by title, or shortened.
func (pg *page) summary() string {
	if lines := errorLineRE.FindAllStringSubmatch(pg.body, -1); len(lines) > 0 {
		var parts []string
		for _, l := range lines {
			parts = append(parts, strings.TrimSpace(html.UnescapeString(l[1]))+"="+strings.TrimSpace(html.UnescapeString(l[2])))
		}
		return strings.Join(parts, ", ")
	}
	if t := titleRE.FindStringSubmatch(pg.body); t != nil {
		return fmt.Sprintf("page %q", strings.TrimSpace(t[1]))
	}
	s := strings.TrimSpace(pg.body)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
