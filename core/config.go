package core

import (
	"fmt"
	"strings"
	"time"
)

// DefaultHealthPath is where the health check answers when the configuration does not
// say otherwise.
const DefaultHealthPath = "/exeunt/healthz"

// DefaultReadyPath is where the readiness check answers when the configuration does not
// say otherwise (health.go says how it differs from the health check).
const DefaultReadyPath = "/exeunt/readyz"

// Config is the plugin configuration, validated and precomputed. Build one with
// [ParseConfig] and share it freely: it is immutable. Its exported fields are there to be
// read; treat them, and every slice, map and pointer they hold, as read-only.
//
// A configuration without issuer, providers and clients is in pass-through mode
// ([Config.SignInEnabled] is false): the filter answers its health path and lets every
// other request through. Once any of the three is given, all of them and the keys are
// required.
type Config struct {
	healthPath string
	readyPath  string
	// skipCookieReach: parsed without checkCookieReach (parseConfigReaching).
	skipCookieReach bool

	// Issuer is Exeunt's own issuer URL, verbatim: the "iss" of every assertion and
	// logout token it signs, and the base of its discovery document. "" in pass-through
	// mode.
	Issuer string
	// IssuerOrigin is the scheme, host and port of Issuer ("https://auth.example.test"),
	// host in lower case and default port left out: prefix it to a path of Paths (or of a
	// provider) for an absolute URL.
	IssuerOrigin string
	// Paths are the paths Exeunt answers itself.
	Paths Paths
	// Providers are the upstream OpenID Providers, in configuration order.
	Providers []*Provider
	// Clients are the apps behind Envoy, in configuration order.
	Clients []*Client
	// Cookie is how the session cookie is set.
	Cookie Cookie
	// Session is how long an edge session lasts.
	Session Session
	// Keys seal cookies and sign tokens.
	Keys Keys
	// IdentityHeaders are the request headers that carry the signed-in identity to apps.
	IdentityHeaders IdentityHeaders
	// AssertionLifetime is how long a signed identity assertion passed to an app is valid.
	AssertionLifetime time.Duration
	// API says which requests are API calls, answered 401 rather than redirected to sign in.
	API API
	// UI themes the pages.
	UI UI
	// Logout is how sign-out behaves.
	Logout Logout
	// PublicPathPrefixes are paths that pass without a session on every host routed to
	// the filter (none by default); see Classify.
	PublicPathPrefixes []string
	// UnownedRequests is what happens to a request no rule covers (ClassUnowned).
	UnownedRequests Unowned
	// Store is where state kept outside the cookie lives (config_store.go).
	Store StoreSettings

	providerByScheme    map[string]*Provider
	providerByPath      map[string]providerRoute
	providerPathLengths lengthSet // of providerByPath's keys
	clientByID          map[string]*Client
	routesByHost        hostTable                // clients' path prefixes, longest first
	publicByHost        hostTable                // clients' public path prefixes, longest first
	landings            map[string][]landingPage // by path
	landingLengths      lengthSet                // of landings' keys
	identityHeaderNames []string
	// Derived for the sign-out flows (precomputeLogout).
	logoutCookie        string              // the logoutId cookie's name
	unconfirmedCookie   string              // the cookie that marks a sign-out the store did not confirm
	browserStateCookie  string              // the browser_state cookie's name
	checkSessionOrigins map[string][]string // by client_id: the origins its pages are at
}

// HealthPath is the request path the filter answers itself with a health report.
func (c *Config) HealthPath() string { return c.healthPath }

// ReadyPath is the request path the filter answers itself with a readiness report.
func (c *Config) ReadyPath() string { return c.readyPath }

// SignInEnabled reports whether sign-in is configured (issuer, providers, clients and
// keys). When it is not, the filter is in pass-through mode: it answers the health path
// and lets everything else through untouched.
func (c *Config) SignInEnabled() bool { return c.Issuer != "" }

// signInFields are the top-level fields that turn sign-in on: one needs all.
var signInFields = []string{"issuer", "providers", "clients"}

// signInOnlyFields configure sign-in and mean nothing without it.
var signInOnlyFields = []string{"paths", "cookie", "session", "keys", "assertion_lifetime", "api", "ui", "logout", "public_path_prefixes", "unowned_requests", "store"}

// ParseConfig turns the plugin configuration (a JSON object, as given in envoy.yaml) into
// a Config. Zero bytes, or only whitespace, means pass-through mode with every default.
// Any mistake is an error naming the field and saying how to fix it; unknown and
// repeated fields are mistakes too, so that a typo never silently falls back to a
// default. Error messages never quote a secret.
func ParseConfig(data []byte) (*Config, error) { return parseConfig(data, nil) }

