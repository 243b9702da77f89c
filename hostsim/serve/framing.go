package serve

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/exeunt/exeunt/hostsim"
)

// Envoy's HTTP/1 codec refuses a request that carries both Transfer-Encoding and
// Content-Length: ConnectionImpl::onHeadersCompleteImpl (source/common/http/http1/codec_impl.cc)
// reads, in the BalsaParser era (the parser_->hasTransferEncoding() that balsa_parser.cc
// implements at envoyproxy/envoy ee2107ff, where BalsaFrame is told
// disallow_transfer_encoding_with_content_length = false and so leaves the check to the codec;
// Balsa is the only HTTP/1 parser since 1.35)
//
//	if (parser_->hasTransferEncoding() != 0 && request_or_response_headers.ContentLength()) {
//	  if (parser_->isChunked() && codec_settings_.allow_chunked_length_) {
//	    request_or_response_headers.removeContentLength();
//	  } else { error_code_ = Http::Code::BadRequest; sendProtocolError(ChunkedContentLength) ...
//
// (two stored copies of that file read the same; the search index did not name their commit.
// envoyproxy/envoy's own stored copy, 004dc2ad, is from the http-parser era and tested a
// Content-Length above 0 instead of its presence.) Http1ProtocolOptions.allow_chunked_length
// (api/envoy/config/core/v3/protocol.proto, envoyproxy/envoy 001692b8): "By default such
// messages are rejected". So it is a 400 "Bad Request" and the connection closes, whatever the
// Content-Length's value ("0" included), unless http_protocol_options.allow_chunked_length is
// set and the encoding is chunked (then the Content-Length is dropped and the request goes on).
// It comes after the request line's checks and the header limits, and before the absolute
// URL's scheme and the protocol version are checked (onHeadersCompleteBase). Go's server takes
// such a request and deletes the Content-Length before the handler runs (net/http fixLength),
// so the handler cannot see that there was one: the listener's connections are read through a
// headScanner, which notes for each request head whether it had both fields.

// headFacts is what the scanner notes about one request head.
type headFacts struct {
	requestLine      string
	transferEncoding bool
	contentLength    bool
}

// headScanner follows an HTTP/1 connection's bytes as Go's server reads them, splits them into
// requests with Go's own framing rules (Transfer-Encoding wins over Content-Length from
// HTTP/1.1 on; HTTP/1.0 ignores Transfer-Encoding; no length, no body) and queues the facts of
// each head for the handler, which takes them in order. Its memory is one line at a time.
type headScanner struct {
	mu    sync.Mutex
	heads []headFacts
	lost  bool // the bytes made no sense to it: Go's server has refused them and closes

	state     scanState
	line      []byte
	cur       headFacts
	http10    bool
	length    string // the first Content-Length value
	remaining int64
}

type scanState int

const (
	scanRequestLine scanState = iota
	scanHeader
	scanBody
	scanChunkSize
	scanChunkData
	scanChunkEnd
	scanTrailer
)

// maxScanLine bounds a line the scanner keeps: past Go's own limits on a head (MaxHeaderBytes,
// at most a few MB here) and on a chunk-size line (4 KiB), Go has already refused the request.
const maxScanLine = 8 << 20

// write feeds the bytes Go's server just read.
func (s *headScanner) write(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(p) > 0 && !s.lost {
		switch s.state {
		case scanBody, scanChunkData:
			n := int64(len(p))
			if n > s.remaining {
				n = s.remaining
			}
			p, s.remaining = p[n:], s.remaining-n
			if s.remaining == 0 {
				if s.state == scanBody {
					s.state = scanRequestLine
				} else {
					s.state = scanChunkEnd
				}
			}
			continue
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.line = append(s.line, p...)
			p = nil
		} else {
			s.line = append(s.line, p[:i]...)
			p = p[i+1:]
		}
		if len(s.line) > maxScanLine {
			s.lost = true
			return
		}
		if i >= 0 {
			line := string(bytes.TrimSuffix(s.line, []byte("\r")))
			s.line = s.line[:0]
			s.endLine(line)
		}
	}
}

