package core

import (
	"strings"
	"testing"
)

// The other sessions' visits a sign-out of several carries (logoutContext.OtherVisits) are
// only those told by front-channel, and bounded: the context travels in a URL or in a
// store bucket of a few KB, and a browser can carry up to 16 planted sessions.
func TestOtherVisitsHoldFrontchannelClientsWithinTheirBound(t *testing.T) {
	s := newSignoutEnv(t, nil)
	var logs []string
	s.e.log = func(m string) { logs = append(logs, m) }
	var front, back []string
	for _, c := range s.e.cfg.Clients {
		if c.FrontchannelLogoutURI != "" {
			front = append(front, c.ClientID)
		} else {
			back = append(back, c.ClientID)
		}
	}
	if len(front) == 0 || len(back) == 0 {
		t.Fatalf("setup: want clients with and without a front-channel URI, got %v and %v", front, back)
	}
	all := append(append([]string{}, back...), front...)
	got := s.e.addOtherVisits(nil, "sid-1", all)
	want := []string{}
	for _, id := range front {
		want = append(want, "sid-1", id)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("visits %q, want only the front-channel clients' %q", got, want)
	}

	// Many long session ids: the list stops at its bound, each pair whole.
	var visits []string
	sid := strings.Repeat("s", 100)
	for i := 0; i < 200; i++ {
		visits = s.e.addOtherVisits(visits, sid, front)
	}
	size := 0
	for _, v := range visits {
		size += len(v)
	}
	if size > maxOtherVisitsBytes || len(visits)%2 != 0 || len(visits) == 0 {
		t.Fatalf("%d entries of %d bytes, want whole pairs within %d bytes", len(visits), size, maxOtherVisitsBytes)
	}
	if logs := strings.Join(logs, "\n"); !strings.Contains(logs, "front-channel notice of sid="+sid) {
		t.Fatalf("a visit left out was not logged; logs:\n%s", logs)
	}
}
