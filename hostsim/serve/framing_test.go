package serve

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// exchange writes raw on conn and reads one response.
func exchange(t *testing.T, conn net.Conn, br *bufio.Reader, raw string) (*http.Response, string) {
	t.Helper()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(body)
}

// TestServeRefusesChunkedWithContentLength: Envoy's HTTP/1 codec answers 400 and closes when a
// request has both Transfer-Encoding and Content-Length ("0" too), unless
// http_protocol_options.allow_chunked_length is set (then the Content-Length is dropped). Go's
// server took the request and forwarded it. Requests kept alive after chunked and sized bodies
// (whose bodies hold header-like text) are framed as Go frames them and go on.
func TestServeRefusesChunkedWithContentLength(t *testing.T) {
	const inner = "Transfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n"
	chunkedBody := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(inner), inner)
	for _, allow := range []bool{false, true} {
		app := upstream(t, "app")
		c := config{app: app.addr()}
		if allow {
			c.hcm = "          http_protocol_options: {allow_chunked_length: true}\n"
		}
		s, log := start(t, c, Options{})
		conn, err := net.Dial("tcp", s.ListenerAddr("main"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		for _, raw := range []string{
			"POST /a HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody,
			"POST /b HTTP/1.1\r\nHost: app.test\r\nContent-Length: 14\r\n\r\nGET / HTTP/1.1",
			"GET /c HTTP/1.1\r\nHost: app.test\r\n\r\n",
		} {
			res, body := exchange(t, conn, br, raw)
			if res.StatusCode != 200 || res.Close {
				t.Fatalf("allow %v: %q: %d %q (close %v), want 200 on a kept connection\n%s", allow, raw, res.StatusCode, body, res.Close, log)
			}
		}
		for _, cl := range []string{"42", "0"} {
			before := app.count()
			raw := "POST /both HTTP/1.1\r\nHost: app.test\r\nContent-Length: " + cl + "\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n0\r\n\r\n"
			if !allow {
				res, _ := exchange(t, conn, br, raw)
				if res.StatusCode != 400 || !res.Close || app.count() != before {
					t.Errorf("Content-Length %s with chunked: %d (close %v, app reached: %v), want Envoy's 400, closing, before the app", cl, res.StatusCode, res.Close, app.count() != before)
				}
				conn.Close()
				if conn, err = net.Dial("tcp", s.ListenerAddr("main")); err != nil {
					t.Fatal(err)
				}
				br = bufio.NewReader(conn)
				continue
			}
			res, _ := exchange(t, conn, br, raw)
			r, body := app.last(t)
			if res.StatusCode != 200 || body != "data" || r.Header.Get("Content-Length") != "" && r.Header.Get("Content-Length") != "4" {
				t.Errorf("allow_chunked_length: Content-Length %s with chunked: %d, app got %q with Content-Length %q; want 200 and the chunked body", cl, res.StatusCode, body, r.Header.Get("Content-Length"))
			}
		}
		if !allow {
			// The refusal on the new connection: and a later request there still goes on.
			res, _ := exchange(t, conn, br, "GET /d HTTP/1.1\r\nHost: app.test\r\n\r\n")
			if res.StatusCode != 200 {
				t.Errorf("a plain GET after the refusals: %d", res.StatusCode)
			}
		}
		conn.Close()
	}
}

// TestServeScannerFollowsPipelinedRequests: requests sent in one write (a chunked body with a
// chunk extension and a trailer section, a sized body, a request without a body) are each
// matched to their head: all answered 200, none refused as unseen.
func TestServeScannerFollowsPipelinedRequests(t *testing.T) {
	app := upstream(t, "app")
	s, log := start(t, config{app: app.addr()}, Options{})
	conn, err := net.Dial("tcp", s.ListenerAddr("main"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw := "POST /a HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n" +
		"POST /b HTTP/1.1\r\nHost: app.test\r\ncontent-length: 3\r\n\r\nabc" +
		"GET /c HTTP/1.1\r\nHost: app.test\r\n\r\n"
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	for _, path := range []string{"/a", "/b", "/c"} {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasSuffix(string(body), path) {
			t.Errorf("%s: %d %q\n%s", path, res.StatusCode, body, log)
		}
	}
}
