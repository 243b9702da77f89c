package serve

import (
	"fmt"
	"strconv"
	"time"

	"github.com/exeunt/exeunt/hostsim"
)

// accessLogLine formats a request in Envoy's default access-log format:
//
//	[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
//	%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
//	%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
//	"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"
//
// on one line, "-" standing for what is absent, so that tools reading
// Envoy's access logs read these too.
func accessLogLine(start time.Time, req *hostsim.Request, resp *hostsim.Response, info *streamInfo) string {
	upstream, flag := info.get()
	status := strconv.Itoa(resp.Status)
	if resp.Reset {
		status = "0"
	}
	return fmt.Sprintf("[%s] \"%s %s %s\" %s %s %d %d %d %s \"%s\" \"%s\" \"%s\" \"%s\" \"%s\"\n",
		start.UTC().Format("2006-01-02T15:04:05.000Z"), req.Method, req.Path, req.Protocol,
		status, dash(flag), len(req.Body), len(resp.Body), time.Since(start).Milliseconds(),
		dash(resp.HeaderValue("x-envoy-upstream-service-time")),
		dash(pairValue(req.Header, "x-forwarded-for")), dash(pairValue(req.Header, "user-agent")),
		dash(pairValue(req.Header, "x-request-id")), dash(req.Authority), dash(upstream))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