// parseConfig is ParseConfig, recording the fields it reads in rec when rec is not nil
// (see ConfigFields).
func parseConfig(data []byte, rec *fieldRecorder) (*Config, error) {
	return parseConfigReaching(data, rec, true)
}

// parseConfigReaching is parseConfig, with checkCookieReach applied only when
// checkReach is true. Only tests of host matching (the classifier, check session
// origins) parse with false: they list hosts no single cookie could reach, which
// ParseConfig refuses (config_cookie_reach.go).
func parseConfigReaching(data []byte, rec *fieldRecorder, checkReach bool) (*Config, error) {
	cfg := &Config{
		skipCookieReach:   !checkReach,
		healthPath:        DefaultHealthPath,
		readyPath:         DefaultReadyPath,
		Paths:             defaultPaths(""),
		Cookie:            defaultCookie(),
		Session:           defaultSession(),
		IdentityHeaders:   defaultIdentityHeaders(),
		AssertionLifetime: DefaultAssertionLifetime,
		API:               API{AcceptJSON: true},
		UI:                defaultUI(),
		Logout:            defaultLogout(),
		Store:             defaultStore(),
	}
	if len(strings.TrimSpace(string(data))) != 0 {
		obj, err := readTopObject(data)
		if err != nil {
			return nil, err
		}
		obj.rec = rec
		if err := cfg.read(obj); err != nil {
			return nil, err
		}
	}
	cfg.precompute()
	return cfg, nil
}

// read fills cfg from the top-level object: every field on its own first, then the
// rules between fields.
func (cfg *Config) read(obj *jsonObject) error {
	for _, read := range []func(*jsonObject) error{
		cfg.readHealthPath,
		cfg.readReadyPath,
		cfg.readIssuer,
		cfg.readPaths,
		cfg.readProviders,
		cfg.readClients,
		cfg.readCookie,
		cfg.readSession,
		cfg.readKeys,
		cfg.readIdentityHeaders,
		cfg.readAssertionLifetime,
		cfg.readAPI,
		cfg.readUI,
		cfg.readLogout,
		cfg.readPublicPathPrefixes,
		cfg.readUnownedRequests,
		cfg.readStore,
	} {
		if err := read(obj); err != nil {
			return err
		}
	}
	if err := obj.rejectUnknown(); err != nil {
		return err
	}
	if err := cfg.checkMode(obj); err != nil {
		return err
	}
	if !cfg.SignInEnabled() {
		return nil
	}
	if err := cfg.checkKeysPresent(obj); err != nil {
		return err
	}
	if cfg.Keys.DevGenerate && cfg.Store.Backend == StoreEtcd {
		// Generated keys are one Envoy's: every other replica would refuse its cookies,
		// assertions and logoutIds.
		return &ConfigError{Field: "keys.dev_generate", Problem: `must not be true with store.backend "etcd": each replica would generate its own keys and refuse the others' cookies; give keys.sealing and keys.signing, the same on every replica`}
	}
	if err := cfg.checkPublicRules(); err != nil {
		return err
	}
	if err := cfg.checkLandingEntries(); err != nil {
		return err
	}
	if err := cfg.checkPathsDistinct(); err != nil {
		return err
	}
	if cfg.skipCookieReach {
		return nil
	}
	return cfg.checkCookieReach()
}

// checkMode enforces all-or-nothing: sign-in needs issuer, providers and clients
// together, and the fields that configure sign-in are refused without it, so that a
// forgotten provider is reported instead of silently passing every request through.
func (cfg *Config) checkMode(obj *jsonObject) error {
	var given, missing []string
	for _, name := range signInFields {
		if _, ok := obj.values[name]; ok {
			given = append(given, name)
		} else {
			missing = append(missing, name)
		}
	}
	if len(given) == 0 {
		for _, name := range signInOnlyFields {
			if _, ok := obj.values[name]; ok {
				return obj.fieldError(name, "has no effect while sign-in is off; configure issuer, providers and clients to turn sign-in on, or remove it")
			}
		}
		return nil
	}
	if len(missing) > 0 {
		verb := "is"
		if len(given) > 1 {
			verb = "are"
		}
		return obj.fieldError(missing[0], fmt.Sprintf(
			"is required once %s %s configured: sign-in needs issuer, providers and clients together (remove all three for pass-through mode)",
			strings.Join(given, " and "), verb))
	}
	if len(cfg.Providers) == 0 {
		return obj.fieldError("providers", "must list at least one provider")
	}
	if len(cfg.Clients) == 0 {
		return obj.fieldError("clients", "must list at least one client")
	}
	return nil
}

