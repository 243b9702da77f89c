package core

import (
	"slices"
	"testing"
)

// Every spelling of an identity header an app could read as it (any case, "_" for "-")
// is stripped, the configured names with "_" in them too; other names are left alone.
func TestIdentityHeadersAreStrippedInEverySpellingAnAppReadsAlike(t *testing.T) {
	m := signinConfigMap()
	m["public_path_prefixes"] = []string{"/public/"}
	m["identity_headers"] = map[string]any{"sub": "x_remote_user"}
	e := mustEngine(t, configFrom(t, m))
	d := e.OnRequestHeaders(Request{Method: "GET", Scheme: "https", Authority: "exeunt.test", Path: "/public/x", Headers: []Header{
		{Name: "x_exeunt_sid", Value: "forged"},
		{Name: "x-exeunt_assertion", Value: "forged"},
		{Name: "X_EXEUNT_EMAIL", Value: "forged"},
		{Name: "x_exeunt_sid", Value: "again"},
		{Name: "x-remote-user", Value: "mallory"},
		{Name: "x_remote_user", Value: "mallory"},
		{Name: "x-exeunt-sub", Value: "not an identity header here"},
		{Name: "x_exeunt_sidx", Value: "kept"},
		{Name: "accept", Value: "text/html"},
	}}, e.now)
	want := []string{"x_exeunt_sid", "x-exeunt_assertion", "X_EXEUNT_EMAIL", "x-remote-user", "x_remote_user"}
	if !d.Continues() || !slices.Equal(d.RemoveHeaders, want) {
		t.Fatalf("continues %v, removes %q, want %q", d.Continues(), d.RemoveHeaders, want)
	}
}

// The headers some frameworks read as the request's path are stripped from every request
// passed on, public or signed in, in any spelling: a public path must not lead such an
// app to another page.
func TestPathOverrideHeadersAreStripped(t *testing.T) {
	m := signinConfigMap()
	m["public_path_prefixes"] = []string{"/public/"}
	e := mustEngine(t, configFrom(t, m))
	d := e.OnRequestHeaders(Request{Method: "GET", Scheme: "https", Authority: "exeunt.test", Path: "/public/x", Headers: []Header{
		{Name: "x-original-url", Value: "/app1/admin"},
		{Name: "x_rewrite_url", Value: "/app1/admin"},
		{Name: "x-original-uri", Value: "kept"},
	}}, e.now)
	want := []string{"x-original-url", "x_rewrite_url"}
	if !d.Continues() || !slices.Equal(d.RemoveHeaders, want) {
		t.Fatalf("continues %v, removes %q, want %q", d.Continues(), d.RemoveHeaders, want)
	}
}
