package serve

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// adminHandler serves the part of Envoy's admin interface that a local
// stand-in needs: readiness for scripts, stats for the filter's metrics,
// server_info for tools that ask what they talk to.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		// Start returns only once everything listens and every plugin
		// started: whoever can ask is talking to a live server.
		fmt.Fprintln(w, "LIVE")
	})
	mux.HandleFunc("/server_info", s.serverInfo)
	mux.HandleFunc("/stats", s.statsPage)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		if r.URL.Path != "/" {
			// Envoy answers an unknown admin path with 404 and the list.
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, "invalid path. admin commands are:\n")
		}
		fmt.Fprint(w, adminHelp)
	})
	return mux
}

const adminHelp = `  /: this list
  /ready: print server state, LIVE when serving
  /server_info: print server version and state, as JSON
  /stats: print server stats (?format=json, ?filter=REGEX, ?usedonly)
`

func (s *Server) serverInfo(w http.ResponseWriter, r *http.Request) {
	up := strconv.Itoa(int(time.Since(s.started).Seconds())) + "s"
	info := map[string]any{
		"version":              "hostsim (a Proxy-Wasm host on wazero standing in for Envoy)",
		"state":                "LIVE",
		"uptime_current_epoch": up,
		"uptime_all_epochs":    up,
		"command_line_options": map[string]any{
			"config_path": s.opts.ConfigPath,
			"concurrency": s.opts.VMs,
			"log_level":   levelNames[s.log.level],
			"base_dir":    s.opts.BaseDir,
		},
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(info)
}

// statsPage is /stats as Envoy writes it: "name: value" lines sorted by name
// (counters and gauges together), then the histograms; or, with
// ?format=json, {"stats": [{"name", "value"}..., {"histograms": ...}]}.
// ?filter=REGEX keeps the names it matches; ?usedonly drops zero values.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var filter *regexp.Regexp
	if f := q.Get("filter"); f != "" {
		var err error
		if filter, err = regexp.Compile(f); err != nil {
			http.Error(w, "Invalid regex: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	_, usedOnly := q["usedonly"]
	keep := func(name string) bool { return filter == nil || filter.MatchString(name) }
	values, hists := s.stats.snapshot(s.hosts)

	switch format := q.Get("format"); format {
	case "", "text":
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		var b strings.Builder
		for _, v := range values {
			if keep(v.name) && !(usedOnly && v.value == 0) {
				fmt.Fprintf(&b, "%s: %d\n", v.name, v.value)
			}
		}
		for _, h := range hists {
			if !keep(h.name) || usedOnly && len(h.samples) == 0 {
				continue
			}
			if len(h.samples) == 0 {
				fmt.Fprintf(&b, "%s: No recorded values\n", h.name)
				continue
			}
			// Envoy prints (interval,cumulative) per quantile; hostsim has
			// no flush intervals, so the interval part is nan.
			parts := make([]string, len(supportedQuantiles))
			for i, p := range supportedQuantiles {
				parts[i] = fmt.Sprintf("P%s(nan,%s)", fmtFloat(p), fmtFloat(quantile(h.samples, p)))
			}
			fmt.Fprintf(&b, "%s: %s\n", h.name, strings.Join(parts, " "))
		}
		fmt.Fprint(w, b.String())
	case "json":
		type stat struct {
			Name  string `json:"name"`
			Value int64  `json:"value"`
		}
		type qv struct {
			Interval   *float64 `json:"interval"`
			Cumulative *float64 `json:"cumulative"`
		}
		type computed struct {
			Name   string `json:"name"`
			Values []qv   `json:"values"`
		}
		out := []any{}
		for _, v := range values {
			if keep(v.name) && !(usedOnly && v.value == 0) {
				out = append(out, stat{v.name, v.value})
			}
		}
		cq := []computed{}
		for _, h := range hists {
			if !keep(h.name) || usedOnly && len(h.samples) == 0 {
				continue
			}
			c := computed{Name: h.name}
			for _, p := range supportedQuantiles {
				var cum *float64
				if x := quantile(h.samples, p); !math.IsNaN(x) {
					cum = &x
				}
				c.Values = append(c.Values, qv{Cumulative: cum})
			}
			cq = append(cq, c)
		}
		if len(cq) > 0 {
			out = append(out, map[string]any{"histograms": map[string]any{
				"supported_quantiles": supportedQuantiles, "computed_quantiles": cq}})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"stats": out})
	default:
		http.Error(w, fmt.Sprintf("hostsim: unsupported stats format %q: use text or json", format), http.StatusBadRequest)
	}
}

func fmtFloat(f float64) string {
	if math.IsNaN(f) {
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