// endLine takes one complete line (without its CRLF or LF).
func (s *headScanner) endLine(line string) {
	switch s.state {
	case scanRequestLine:
		if line == "" {
			return // blank lines between requests
		}
		s.cur, s.length = headFacts{requestLine: line}, ""
		version := line[strings.LastIndexByte(line, ' ')+1:]
		major, minor, ok := http.ParseHTTPVersion(version)
		s.http10 = !ok || major < 1 || major == 1 && minor < 1
		s.state = scanHeader
	case scanHeader:
		if line != "" {
			name, value, ok := strings.Cut(line, ":")
			switch {
			case !ok:
			case strings.EqualFold(name, "transfer-encoding"):
				s.cur.transferEncoding = true
			case strings.EqualFold(name, "content-length"):
				if !s.cur.contentLength {
					s.length = strings.TrimSpace(value)
				}
				s.cur.contentLength = true
			}
			return
		}
		s.heads = append(s.heads, s.cur)
		switch {
		case s.cur.transferEncoding && !s.http10:
			s.state = scanChunkSize
		case s.cur.contentLength:
			n, err := strconv.ParseInt(s.length, 10, 64)
			if err != nil || n < 0 {
				s.lost = true // Go answers 400 and closes
				return
			}
			s.remaining, s.state = n, scanBody
			if n == 0 {
				s.state = scanRequestLine
			}
		default:
			s.state = scanRequestLine
		}
	case scanChunkSize:
		size, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 {
			s.lost = true
			return
		}
		s.remaining, s.state = n, scanChunkData
		if n == 0 {
			s.state = scanTrailer
		}
	case scanChunkEnd:
		s.state = scanChunkSize
	case scanTrailer:
		if line == "" {
			s.state = scanRequestLine
		}
	}
}

// take returns the facts of the head whose request line is line, dropping those of heads Go
// refused before any handler ran; ok is false when the scanner has none.
func (s *headScanner) take(line string) (headFacts, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.heads) > 0 {
		h := s.heads[0]
		s.heads = s.heads[1:]
		if h.requestLine == line {
			return h, true
		}
	}
	return headFacts{}, false
}

// scanConn is a connection whose reads also go to its scanner.
type scanConn struct {
	net.Conn
	scan *headScanner
}

func (c *scanConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.scan.write(p[:n])
	}
	return n, err
}

// scanListener gives every accepted connection a scanner. Over TLS it wraps the TLS listener,
// so the scanner reads the plain text; Go's server then no longer sees a *tls.Conn (r.TLS is
// nil), which hostsim does not read: the listener knows it serves TLS (listener.tls).
type scanListener struct{ net.Listener }

func (l scanListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &scanConn{Conn: c, scan: &headScanner{}}, nil
}

type scannerKey struct{}

// withScanner is the server's ConnContext: it puts the connection's scanner in every request's
// context.
func withScanner(ctx context.Context, c net.Conn) context.Context {
	if sc, ok := c.(*scanConn); ok {
		return context.WithValue(ctx, scannerKey{}, sc.scan)
	}
	return ctx
}

// chunkedLength is the codec's check quoted at the top of this file: a request with both
// Transfer-Encoding and Content-Length is a 400 unless allow_chunked_length is set (Go's server
// only takes "chunked" as a Transfer-Encoding, and has already dropped the Content-Length). A
// head the scanner did not see is refused too (fail closed); a request not read from a
// connection (a test calling ServeHTTP) is not checked. The head's facts are taken at once (so
// that they are taken whatever the answer); the returned check runs in the codec's order.
func (l *listener) chunkedLength(r *http.Request) func() *hostsim.Response {
	scan, ok := r.Context().Value(scannerKey{}).(*headScanner)
	if !ok {
		return func() *hostsim.Response { return nil }
	}
	h, seen := scan.take(r.Method + " " + r.RequestURI + " " + r.Proto)
	return func() *hostsim.Response {
		if !seen {
			l.srv.log.line(hostsim.LogWarn, mainThread, "http", "listener "+l.name+": a request head hostsim's framing scanner did not see: refused")
			return localReply(http.StatusBadRequest, "Bad Request")
		}
		if h.transferEncoding && h.contentLength && !l.hcm.AllowChunkedLength {
			return localReply(http.StatusBadRequest, "Bad Request")
		}
		return nil
	}
}
