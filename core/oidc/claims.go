package oidc

import "time"

// audience is the "aud" claim: one string, or an array of strings (RFC 7519 §4.1.3);
// read by its decode method (json.go).
type audience []string

// Contains reports whether v is one of the audiences, exactly.
func (a audience) Contains(v string) bool {
	for _, s := range a {
		if s == v {
			return true
		}
	}
	return false
}

// maxNumericDate bounds a NumericDate in seconds (2^62, far past any real time), so that
// neither the conversion to int64 nor time.Unix overflows into a time in the past.
const maxNumericDate = 1 << 62

// numericDate is a JWT NumericDate (RFC 7519 §2): seconds since the epoch, a JSON number
// that may have a fraction, which is dropped (decodeDate, json.go).
type numericDate int64

// Time is the date as a time.Time; the zero time when n is nil (the claim was absent).
func (n *numericDate) Time() time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(int64(*n), 0)
}
