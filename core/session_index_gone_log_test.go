package core

import (
	"strings"
	"testing"
)

// A first visit whose session's index record is gone is answered as a signed-out session,
// but the record can be gone without a sign-out: the store lost it (etcd restarted empty,
// a store that dropped it). The log line claimed "was signed out while its first request
// ... was on its way"; it says now only what is known, and carries no token.
func TestAGoneIndexRecordIsLoggedAsGoneNotAsASignOut(t *testing.T) {
	if deferStorePorts || etcdFlows.url != "" {
		t.Skip("the local backend's store is emptied directly")
	}
	s := newSignoutEnv(t, nil)
	var logs []string
	s.e.log = func(m string) { logs = append(logs, m) }
	s.signIn("https://exeunt.test/app1/")
	d := s.request("GET", "https://exeunt.test/app1/")
	sid, assertion := headerValue(d.SetHeaders, "x-exeunt-sid"), headerValue(d.SetHeaders, "x-exeunt-assertion")
	if sid == "" || assertion == "" {
		t.Fatalf("app1 got no session: %+v", d)
	}
	// The store loses the record; no sign-out happened.
	if err := sessionRecords.update(s.e.store, sid, s.now, func(string, bool) mapUpdate { return mapUpdate{delete: true} }); err != nil {
		t.Fatal(err)
	}
	logs = nil
	d = s.request("GET", "https://exeunt.test/app2/")
	if d.Continues() {
		t.Fatal("a first visit whose index record is gone reached the client")
	}
	var line string
	for _, l := range logs {
		if strings.Contains(l, "sid="+sid) {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no log line names sid=%s: %q", sid, logs)
	}
	if strings.Contains(line, "was signed out") || !strings.Contains(line, "index record is gone") ||
		!strings.Contains(line, "signed out, or the store lost it") {
		t.Errorf("log line %q: want it to say only that the index record is gone (signed out, or lost by the store)", line)
	}
	for _, l := range logs {
		for _, secret := range []string{assertion, s.jar["__Host-exeunt"]} {
			if secret != "" && strings.Contains(l, secret) {
				t.Errorf("a log line carries a token: %q", l)
			}
		}
	}
}
