package core

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exeunt/exeunt/core/jsonx"
)

// Logout is how sign-out behaves. Treat it as read-only.
type Logout struct {
	_ noCompare
	// AutomaticRedirect sends the browser on from the signed-out page to the app's
	// post-logout redirect URI by itself, once the front-channel frames have loaded or
	// timed out. Off by default: the page shows a link.
	AutomaticRedirect bool
	// ContextStorage says how the logout context (the logoutId) travels across
	// redirects: LogoutContextAuto (protected in the URL, switching to an opaque id with
	// the message in the store when the URL would pass MaxURLLength) or
	// LogoutContextStore (always the store).
	ContextStorage string
	// MaxURLLength is the longest URL carrying a logout context in LogoutContextAuto
	// mode, in bytes.
	MaxURLLength int
	// ContextLifetime is how long a logout context (and the confirmation prompt's
	// anti-forgery token) stays valid.
	ContextLifetime time.Duration
	// Prompt says when the user is asked to confirm a sign-out: LogoutPromptAuto (only
	// when the request is not proven to come from the current session) or
	// LogoutPromptAlways.
	Prompt string
	// BackchannelTimeout bounds one delivery attempt of a logout token.
	BackchannelTimeout time.Duration
	// BackchannelDeadline is how long a logout token is retried; after it, delivery
	// stops with an error log and a metric.
	BackchannelDeadline time.Duration
	// SessionManagement turns on OpenID Connect Session Management 1.0
	// (check_session_iframe and session_state).
	SessionManagement bool
}

// The values of Logout.ContextStorage and Logout.Prompt.
const (
	LogoutContextAuto  = "auto"
	LogoutContextStore = "store"

	LogoutPromptAuto   = "auto"
	LogoutPromptAlways = "always"
)

// Defaults and bounds of the logout settings.
const (
	DefaultMaxURLLength        = 2000
	DefaultContextLifetime     = 10 * time.Minute
	DefaultBackchannelTimeout  = 5 * time.Second
	DefaultBackchannelDeadline = 10 * time.Minute

	// minMaxURLLength leaves room for a provider's end session URL with a state.
	minMaxURLLength = 512
	// maxMaxURLLength: many servers and proxies refuse request lines past 8 KiB.
	maxMaxURLLength = 8192

	minContextLifetime     = time.Minute
	maxContextLifetime     = time.Hour
	minBackchannelTimeout  = 100 * time.Millisecond
	maxBackchannelTimeout  = time.Minute
	maxBackchannelDeadline = 24 * time.Hour
)

func defaultLogout() Logout {
	return Logout{
		ContextStorage:      LogoutContextAuto,
		MaxURLLength:        DefaultMaxURLLength,
		ContextLifetime:     DefaultContextLifetime,
		Prompt:              LogoutPromptAuto,
		BackchannelTimeout:  DefaultBackchannelTimeout,
		BackchannelDeadline: DefaultBackchannelDeadline,
	}
}

func (cfg *Config) readLogout(obj *jsonObject) error {
	o, ok, err := obj.optionalObject("logout")
	if err != nil || !ok {
		return err
	}
	l := &cfg.Logout
	if b, ok, err := o.optionalBool("automatic_redirect"); err != nil {
		return err
	} else if ok {
		l.AutomaticRedirect = b
	}
	if err := readChoice(o, "context_storage", &l.ContextStorage, LogoutContextAuto, LogoutContextStore); err != nil {
		return err
	}
	if err := readBoundedInt(o, "max_url_length", &l.MaxURLLength, minMaxURLLength, maxMaxURLLength); err != nil {
		return err
	}
	if err := readDuration(o, "context_lifetime", &l.ContextLifetime, minContextLifetime, maxContextLifetime); err != nil {
		return err
	}
	if err := readChoice(o, "prompt", &l.Prompt, LogoutPromptAuto, LogoutPromptAlways); err != nil {
		return err
	}
	if err := readDuration(o, "backchannel_timeout", &l.BackchannelTimeout, minBackchannelTimeout, maxBackchannelTimeout); err != nil {
		return err
	}
	if err := readDuration(o, "backchannel_deadline", &l.BackchannelDeadline, minBackchannelTimeout, maxBackchannelDeadline); err != nil {
		return err
	}
	if b, ok, err := o.optionalBool("session_management"); err != nil {
		return err
	} else if ok {
		l.SessionManagement = b
	}
	if err := o.rejectUnknown(); err != nil {
		return err
	}
	if l.BackchannelDeadline < l.BackchannelTimeout {
		return o.fieldError("backchannel_deadline", fmt.Sprintf(
			"is %s, shorter than backchannel_timeout (%s), so not even one attempt would fit; make it longer",
			fmtDuration(l.BackchannelDeadline), fmtDuration(l.BackchannelTimeout)))
	}
	return nil
}

