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
// docs/security-model.md).
//
// This package imports only the standard library (and, later, go-jose); it must never
// import the Proxy-Wasm SDK.
package core
