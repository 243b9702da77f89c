package serve

import (
	"strconv"
	"strings"
	"time"

	"github.com/exeunt/exeunt/hostsim"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// defaultAccessLogFormat is hostsim's format when the access log sets none: Envoy's default
// format (source/common/formatter/substitution_format_string.cc, DefaultUnstructuredFormat,
// v1.33.0) with one deliberate difference, the path printed without its query
// (%REQ_WITHOUT_QUERY% instead of %REQ%): queries carry tokens (a front-channel logout's sid,
// an authorization code, an id_token_hint) and tokens stay out of logs (issue 11). Envoy's own
// default prints the query: give a real Envoy the format of the shipped envoy.yaml.
const defaultAccessLogFormat = `[%START_TIME%] "%REQ(:METHOD)% %REQ_WITHOUT_QUERY(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ` +
	`%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ` +
	`%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ` +
	`"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"` + "\n"

// accessLogLine formats a request with the listener's access-log format: the command
// operators of envoyconfig.AccessLogCommands as Envoy's substitution formatter prints them
// (source/common/formatter/stream_info_formatter.cc, http_specific_formatter.cc, and
// source/extensions/formatter/req_without_query/req_without_query.cc), "-" for what is absent
// or not simulated.
func (l *listener) accessLogLine(start time.Time, req *hostsim.Request, resp *hostsim.Response, info *streamInfo) string {
	format := l.accessLogFormat
	if format == "" {
		format = defaultAccessLogFormat
	}
	upstream, flag := info.get()
	duration := time.Since(start)
	return accessLogFormat(format, start, duration, req, resp, upstream, flag)
}

func accessLogFormat(format string, start time.Time, duration time.Duration, req *hostsim.Request, resp *hostsim.Response, upstream, flag string) string {
	return accessLogCommand.ReplaceAllStringFunc(format, func(cmd string) string {
		m := accessLogCommand.FindStringSubmatch(cmd)
		name, arg := m[1], strings.Trim(m[2], "()")
		maxLen := -1
		if m[3] != "" {
			maxLen, _ = strconv.Atoi(m[3][1:])
		}
		var v string
		switch name {
		case "START_TIME":
			v = start.UTC().Format("2006-01-02T15:04:05.000Z")
		case "REQ":
			v = requestHeader(req, arg)
		case "REQ_WITHOUT_QUERY":
			v = requestHeader(req, arg)
			if i := strings.IndexByte(v, '?'); i >= 0 {
				v = v[:i]
			}
		case "RESP":
			for _, h := range strings.Split(arg, "?") {
				if v = resp.HeaderValue(strings.ToLower(h)); v != "" {
					break
				}
			}
		case "PROTOCOL":
			v = req.Protocol
		case "RESPONSE_CODE":
			v = strconv.Itoa(resp.Status)
			if resp.Reset {
				v = "0"
			}
		case "RESPONSE_FLAGS":
			v = flag
		case "BYTES_RECEIVED":
			v = strconv.Itoa(len(req.Body))
		case "BYTES_SENT":
			v = strconv.Itoa(len(resp.Body))
		case "DURATION":
			v = strconv.FormatInt(duration.Milliseconds(), 10)
		case "UPSTREAM_HOST":
			v = upstream
		case "UPSTREAM_CLUSTER":
			v = req.ClusterName
		case "ROUTE_NAME":
			v = req.RouteName
		case "DOWNSTREAM_REMOTE_ADDRESS":
			v = req.SourceAddress
		case "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT":
			v = hostOf(req.SourceAddress)
		}
		if maxLen >= 0 && len(v) > maxLen {
			v = v[:maxLen]
		}
		return dash(v)
	})
}

// requestHeader is %REQ(a?b)%: the first of the headers (pseudo-headers included) that is set.
func requestHeader(req *hostsim.Request, arg string) string {
	for _, h := range strings.Split(arg, "?") {
		var v string
		switch h = strings.ToLower(h); h {
		case ":path":
			v = req.Path
		case ":method":
			v = req.Method
		case ":authority", "host":
			v = req.Authority
		case ":scheme":
			v = req.Scheme
		default:
			v = pairValue(req.Header, h)
		}
		if v != "" {
			return v
		}
	}
	return ""
}

var accessLogCommand = envoyconfig.AccessLogCommandPattern

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
