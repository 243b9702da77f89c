// Package envoyconfig reads an Envoy v3 bootstrap (the project's envoy.yaml) the way Envoy
// would, and turns the part of it that hostsim serves into a small, plain Go model.
//
// [Load] checks the file against Envoy's own protobuf schema, from
// github.com/envoyproxy/go-control-plane: YAML is converted to JSON, decoded with protojson into
// a bootstrap (unknown fields and unknown types are errors, as in Envoy), and validated with the
// generated protoc-gen-validate rules. Those rules stop at every google.protobuf.Any, so Load
// unpacks each Any it finds (listener and network filters, HTTP filters, access loggers, the wasm
// plugin and VM configuration, ...) and validates what it holds too. It then checks what Envoy
// checks beyond the schema and would refuse at startup: every route names a defined cluster,
// cluster and listener names are unique, the router ends each HTTP filter chain, static
// addresses are IP literals, a wasm filter has a runtime and code.
//
// Errors are [*Error] values, joined with errors.Join when there are several. Each names where
// the problem is, as a path of protobuf field names in which list elements carry their `name`:
//
//	envoyconfig: static_resources.listeners[0](main).filter_chains[0].filters[0](envoy.filters.network.http_connection_manager).typed_config.route_config.virtual_hosts[0](demo).routes[0].route.cluster: no cluster named "nope" (clusters: demo_app)
//
// Type URLs resolve only for the extensions this package links in (see extensions.go); a valid
// Envoy configuration that uses another extension fails to load with an error that says so.
//
// A configuration that Envoy accepts may still use features hostsim does not simulate (RDS,
// filters other than wasm and the router, header matchers, ...). Load accepts it and records
// them: [Config.NotSimulated] lists them (hostsim serve names them in one start-up warning) and
// [Config.CheckServable] reports them as an error (hostsim serve -strict).
//
// [LoadRouting] reads the same checked bootstrap into a plain view of every filter chain and
// route, with rewrites and per-filter switches, for checks of where requests go
// (exeunt-check); hostsim does not serve from it.
//
// This package imports go-control-plane, protobuf and sigs.k8s.io/yaml only: never the filter's
// own packages (hostsim is a host; it knows nothing of the plugin it runs).
package envoyconfig
