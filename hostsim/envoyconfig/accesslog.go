package envoyconfig

import (
	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	reqwithoutqueryv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/formatter/req_without_query/v3"
)

// AccessLogCommands are the access-log command operators hostsim serve's formatter
// implements (hostsim/serve/accesslog.go); a format with another one is accepted and the
// command reported as not simulated (it prints "-").
var AccessLogCommands = map[string]bool{
	"START_TIME": true, "REQ": true, "RESP": true, "REQ_WITHOUT_QUERY": true, "PROTOCOL": true,
	"RESPONSE_CODE": true, "RESPONSE_FLAGS": true, "BYTES_RECEIVED": true, "BYTES_SENT": true,
	"DURATION": true, "UPSTREAM_HOST": true, "DOWNSTREAM_REMOTE_ADDRESS": true,
	"DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT": true, "ROUTE_NAME": true, "UPSTREAM_CLUSTER": true,
}

// accessLogFormat returns the text format of the first stdout, stderr or file access log,
// or "" for Envoy's default format. Envoy refuses %REQ_WITHOUT_QUERY(...)% unless its
// formatter extension (envoy.formatter.req_without_query) is listed in the format's
// formatters: "Not supported field in StreamInfo: REQ_WITHOUT_QUERY"
// (source/common/formatter/substitution_formatter.h, v1.33.0); so does Load.
func (b *builder) accessLogFormat(p string, logs []*accesslogv3.AccessLog) string {
	for i, al := range logs {
		ap := elem(p, i, al.GetName())
		b.rest(ap, al, "name", "typed_config")
		m, err := unpack(al.GetTypedConfig())
		if err != nil {
			b.errs.add(ap+".typed_config", "%s", err)
			continue
		}
		var lf *corev3.SubstitutionFormatString
		switch l := m.(type) {
		case *streamv3.StdoutAccessLog:
			lf = l.GetLogFormat()
		case *streamv3.StderrAccessLog:
			lf = l.GetLogFormat()
		case *filev3.FileAccessLog:
			// hostsim writes every access log to its own log output.
			b.unsupported.add(ap+".typed_config.path", "hostsim writes the access log to its log output, not to %q", l.GetPath())
			lf = l.GetLogFormat()
			if l.GetFormat() != "" {
				lf = &corev3.SubstitutionFormatString{Format: &corev3.SubstitutionFormatString_TextFormat{TextFormat: l.GetFormat()}}
			}
		default:
			b.unsupported.add(ap, "access logger %s is not simulated by hostsim", al.GetTypedConfig().GetTypeUrl())
			continue
		}
		if lf == nil {
			return ""
		}
		fp := ap + ".typed_config.log_format"
		b.rest(fp, lf, "text_format", "text_format_source", "formatters")
		format := lf.GetTextFormat()
		if src := lf.GetTextFormatSource(); src != nil {
			b.rest(fp+".text_format_source", src, "inline_string")
			format = src.GetInlineString()
		}
		withoutQuery := false
		for j, f := range lf.GetFormatters() {
			fm, err := unpack(f.GetTypedConfig())
			if err != nil {
				b.errs.add(elem(fp+".formatters", j, f.GetName()), "%s", err)
				continue
			}
			if _, ok := fm.(*reqwithoutqueryv3.ReqWithoutQuery); ok {
				withoutQuery = true
			} else {
				b.unsupported.add(elem(fp+".formatters", j, f.GetName()), "formatter %s is not simulated by hostsim", f.GetTypedConfig().GetTypeUrl())
			}
		}
		for _, c := range accessLogCommand.FindAllStringSubmatch(format, -1) {
			switch {
			case c[1] == "REQ_WITHOUT_QUERY" && !withoutQuery:
				b.errs.add(fp, "Not supported field in StreamInfo: REQ_WITHOUT_QUERY: add the formatter envoy.formatter.req_without_query (type.googleapis.com/envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery) to formatters")
			case !AccessLogCommands[c[1]]:
				b.unsupported.add(fp, "the command %s is not simulated by hostsim (it logs \"-\")", c[0])
			}
		}
		return format
	}
	return ""
}
