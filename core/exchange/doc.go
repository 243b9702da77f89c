// Package exchange holds the values the Envoy glue and the engine exchange: the
// [Request] the glue reads, the [Decision] the engine returns (answer with a [Response],
// make a [Call] and continue with its [CallResult], read the body, or let the request
// through), and the [Metrics] the engine counts into.
//
// It is a leaf: it imports only the standard library, so that any package under core
// (a store backend that builds calls, say) can use these types without importing core
// and making a cycle. Package core re-exports every name here as an alias (core.Request
// is exchange.Request), so code written against core does not change. See RATIONALE.md,
// "Why a leaf package for the shared types?".
package exchange
