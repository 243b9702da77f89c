package core

import "testing"

// A page of a signed-in session is answered uncacheable even when no cookie is re-sealed
// in the answer: the browser would otherwise keep it in its HTTP cache or its back/forward
// cache and show it, the user's identity and data included, when someone goes back in
// history after the sign-out (e2e/browser TestBackAfterSignOutShowsNoSignedInPage runs it
// in Chromium). Scripts, styles and images keep the app's caching.
func TestASignedInPageIsNeverCached(t *testing.T) {
	b := newBrowser(t)
	b.signIn("https://exeunt.test/app1/")
	b.request("GET", "https://exeunt.test/app1/") // the first visit re-seals the cookie
	for _, tt := range []struct {
		why     string
		headers []Header
		page    bool
	}{
		{"a navigation", []Header{{Name: "sec-fetch-mode", Value: "navigate"}, {Name: "accept", Value: "text/html,*/*"}}, true},
		{"a browser without Fetch Metadata", []Header{{Name: "accept", Value: "text/html,application/xhtml+xml,*/*;q=0.8"}}, true},
		{"a script", []Header{{Name: "sec-fetch-mode", Value: "no-cors"}, {Name: "accept", Value: "*/*"}}, false},
		{"a fetch that accepts HTML", []Header{{Name: "sec-fetch-mode", Value: "cors"}, {Name: "accept", Value: "text/html"}}, false},
		{"an image without Fetch Metadata", []Header{{Name: "accept", Value: "image/avif,image/webp,*/*"}}, false},
	} {
		d := b.request("GET", "https://exeunt.test/app1/report", tt.headers...)
		if !d.Continues() {
			t.Fatalf("%s: %+v", tt.why, d)
		}
		var got []string
		for _, h := range d.ResponseHeaders {
			if h.Name == "cache-control" {
				got = append(got, h.Value)
			}
		}
		switch {
		case tt.page && (len(got) != 1 || got[0] != "private, no-store"):
			t.Errorf("%s: the answer gets cache-control %q, want \"private, no-store\"", tt.why, got)
		case !tt.page && len(d.ResponseHeaders) != 0:
			t.Errorf("%s: the answer gets %+v, want the app's own caching", tt.why, d.ResponseHeaders)
		}
	}
}

// hasHeader reports whether hs has a header named name.
func hasHeader(hs []Header, name string) bool {
	for _, h := range hs {
		if h.Name == name {
			return true
		}
	}
	return false
}
