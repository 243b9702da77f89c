package core

import (
	"bytes"
	"embed"
	"html/template"
)

// The pages are server-rendered with html/template (contextual escaping), self-contained
// (no external assets: a sign-in page must not depend on a CDN) and never cached.

//go:embed templates/*.html
var templateFiles embed.FS

var (
	errorTemplate  = mustPage("error.html")
	choiceTemplate = mustPage("choice.html")
)

func mustPage(name string) *template.Template {
	return template.Must(template.New(name).ParseFS(templateFiles, "templates/layout.html", "templates/"+name))
}

// pageHeaders are sent with every page: never cached, not framed by other sites, no
// scripts or external loads unless a page says so.
func pageHeaders() []Header {
	return []Header{
		{"content-type", "text/html; charset=utf-8"},
		{"cache-control", "no-store"},
		{"x-frame-options", "DENY"},
		{"content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
		{"referrer-policy", "no-referrer"},
	}
}

func render(t *template.Template, status int, data any, extra ...Header) *Response {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		// The templates are fixed and tested; reaching this is a bug, still answered.
		return &Response{Status: 500, Headers: []Header{{"content-type", "text/plain; charset=utf-8"}, {"cache-control", "no-store"}}, Body: []byte("exeunt: page rendering failed\n")}
	}
	return &Response{Status: status, Headers: append(pageHeaders(), extra...), Body: b.Bytes()}
}

type errorPageData struct {
	Lang, Title, Message, Reference, RetryURL string
}

// errorPage answers a browser with a readable page. message is for the user; what went
// wrong in detail goes to the log, never to the page.
func errorPage(status int, title, message, retryURL string, extra ...Header) *Response {
	return render(errorTemplate, status, errorPageData{Lang: "en", Title: title, Message: message, RetryURL: retryURL}, extra...)
}

type choiceProvider struct{ Name, URL string }

type choicePageData struct {
	Lang, Title string
	Providers   []choiceProvider
}
