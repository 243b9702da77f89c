package app

import (
	"bytes"
	"html/template"
	"net/http"
	"time"
)

type pageData struct {
	App             Config
	Events          []Event
	EventsPath      string
	HasFrontchannel bool
	HasBackchannel  bool
}

type identity struct {
	Sub, Email, Name, IdP, SID, Assertion, EmailVerified string
}

type homeData struct {
	pageData
	Path         string
	User         string
	ID           identity
	Headers      Headers
	Assertion    *Assertion
	AssertionErr error
	SignoutPath  string
}

type signedOutData struct {
	pageData
	State, Expected string
	StateOK         bool
}

func render(w http.ResponseWriter, t *template.Template, status int, data any) {
	renderCaching(w, t, status, data, "no-store")
}

// renderCaching is render with the page's Cache-Control ("" for none).
func renderCaching(w http.ResponseWriter, t *template.Template, status int, data any, cacheControl string) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if cacheControl != "" {
		w.Header().Set("Cache-Control", cacheControl)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var funcs = template.FuncMap{
	"clock": func(t time.Time) string { return t.Local().Format("15:04:05") },
	"short": func(s string) string {
		if len(s) <= 14 {
			return s
		}
		return s[:10] + "…"
	},
	"until": func(t time.Time) string {
		d := time.Until(t).Round(time.Second)
		if d <= 0 {
			return "expired"
		}
		return "in " + d.String()
	},
}

const layout = `{{define "top"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{block "title" .}}{{.App.Name}}{{end}}</title>
<style>
:root { --accent: {{.App.Accent}}; color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d2330; background: #f4f5f8; }
header { background: var(--accent); color: #fff; }
header .bar { max-width: 58rem; margin: 0 auto; padding: .8rem 1.2rem; display: flex; gap: 1.2rem; align-items: center; }
header .app { font-weight: 700; font-size: 1.15rem; letter-spacing: .01em; }
header nav { display: flex; gap: .9rem; flex: 1; }
header a { color: #fff; text-decoration: none; opacity: .9; }
header a:hover { opacity: 1; text-decoration: underline; }
header .who { font-size: .9rem; opacity: .95; }
main { max-width: 58rem; margin: 1.4rem auto; padding: 0 1.2rem; }
.card { background: #fff; border: 1px solid #dfe2ea; border-radius: 10px; padding: 1.1rem 1.3rem; margin-bottom: 1.1rem; }
h1 { font-size: 1.45rem; margin: 0 0 .4rem; }
h2 { font-size: 1.02rem; margin: 0 0 .6rem; }
p { margin: .3rem 0 .7rem; }
table { border-collapse: collapse; width: 100%; font-size: .93rem; }
th, td { text-align: left; padding: .32rem .6rem .32rem 0; border-bottom: 1px solid #eef0f4; vertical-align: top; }
th { font-weight: 600; white-space: nowrap; width: 13rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .86rem; word-break: break-all; }
.ok { color: #11783a; font-weight: 600; }
.bad { color: #b3261e; font-weight: 600; }
.muted { color: #667085; }
button, .button { display: inline-block; font: inherit; font-weight: 600; padding: .5rem 1.1rem; border-radius: 7px; border: 0; background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
button.secondary { background: #fff; color: var(--accent); border: 1px solid var(--accent); }
ul.events { list-style: none; padding: 0; margin: 0; }
ul.events li { padding: .45rem 0; border-bottom: 1px solid #eef0f4; }
ul.events li:last-child { border-bottom: 0; }
.tag { display: inline-block; font-size: .78rem; font-weight: 600; padding: .05rem .45rem; border-radius: 4px; margin-right: .4rem; background: #e8ecfb; color: #2b3f91; }
.tag.back { background: #e6f4ea; color: #11683a; }
</style>
</head>
<body>
<header><div class="bar">
<span class="app">{{.App.Name}}</span>
<nav>{{range .App.Links}}<a href="{{.URL}}">{{.Name}}</a>{{end}}</nav>
{{block "who" .}}{{end}}
</div></header>
<main>
{{end}}

{{define "events"}}<ul class="events" id="events">
{{range .Events}}<li class="event" data-channel="{{.Channel}}" data-sid="{{.SID}}" data-ok="{{.OK}}">
<span class="tag{{if eq .Channel "back-channel"}} back{{end}}">{{.Channel}}</span>
<span class="muted">{{clock .Time}}</span>
{{if .OK}}<span class="ok">✓</span> session <code>{{short .SID}}</code>{{with .User}} of <strong>{{.}}</strong>{{end}} signed out{{if eq .Channel "back-channel"}} (logout token verified with Exeunt's keys){{end}}
{{else}}<span class="bad">✗ refused:</span> {{.Problem}}{{end}}
</li>
{{else}}<li class="muted" id="no-events">None yet.</li>
{{end}}</ul>{{end}}

{{define "log"}}<section class="card">
<h2>Sign-out notifications {{.App.Name}} received</h2>
<p class="muted">{{if .HasFrontchannel}}Front-channel: Exeunt's signed-out page loads this app's front-channel logout URL in a hidden iframe, with <code>iss</code> and <code>sid</code>.{{end}}
{{if .HasBackchannel}}Back-channel: Exeunt POSTs a signed logout token straight to the app.{{end}}
{{if not (or .HasFrontchannel .HasBackchannel)}}This app asked for no sign-out notifications.{{end}}</p>
<div id="log">{{template "events" .}}</div>
</section>
<script>
// Notifications can arrive after this page was drawn (a back-channel delivery runs in the
// background): keep the list fresh.
setInterval(function () {
  fetch({{.EventsPath}}, {cache: "no-store"}).then(function (r) { return r.ok ? r.text() : null; })
    .then(function (html) { if (html !== null) document.getElementById("log").innerHTML = html; })
    .catch(function () {});
}, 1500);
</script>{{end}}

{{define "bottom"}}</main>
</body>
</html>
{{end}}`

func page(body string) *template.Template {
	t := template.Must(template.New("layout").Funcs(funcs).Parse(layout))
	return template.Must(t.New("page").Parse(body))
}

var homeTemplate = page(`{{define "who"}}{{if .User}}<span class="who" id="who">{{.User}}</span>{{end}}{{end}}{{template "top" .}}
{{if .User}}
<section class="card">
<h1>Hello, <span id="user">{{.User}}</span></h1>
<p>Exeunt signed you in at the identity provider and passes who you are to {{.App.Name}} in
request headers; the app itself keeps no session. You asked for <code>{{.Path}}</code>.</p>
<table id="identity">
<tr><th><code>{{.Headers.Sub}}</code></th><td id="sub">{{.ID.Sub}}</td></tr>
<tr><th><code>{{.Headers.Name}}</code></th><td id="name">{{.ID.Name}}</td></tr>
<tr><th><code>{{.Headers.Email}}</code></th><td id="email">{{.ID.Email}}</td></tr>
{{if .ID.Email}}<tr><th><code>{{.Headers.EmailVerified}}</code></th><td id="email-verified">{{.ID.EmailVerified}}</td></tr>
{{end}}<tr><th><code>{{.Headers.IdP}}</code></th><td id="idp">{{.ID.IdP}}</td></tr>
<tr><th><code>{{.Headers.SID}}</code></th><td id="sid" class="mono">{{.ID.SID}}</td></tr>
</table>
</section>
<section class="card">
<h2>The signed assertion (<code>{{.Headers.Assertion}}</code>)</h2>
{{with .Assertion}}<p id="assertion-status"><span class="ok">✓ Verified</span> with Exeunt's published keys (key <code>{{.KeyID}}</code>).</p>
<table>
<tr><th>iss</th><td><code>{{.Issuer}}</code></td></tr>
<tr><th>aud</th><td><code>{{range .Audience}}{{.}} {{end}}</code></td></tr>
<tr><th>sub, sid, idp</th><td><code>{{.Subject}}</code>, <code>{{short .SID}}</code>, <code>{{.IdP}}</code></td></tr>
<tr><th>exp</th><td>{{until .Expiry}}</td></tr>
</table>
{{else}}<p id="assertion-status"><span class="bad">✗ Not verified:</span> {{if .AssertionErr}}{{.AssertionErr}}{{else}}no assertion header.{{end}}</p>{{end}}
</section>
<section class="card">
<h2>Sign out</h2>
<p>Signing out of {{.App.Name}} signs you out everywhere: Exeunt ends its session, signs you out
of the identity provider, and tells every app you visited.</p>
<form method="post" action="{{.SignoutPath}}"><button type="submit" id="signout">Sign out</button></form>
</section>
{{else}}
<section class="card">
<h1>Not signed in</h1>
<p id="not-signed-in">{{.App.Name}} received no identity headers: this path is not protected by Exeunt.</p>
</section>
{{end}}
{{template "log" .}}
{{template "bottom" .}}`)

var askSignOutTemplate = page(`{{define "title"}}Sign out of {{.App.Name}}?{{end}}{{define "who"}}{{if .User}}<span class="who" id="who">{{.User}}</span>{{end}}{{end}}{{template "top" .}}
<section class="card">
<h1 id="ask-signout">Sign out?</h1>
<p>{{if .User}}You are signed in as <span id="user">{{.User}}</span>: nothing was signed out yet.
{{else}}Nothing was signed out yet. {{end}}Signing out of {{.App.Name}} signs you
out everywhere: Exeunt ends its session, signs you out of the identity provider, and tells every
app you visited.</p>
<form method="post" action="{{.SignoutPath}}"><button type="submit" id="signout">Sign out</button></form>
<p><a href="{{.App.PathPrefix}}">Back to {{.App.Name}}</a></p>
</section>
{{template "bottom" .}}`)

var signedOutTemplate = page(`{{define "title"}}{{if .StateOK}}Signed out of {{.App.Name}}{{else}}{{.App.Name}}: post-logout page{{end}}{{end}}{{template "top" .}}
<section class="card">
{{if .StateOK}}<h1 id="signed-out">You are signed out</h1>
<p>Exeunt sent you back to {{.App.Name}}'s post-logout page.</p>
{{else}}<h1 id="post-logout">{{.App.Name}}'s post-logout page</h1>
<p>This page is public: on its own it cannot tell whether you are signed out.</p>
{{end}}<p id="state-status">{{if .StateOK}}<span class="ok">✓</span> It returned the <code>state</code> this app sent with the sign-out
(<code>{{short .State}}</code>): this is the sign-out this browser started.
{{else if .State}}<span class="bad">✗</span> It returned a <code>state</code> (<code>{{short .State}}</code>) that this browser did not send{{if not .Expected}} (no sign-out was started here){{end}}.
{{else}}<span class="muted">No <code>state</code> came back: this page was opened directly.</span>{{end}}</p>
<p><a class="button" href="{{.App.PathPrefix}}" id="sign-in-again">Sign in again</a></p>
</section>
{{template "log" .}}
{{template "bottom" .}}`)

var logTemplate = page(`{{define "title"}}{{.App.Name}}: sign-out notifications{{end}}{{template "top" .}}
{{template "log" .}}
<p><a class="button" href="{{.App.PathPrefix}}">Open {{.App.Name}}</a></p>
{{template "bottom" .}}`)

var eventsTemplate = template.Must(template.New("layout").Funcs(funcs).Parse(layout + `{{define "fragment"}}{{template "events" .}}{{end}}`)).Lookup("fragment")

// formField is one hidden field of a form.
type formField struct{ Name, Value string }

// signOutData is the sign-out page: a form POSTed to Exeunt's end session endpoint.
type signOutData struct {
	Action string
	Fields []formField
}

// signOutTemplate submits its form at once (the script), or on a click without script.
var signOutTemplate = template.Must(template.New("signout").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Signing out…</title></head>
<body>
<form id="signout-form" method="post" action="{{.Action}}">
{{- range .Fields}}
<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{- end}}
<p>Signing you out…</p>
<button type="submit" id="continue-signout">Continue</button>
</form>
<script>document.getElementById("signout-form").submit();</script>
</body>
</html>
`))
