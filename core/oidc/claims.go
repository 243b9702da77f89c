package oidc

import (
	"encoding/json"
	"strconv"
	"time"
)

// audience is the "aud" claim: one string, or an array of strings (RFC 7519 §4.1.3).
type audience []string

// UnmarshalJSON implements json.Unmarshaler.
func (a *audience) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil && data[0] == '"' {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil || data[0] != '[' {
		return errorf(ErrMalformed, "aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

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
// that may have a fraction, which is dropped.
type numericDate int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *numericDate) UnmarshalJSON(data []byte) error {
	f, err := strconv.ParseFloat(string(data), 64)
	if err != nil || f >= maxNumericDate || f <= -maxNumericDate {
		return errorf(ErrMalformed, "a time claim is not a number of seconds")
	}
	*n = numericDate(f)
	return nil
}

// Time is the date as a time.Time; the zero time when n is nil (the claim was absent).
func (n *numericDate) Time() time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(int64(*n), 0)
}
