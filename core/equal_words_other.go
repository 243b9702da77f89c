//go:build !wasm

package core

// wordCompare: off wasm, Go's own comparison is already word-wide (equal_words.go).
const wordCompare = false
