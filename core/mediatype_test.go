package core

import (
	"mime"
	"testing"
)

var contentTypeCorpus = []string{
	"", "application/x-www-form-urlencoded", "Application/X-WWW-Form-URLEncoded", " application/x-www-form-urlencoded ",
	"appl\u0130cation/x-www-form-urlencoded", "application/x-www-form-urlencoded;", "application/x-www-form-urlencoded ; ",
	"application/x-www-form-urlencoded;;", "application/x-www-form-urlencoded; charset=utf-8", "application/x-www-form-urlencoded;charset=\"utf-8\"",
	"application/x-www-form-urlencoded; charset", "application/x-www-form-urlencoded; charset=", "application/x-www-form-urlencoded; =x",
	"application/x-www-form-urlencoded; a=1; a=1", "application/x-www-form-urlencoded; a=1; A=2", "application/x-www-form-urlencoded; a*=1; a=2",
	"application/x-www-form-urlencoded; a*0=x; a*0=y", "application/x-www-form-urlencoded; a=\"x\\\"y\"", "application/x-www-form-urlencoded; a=\"x\\y\"",
	"application/x-www-form-urlencoded; a=\"unterminated", "application/x-www-form-urlencoded; a=\"x\ry\"", "application/x-www-form-urlencoded; a=\"\"",
	"application/x-www-form-urlencoded; a=b c", "application/x-www-form-urlencoded\u00a0; a=b", "application/x-www-form-urlencoded;\u00a0a=b",
	"application/x-www-form-urlencoded; a=é", "application/x-www-form-urlencoded x", "multipart/form-data", "text/plain",
	"application/x-www-form-urlencoded; a=1 ;b=2", "application/x-www-form-urlencoded; a=1;", "application/x-www-form-urlencoded; a=1; ;",
}

func formContentTypeByMime(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

func TestFormContentTypeMatchesMime(t *testing.T) {
	for _, v := range contentTypeCorpus {
		if got, want := isFormContentType(v), formContentTypeByMime(v); got != want {
			t.Errorf("isFormContentType(%q) = %v, mime.ParseMediaType says %v", v, got, want)
		}
	}
}

// FuzzFormContentTypeMatchesMime: go test ./core -run '^$' -fuzz FuzzFormContentTypeMatchesMime
func FuzzFormContentTypeMatchesMime(f *testing.F) {
	for _, v := range contentTypeCorpus {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := isFormContentType(v), formContentTypeByMime(v); got != want {
			t.Errorf("isFormContentType(%q) = %v, mime.ParseMediaType says %v", v, got, want)
		}
	})
}
