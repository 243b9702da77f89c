// Package e2e holds cross-package tests of the artefacts the project ships: the built .wasm
// run inside hostsim, and envoy.yaml read both as Envoy reads it (hostsim/envoyconfig) and as
// the filter reads its plugin configuration (core). Its tests may import every package of the
// module; no other package imports it.
package e2e