// readChoice reads a string field that must be one of choices (the first is the
// default, and what *v holds when the field is absent).
func readChoice(o *jsonObject, name string, v *string, choices ...string) error {
	o.note(name, func(f *ConfigField) { f.Enum, f.Default = append([]string(nil), choices...), *v })
	s, ok, err := o.optionalString(name)
	if err != nil || !ok {
		return err
	}
	for _, c := range choices {
		if s == c {
			*v = s
			return nil
		}
	}
	list := strconv.Quote(choices[0]) + " (the default)"
	for i, c := range choices[1:] {
		if i == len(choices)-2 {
			list += " or "
		} else {
			list += ", "
		}
		list += strconv.Quote(c)
	}
	return o.fieldError(name, fmt.Sprintf("must be %s, not %q", list, s))
}

// readBoundedInt reads a whole number into *v when the field is present, and checks it
// lies in [lo, hi].
func readBoundedInt(o *jsonObject, name string, v *int, lo, hi int) error {
	o.note(name, func(f *ConfigField) { f.Type, f.Minimum, f.Maximum, f.Default = "integer", &lo, &hi, *v })
	raw, ok := o.take(name)
	if !ok {
		return nil
	}
	if kind := rawKind(raw); kind != "a number" {
		return o.fieldError(name, "must be a number, not "+kind)
	}
	var lit string
	if err := jsonx.Decode(raw, func(d *jsonx.Decoder) error { return d.Number(&lit) }); err != nil {
		return o.fieldError(name, "is not a valid JSON number: "+err.Error())
	}
	i, err := strconv.Atoi(lit)
	switch {
	case err != nil:
		return o.fieldError(name, fmt.Sprintf("must be a whole number from %d to %d, not %s", lo, hi, lit))
	case i < lo:
		return o.fieldError(name, fmt.Sprintf("is %d; it must be at least %d", i, lo))
	case i > hi:
		return o.fieldError(name, fmt.Sprintf("is %d; it must be at most %d", i, hi))
	}
	*v = i
	return nil
}

// precomputeLogout derives, once, what the sign-out flows would otherwise derive on
// every request: the names of the logoutId and browser_state cookies, and the origins
// each client's pages may post to the check_session_iframe from.
func (cfg *Config) precomputeLogout() {
	cfg.logoutCookie = cfg.Cookie.Name + "-logout"
	cfg.browserStateCookie = cfg.Cookie.Name + "-browser-state"
	cfg.unconfirmedCookie = cfg.Cookie.Name + "-unconfirmed"
	cfg.checkSessionOrigins = make(map[string][]string, len(cfg.Clients))
	for _, c := range cfg.Clients {
		cfg.checkSessionOrigins[c.ClientID] = cfg.clientPageOrigins(c)
	}
}

// clientPageOrigins are the origins a client's pages may be at: each of its hosts
// over https (and over http for local hosts, or any host when the cookie need not be
// Secure), and the origins of its post-logout redirect URIs.
func (cfg *Config) clientPageOrigins(c *Client) []string {
	var out []string
	add := func(o string) {
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	for _, h := range c.Hosts {
		host, port, _ := splitHost(h) // checked when the configuration was read
		// A port is spelt as a browser spells the origin (originOf): never the scheme's
		// default, which no message's origin carries (RFC 6454 §6.1).
		spell := func(scheme string) string {
			if port == "" {
				return scheme + "://" + h + ":*"
			}
			o, _ := originOf(scheme, h)
			return o
		}
		add(spell("https"))
		if isLocalHost(host) || !cfg.Cookie.Secure {
			add(spell("http"))
		}
	}
	for _, raw := range c.PostLogoutRedirectURIs {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			if o := origin(u); o != "" && !slices.Contains(out, strings.TrimSuffix(o, ":"+u.Port())+":*") {
				add(o)
			}
		}
	}
	return out
}
