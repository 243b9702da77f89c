module github.com/exeunt/exeunt

go 1.26.8

require (
	github.com/go-jose/go-jose/v4 v4.1.8 // indirect
	github.com/tetratelabs/proxy-wasm-go-sdk v0.24.0 // indirect
	github.com/tetratelabs/wazero v1.12.0 // indirect
	golang.org/x/sys v0.44.0 // indirect
)
