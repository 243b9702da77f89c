package etcdv3

import "errors"

// MaxCredentialBytes bounds the user name and the password [AuthenticateRequest] sends.
const MaxCredentialBytes = 1024

// AuthenticateRequest trades an etcd user's name and password for a token (rpc.proto
// AuthenticateRequest; POST /v3/auth/authenticate), which every further request carries
// ([Gateway.Request]'s token). The password travels in the body: reach etcd over TLS
// anywhere but loopback, and never log the request.
//
// etcd's default "simple" tokens live --auth-token-ttl (300 s) after their last use and are
// lost when the member restarts; "jwt" tokens live their own ttl. Either way a request with
// a token that is no longer valid fails with [ErrInvalidAuthToken]: authenticate again and
// repeat it. A request without a token while authentication is on fails with
// [ErrTokenRequired].
type AuthenticateRequest struct {
	_        [0]func() // not comparable: no equality function in the module (core/nocompare.go)
	Name     string    `json:"name"`
	Password string    `json:"password"`
}

func (*AuthenticateRequest) endpoint() string { return "/auth/authenticate" }

func (r *AuthenticateRequest) check() error {
	if r.Name == "" {
		return errors.New("authenticating needs a user name")
	}
	if len(r.Name) > MaxCredentialBytes || len(r.Password) > MaxCredentialBytes {
		return errors.New("the user name or password is over 1024 bytes")
	}
	return nil
}

// AuthenticateResponse is the answer to an [AuthenticateRequest].
type AuthenticateResponse struct {
	_      [0]func()      // not comparable: no equality function in the module (core/nocompare.go)
	Header ResponseHeader `json:"header"`
	Token  string         `json:"token"`
}
