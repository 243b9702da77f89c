// Package examples holds the installation examples (istio/, envoy-gateway/) and the test
// that checks them against the projects' own API types and schemas, so that an example
// that would not apply, or not do what it says, fails `make test`. There is no Go code
// here besides that test.
package examples
