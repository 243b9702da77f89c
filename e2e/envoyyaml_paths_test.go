package e2e

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/demo"
)

// TestShippedEnvoyYAMLPathsAsEnvoyRoutesThem: the demo from the shipped envoy.yaml (the real
// provider and apps, build/exeunt.wasm in hostsim serve, on free ports), with requests whose
// paths were App One's pages signed out before the connection manager's path options (issue
// 11): each is refused by the connection manager or reaches the filter as /app1/..., which sends
// the browser to sign in; none reaches App One. The public asset route reaches App One (the
// filter's switch itself is tested in hostsim/serve, TestServePerRouteFilterDisabled).
func TestShippedEnvoyYAMLPathsAsEnvoyRoutesThem(t *testing.T) {
	wasmFile(t, "exeunt.wasm")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	log := &serveLog{}
	d, err := demo.Start(context.Background(), demo.Options{
		ConfigPath: filepath.Join(root, "envoy.yaml"), Dir: root, FreePorts: true, VMs: 1,
		Log: log, LogLevel: "warning", CacheDir: os.Getenv("HOSTSIM_CACHE_DIR"),
	})
	if err != nil {
		t.Fatalf("starting the demo: %v\n%s", err, log)
	}
	defer d.Close()
	host := strings.TrimPrefix(strings.TrimSuffix(d.Issuer, "/"), "http://")

	for _, tt := range []struct {
		path   string
		status int // 400: refused by the connection manager; 302: for the filter to decide
	}{
		{"/app1%2F", 400},
		{"/app1%2Fsecret", 400},
		{"/app1%5Csecret", 400},
		{"/%61pp1/", 302},
		{"/ap%70%31/", 302},
		{"//app1/", 302},
		{"/./app1/", 302},
		{"/x/../app1/", 302},
		{"/public/../app1/", 302},
		{`/x/..\app1/`, 302},
		{"/app1/#frag", 400},
		{"/app1/%00", 400},
	} {
		res := rawPathRequest(t, d.ListenerAddr, host, tt.path, "")
		if tt.status == 400 {
			if res.StatusCode != 400 {
				t.Errorf("GET %s: %d, want the connection manager's 400", tt.path, res.StatusCode)
			}
			continue
		}
		// The filter decides on /app1/: sign in (a redirect, to the provider or to Exeunt's
		// own sign-in) or a refusal; never App One's page.
		switch loc := res.Header.Get("Location"); {
		case res.StatusCode == 302 || res.StatusCode == 303:
			if u, err := url.Parse(loc); err != nil || strings.HasPrefix(u.Path, "/app1") {
				t.Errorf("GET %s: %d to %q, want sign-in", tt.path, res.StatusCode, loc)
			}
		case res.StatusCode == 401 || res.StatusCode == 403:
		default:
			t.Errorf("GET %s: %d, want sign-in or a refusal", tt.path, res.StatusCode)
		}
	}
	// The public asset route: App One answers with its icon, without a session.
	res := rawPathRequest(t, d.ListenerAddr, host, "/favicon.ico", "Cookie: exeunt_session=x\r\nX-Exeunt-Sub: forged\r\n")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || res.Header.Get("Location") != "" {
		t.Errorf("GET /favicon.ico: %d %q %q, want App One's icon", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Location"))
	}
}

// rawRequest sends GET path exactly as written (net/http's client would clean it).
func rawPathRequest(t *testing.T, addr, host, path, extra string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+host+"\r\n"+extra+"Connection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}
