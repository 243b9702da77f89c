//go:build wasm

package core

// wordCompare: on wasm, sameLong compares eight bytes at a time (equal_words.go).
const wordCompare = true
