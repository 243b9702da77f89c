package etcdpeer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// MaxResponseBytes bounds what [Peer.Post] reads of one answer.
const MaxResponseBytes = 8 << 20

// Post sends one request to etcd's HTTP/JSON gateway: POST URL+path with the JSON body, and
// token (from /v3/auth/authenticate) in the Authorization header when it is not empty, which
// is where etcd 3.4's gateway takes it from (auth/store.go AuthInfoFromCtx reads the gRPC
// metadata "token", else "authorization"). It returns the status and the body whatever the
// status; err is only for a request that got no answer (etcd down, for one).
func (p *Peer) Post(path string, body []byte, token string) (status int, respBody []byte, err error) {
	req, err := http.NewRequest(http.MethodPost, p.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	respBody, err = io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if len(respBody) > MaxResponseBytes {
		return resp.StatusCode, nil, fmt.Errorf("etcdpeer: the answer to %s is over %d bytes", path, MaxResponseBytes)
	}
	return resp.StatusCode, respBody, nil
}

// User is an etcd user that [Peer.EnableAuth] creates, with read and write access to the
// keys under Prefix (and nothing else).
type User struct {
	Name, Password, Prefix string
}

// EnableAuth turns on etcd's user and password authentication through the gateway, as an
// operator would with etcdctl: it creates the user "root" (with rootPassword and the
// built-in role "root", which auth/enable requires), a role and a user for each of users
// (the role, named after the user, may read and write the keys under the user's Prefix),
// and enables authentication. From then on every key-value request needs a token from
// /v3/auth/authenticate. Any refusal fails the test.
func (p *Peer) EnableAuth(rootPassword string, users ...User) {
	p.tb.Helper()
	type step struct {
		path string
		body any
	}
	steps := []step{
		{"/v3/auth/user/add", map[string]any{"name": "root", "password": rootPassword}},
		{"/v3/auth/user/grant", map[string]any{"user": "root", "role": "root"}},
	}
	for _, u := range users {
		steps = append(steps,
			step{"/v3/auth/user/add", map[string]any{"name": u.Name, "password": u.Password}},
			step{"/v3/auth/role/add", map[string]any{"name": u.Name}},
			step{"/v3/auth/role/grant", map[string]any{"name": u.Name, "perm": map[string]any{
				"permType":  "READWRITE",
				"key":       base64.StdEncoding.EncodeToString([]byte(u.Prefix)),
				"range_end": base64.StdEncoding.EncodeToString(prefixEnd([]byte(u.Prefix))),
			}}},
			step{"/v3/auth/user/grant", map[string]any{"user": u.Name, "role": u.Name}},
		)
	}
	steps = append(steps, step{"/v3/auth/enable", map[string]any{}})
	for _, s := range steps {
		body, err := json.Marshal(s.body)
		if err != nil {
			p.tb.Fatalf("etcdpeer.EnableAuth: %v", err)
		}
		status, resp, err := p.Post(s.path, body, "")
		if err != nil || status != http.StatusOK {
			p.tb.Fatalf("etcdpeer.EnableAuth: %s: %d %s %v", s.path, status, resp, err)
		}
	}
}

// prefixEnd is the range end that covers every key starting with prefix (etcd's
// clientv3.GetPrefixRangeEnd): the prefix with its last byte below 0xff incremented and the
// rest dropped.
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0}
}
