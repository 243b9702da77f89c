package e2e

import (
	"strings"
	"testing"
)

// A subject with white space at either end cannot travel as the x-exeunt-sub header:
// every HTTP parser drops a header value's leading and trailing spaces and tabs (RFC 9110
// §5.5), so an app would read "alice " as "alice", another account, while the assertion
// says "alice ". The provider (oidc-provider v9 here, whose sub is the login) signs in
// "alice "; the built .wasm must refuse that sign-in rather than pass it on.
func TestASubjectWithSurroundingSpaceIsNeverPassedOn(t *testing.T) {
	e := newSigninEnv(t)
	authURL := redirectOf(t, e.get("https://exeunt.test/app1/"))
	back, err := e.peer.Login(e.idpJar, authURL, "alice ")
	if err != nil {
		t.Fatal(err)
	}
	resp := e.get(back.String())
	if resp.Status != 400 || !strings.Contains(string(resp.Body), "could not be verified") {
		t.Fatalf("the callback for sub %q answered %d %s", "alice ", resp.Status, resp.HeaderValue("location"))
	}
	if _, ok := e.jar["__Host-exeunt"]; ok {
		t.Fatal("a session cookie was set")
	}
	if r := e.get("https://exeunt.test/app1/"); r.Status == 200 || e.apps.seenBy("app1") != nil {
		t.Fatalf("app1 was reached (%d) with x-exeunt-sub %q", r.Status, e.apps.seenBy("app1").Values("x-exeunt-sub"))
	}
}
