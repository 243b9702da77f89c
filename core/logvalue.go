package core

import (
	"strconv"
)

// maxLogged is how many bytes of a value from outside (a request's path or parameter, an
// app's Set-Cookie name) a log line repeats. Envoy lets a request carry 60 KiB of
// headers: a line that echoed all of it would let every request write that much to the
// log.
const maxLogged = 200

// logQuote renders a value from outside for a log line: quoted (Go syntax, so control
// characters and line breaks cannot forge other lines) and, beyond maxLogged bytes, cut
// and marked as cut, with its whole length. Every such value goes through here.
func logQuote(s string) string {
	if len(s) <= maxLogged {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:maxLogged]) + "... (cut, " + strconv.Itoa(len(s)) + " bytes)"
}
