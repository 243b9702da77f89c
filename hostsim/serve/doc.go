// Package serve runs hostsim as a local stand-in for Envoy: it reads the same
// envoy.yaml (through hostsim/envoyconfig, on Envoy's own schema), starts the
// wasm filters it names in hostsim, and serves HTTP on every listener, each
// request going through the filter chain, then Envoy's routing, to a cluster.
//
// What it does as Envoy does, and where:
//
//   - server.go: Start checks the whole configuration before anything runs
//     (a parse error names the field; settings hostsim does not simulate are
//     named in one warning, or refused with Options.Strict), reads the .wasm
//     files and certificates, binds every listener and the admin address,
//     starts the plugins, then serves. Every failure is an error from Start,
//     never a hang.
//   - plugin.go: one hostsim.Host per distinct wasm plugin, as Envoy shares
//     a plugin's VMs between the listeners that configure it identically;
//     Options.VMs VMs each, as Envoy runs one per worker thread.
//   - listener.go: a downstream request becomes a hostsim.Request and runs
//     through the chain as the connection manager runs it: header limits
//     (limits.go, 431), path normalisation (path_normalize.go: 400 or 307
//     before any filter), x-forwarded-* and the client address
//     (forwarded.go), the route, the filters the route does not disable
//     (typed_per_filter_config), the router; request and stream idle
//     timeouts (timeouts.go, 408). A filter whose VM failed answers 503, or
//     is skipped with fail_open.
//   - tls.go: TLS listeners (crypto/tls with the files the yaml names) and
//     upstream TLS with SNI and Envoy's certificate validation.
//   - routing.go: virtual hosts by domain (exact, "*.suffix", "prefix*",
//     "*", longest wildcard first, the port included as Envoy matches it)
//     and routes by prefix, path or path_separated_prefix, first match wins.
//   - router.go, cluster.go: the router proxies to the route's cluster
//     (endpoints round-robin, connect_timeout, the route timeout) and answers
//     as Envoy does when it cannot: 404 with no route, 503 "no healthy
//     upstream" or "upstream connect error ...", 504 "upstream request
//     timeout". The filters' HTTP callouts reach the same clusters.
//   - admin.go, stats.go: /stats (text, ?format=json), /ready, /server_info;
//     the guest's metrics appear with Envoy's "wasmcustom." prefix.
//   - logging.go, accesslog.go: log lines in Envoy's format, the guest's own
//     ("wasm log <plugin> <root_id> <vm_id>: ...") at their levels, and an
//     access-log line per request when the connection manager has an
//     access_log, in its log_format or in Envoy's default format with the
//     path printed without its query.
//
// What it does not do: HTTP/2, streaming bodies (requests and responses are
// buffered whole, as a filter that reads them makes Envoy do), retries,
// health checks, hot restart. docs/hostsim-serve-and-envoy.md lists each
// behaviour with the Envoy source it follows and its test.
//
// Like all of hostsim, this package knows its guest only through the ABI:
// it never imports the filter's code.
package serve
