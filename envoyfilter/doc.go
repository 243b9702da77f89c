// Package envoyfilter is the thin Proxy-Wasm glue between Envoy and package core.
//
// Each callback reads what the host offers, asks core, applies the decision and
// returns; the logic lives in core. Only the SDK's public proxywasm API is used, so
// the same code runs natively under the SDK's proxytest emulator and, built with
// scripts/build-wasm.sh, inside Envoy. A request core holds on a Wait is asked again
// from the plugin's ticks and answered on its own stream (wait.go).
package envoyfilter
