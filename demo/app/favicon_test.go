package app

import (
	"bytes"
	"image/png"
	"net/http/httptest"
	"testing"
)

// Browsers ask for /favicon.ico by themselves: the app answers with an image, not a 404
// that every page would log as an error in the console.
func TestFaviconIsAnImage(t *testing.T) {
	a := newTestApp(t, newFakeExeunt(t))
	rec := do(a, httptest.NewRequest("GET", "/favicon.ico", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("GET /favicon.ico: %d %v", rec.Code, rec.Header())
	}
	img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
	if err != nil || img.Bounds().Dx() != 32 || img.Bounds().Dy() != 32 {
		t.Fatalf("the icon: %v %v", err, img)
	}
	if rec := do(a, httptest.NewRequest("POST", "/favicon.ico", nil)); rec.Code != 405 {
		t.Fatalf("POST /favicon.ico: %d, want 405", rec.Code)
	}
}
