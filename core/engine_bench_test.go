package core

import (
	"testing"
)

// BenchmarkSignedInRequest is the engine's own work for a signed-in browser's request
// to a client it has visited before, natively (see e2e for the same through the .wasm).
func BenchmarkSignedInRequest(b *testing.B) {
	br := newBrowser(b)
	br.signIn("https://exeunt.test/app1/")
	br.request("GET", "https://exeunt.test/app1/")
	req := Request{Method: "GET", Path: "/app1/page", Authority: "exeunt.test", Scheme: "https",
		Headers: []Header{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: br.cookieHeader()}}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := br.e.OnRequestHeaders(req, br.now)
		if !d.Continues() || len(d.SetHeaders) == 0 {
			b.Fatalf("not signed in: %+v", d)
		}
	}
}
