package core

import (
	"html/template"
	"strings"
	"testing"
)

// The escapers in html.go must be html/template's in the contexts the pages use them
// in. html/template runs here, in the tests only (it is not in the module), as the
// reference: each case is rendered by it and by the htmlWriter.

// escaperContexts are the places the pages put values, as html/template templates, and
// the htmlWriter method that must write the same.
var escaperContexts = []struct {
	name, tmpl, before, after string
	write                     func(w *htmlWriter, s string)
}{
	{"text", `<p>{{.}}</p>`, "<p>", "</p>", (*htmlWriter).text},
	{"title", `<title>{{.}}</title>`, "<title>", "</title>", (*htmlWriter).text},
	{"attribute", `<p title="{{.}}">`, `<p title="`, `">`, (*htmlWriter).text},
	{"data attribute", `<p data-done="{{.}}">`, `<p data-done="`, `">`, (*htmlWriter).text},
	{"input value", `<input value="{{.}}">`, `<input value="`, `">`, (*htmlWriter).text},
	{"href", `<a href="{{.}}">`, `<a href="`, `">`, (*htmlWriter).url},
	{"img src", `<img src="{{.}}">`, `<img src="`, `">`, (*htmlWriter).url},
	{"iframe src", `<iframe src="{{.}}">`, `<iframe src="`, `">`, (*htmlWriter).url},
	{"form action", `<form action="{{.}}">`, `<form action="`, `">`, (*htmlWriter).url},
	{"link href", `<link rel="stylesheet" href="{{.}}">`, `<link rel="stylesheet" href="`, `">`, (*htmlWriter).url},
}

func escapeCorpus() []string {
	c := []string{"", "plain", hostileText, "\x00", "+", "%", "%4", "%41", "%zz", "a%", "\xc3", "\xef\xbf\xbe", "\uFDD0\uFFFE",
		"javascript:x", " javascript:x", "JAVASCRIPT:x", "java\tscript:x", "http:x", "HTTPS://x", "mailto:x", "tel:1", "/a:b", "a/b:c", ":x", "x:",
		"https://h/ü?q='\"()<>{}|\\^`[]@!$&*+,;=#~"}
	c = append(c, hostileURLs...)
	for b := 0; b < 256; b++ {
		c = append(c, "x"+string(rune(b))+"y", "https://h/"+string([]byte{byte(b)}))
	}
	return c
}

func checkEscapersMatch(t *testing.T, s string) {
	t.Helper()
	for _, ctx := range escaperContexts {
		tm := template.Must(template.New("").Parse(ctx.tmpl))
		var want strings.Builder
		if err := tm.Execute(&want, s); err != nil {
			t.Fatalf("%s: html/template: %v", ctx.name, err)
		}
		w := htmlWriter{}
		w.raw(ctx.before)
		ctx.write(&w, s)
		w.raw(ctx.after)
		if got := w.b.String(); got != want.String() {
			t.Errorf("%s of %q:\n got %q\nwant %q (html/template)", ctx.name, s, got, want.String())
		}
	}
}

func TestEscapersMatchHTMLTemplate(t *testing.T) {
	for _, s := range escapeCorpus() {
		checkEscapersMatch(t, s)
	}
}

// FuzzEscapersMatchHTMLTemplate searches for a string the two escape differently
// (go test ./core -run '^$' -fuzz FuzzEscapersMatchHTMLTemplate); plain go test runs
// the corpus.
func FuzzEscapersMatchHTMLTemplate(f *testing.F) {
	for _, s := range escapeCorpus() {
		f.Add(s)
	}
	f.Fuzz(checkEscapersMatch)
}

// TestCheckSessionJSONMatchesHTMLTemplate: the check_session_iframe's configuration is
// written as html/template wrote a value in a JSON script element.
func TestCheckSessionJSONMatchesHTMLTemplate(t *testing.T) {
	tm := template.Must(template.New("").Parse(`<script type="application/json">{{.}}</script>`))
	for _, s := range escapeCorpus() {
		c := checkSessionConfig{Cookie: s, Clients: map[string][]string{s: {s, "https://a"}, "b": nil}}
		var want strings.Builder
		if err := tm.Execute(&want, c); err != nil {
			t.Fatal(err)
		}
		b, err := checkSessionHTML(c)
		if err != nil {
			t.Fatal(err)
		}
		got := string(b)
		const open = `<script id="exeunt-check-session" type="application/json">`
		got = got[strings.Index(got, open)+len(open):]
		got = `<script type="application/json">` + got[:strings.Index(got, "</script>")+len("</script>")]
		if got != want.String() {
			t.Errorf("config with %q:\n got %s\nwant %s", s, got, want.String())
		}
	}
}