func (cfg *Config) readHealthPath(obj *jsonObject) error {
	s, ok, err := obj.optionalString("health_path")
	if err != nil || !ok {
		return err
	}
	if problem := checkHealthPath(s); problem != "" {
		return obj.fieldError("health_path", problem)
	}
	cfg.healthPath = s
	return nil
}

// readReadyPath reads ready_path, which must differ from health_path (given or not): only
// one of the two could answer a path they shared.
func (cfg *Config) readReadyPath(obj *jsonObject) error {
	s, ok, err := obj.optionalString("ready_path")
	if err != nil {
		return err
	}
	if ok {
		if problem := checkPath(s, DefaultReadyPath); problem != "" {
			return obj.fieldError("ready_path", problem)
		}
		cfg.readyPath = s
	}
	if cfg.readyPath == cfg.healthPath {
		field := "ready_path"
		if !ok {
			field = "health_path"
		}
		return obj.fieldError(field, fmt.Sprintf("is %q, the same path as the other of health_path and ready_path (default %q); the two must be distinct", cfg.readyPath, DefaultReadyPath))
	}
	return nil
}

func (cfg *Config) readIssuer(obj *jsonObject) error {
	s, ok, err := obj.optionalString("issuer")
	if err != nil || !ok {
		return err
	}
	u, problem := checkURL(s, urlRules{noTrailing: true})
	if problem != "" {
		return obj.fieldError("issuer", problem+`; it is Exeunt's own URL, such as "https://auth.example.test"`)
	}
	cfg.Issuer, cfg.IssuerOrigin = s, origin(u)
	return nil
}

// precompute builds the lookups per-request code needs.
func (cfg *Config) precompute() {
	cfg.providerByScheme = make(map[string]*Provider, len(cfg.Providers))
	cfg.providerByPath = make(map[string]providerRoute, 4*len(cfg.Providers))
	cfg.providerPathLengths = lengthSet{}
	for _, p := range cfg.Providers {
		cfg.providerByScheme[p.Scheme] = p
		for i, f := range p.pathFields() {
			cfg.providerByPath[*f.value] = providerRoute{p, ProviderCallback + ProviderPath(i)}
			cfg.providerPathLengths.add(*f.value)
		}
	}
	cfg.clientByID = make(map[string]*Client, len(cfg.Clients))
	for _, c := range cfg.Clients {
		cfg.clientByID[c.ClientID] = c
	}
	cfg.precomputeAccess()
	cfg.identityHeaderNames = cfg.IdentityHeaders.names()
	cfg.precomputeLogout()
}

// checkHealthPath accepts what Envoy could ever match against a request's :path: an
// absolute path of visible ASCII (anything else arrives percent-encoded) without a query
// or fragment, which are not part of what is matched.
// It returns the problem, or "" when there is none.
func checkHealthPath(s string) string { return checkPath(s, DefaultHealthPath) }

// checkPath is checkHealthPath for any path Exeunt answers or matches; example is shown
// when the path does not start with "/".
func checkPath(s, example string) string {
	if !strings.HasPrefix(s, "/") {
		return fmt.Sprintf(`must start with "/" (for example %q)`, example)
	}
	if strings.ContainsAny(s, "?#") {
		return `must be a path only, without a "?" query or "#" fragment`
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return fmt.Sprintf("must contain only visible ASCII characters; percent-encode anything else (byte %#x at offset %d)", s[i], i)
		}
	}
	return ""
}

// checkText refuses control characters in names and ids that end up in pages, tokens
// and logs. It returns the problem, or "".
func checkText(s string) string {
	if s == "" {
		return "must not be empty"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return fmt.Sprintf("must not contain control characters (byte %#x at offset %d)", s[i], i)
		}
	}
	return ""
}

// requiredString reads a string field that must be present and non-empty; what says
// what to put there.
func requiredString(obj *jsonObject, name, what string) (string, error) {
	obj.note(name, func(f *ConfigField) { f.Required = true })
	s, ok, err := obj.optionalString(name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", obj.fieldError(name, "is required; set "+what)
	}
	if problem := checkText(s); problem != "" {
		return "", obj.fieldError(name, problem)
	}
	return s, nil
}
