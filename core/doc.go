// Package core is everything Exeunt decides, with no I/O of its own.
//
// The Envoy glue (package envoyfilter) reads a request, hands what it read to an
// [Engine], and applies the [Decision] it gets back: answer locally, or let the request
// continue. Keeping the logic here, behind plain values, lets it be tested natively and
// exhaustively, and keeps the glue to a screenful per callback.
//
// Configuration is parsed once, by [ParseConfig], into an immutable [Config].
//
// Every request is first classified by [Config.Classify] (Exeunt's own endpoint, public,
// owned by a client, or owned by nobody); the engine only acts on that answer, so that
// what may reach an app without a session is decided in one place (see
// docs/security-model.md). What configuration determines is derived once when it is
// parsed (the classifier's tables, the logout landing pages, each client's check-session
// origins, the derived cookie names), never per request.
//
// Each call into the engine builds one request view (request_view.go) and hands it to
// the flows: the path without its query, the query, the origin, the cookies, the page
// language and the session the cookie opens are each computed on first use and at most
// once per call; no flow calls the functions behind them. Origins are spelt by one
// normaliser, originOf (classify_host.go), and paths lose their query in one function,
// stripQuery. What one VM remembers between requests to spare work (parsed provider
// keys, assertions, opened cookies, session_state values) is one embedded struct,
// vmCaches (vm_caches.go), apart from the configuration, keys, store and scheduling.
//
// The values exchanged with the glue ([Request], [Header], [Response], [Decision], [Call],
// [CallResult], [Metrics]) are defined in the leaf package core/exchange and named here
// by type aliases, so that packages under core can use them without an import cycle.
// Every counter the engine adds is named in counters.go; Exeunt's own endpoints (path,
// methods, whether the body is read, handler) are one table in own_endpoints.go, which
// Classify looks up once per request (its answer carries the endpoint) and both request
// phases dispatch through. Every error Exeunt answers itself is a failure (failure.go),
// rendered in one place as a translated page or as OAuth JSON; a provider's metadata and
// keys are had, and its tokens verified with at most one refetch, through
// provider_access.go.
//
// State kept outside the cookie (revocations, single-use claims, the session index for
// provider-initiated sign-out, stored logout contexts, the back-channel delivery queue)
// is reached only through store ports by domain (store_ports.go), each stating its
// contract, in continuation style on [Decision] and [Call], so that a synchronous backend
// answers at once and an asynchronous one (etcd, through calls) fits the same flows.
// Proxy-Wasm shared data's hashed buckets are the `local` backend (store_local*.go);
// an etcd v3 cluster shared by a fleet is the `etcd` backend (store_etcd*.go), whose
// sign-outs are reported only once the other replicas acknowledged them (the barrier,
// store_etcd_barrier.go, holding the request on a [Wait]);
// newStorePorts picks the backend by the `store` setting (config_store.go).
//
// This package imports only the standard library and its own packages (core/exchange,
// core/jose, core/jsonx, core/oidc, core/etcdv3); it must never import the Proxy-Wasm SDK. go-jose is a test-only
// dependency, the reference core/jose is checked against.
package core
