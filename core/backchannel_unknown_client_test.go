package core

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// During a rolling update two configurations share one queue: a sign-out on a VM whose
// configuration gives app2 a backchannel_logout_uri queues app2's notice, and a VM still
// on the configuration without it may claim the delivery first. That VM must leave app2's
// item for one that can send it, not drop it (which left app2 untold for good: the fleet
// probe's TestFleetOperatorProbe/ABackChannelURIRolledOutToOneReplicaFirstIsNotDropped).
// It is dropped at the job's deadline, when nobody has sent it.
func TestADeliveryForAClientThisConfigurationLacksIsLeftForOneThatHasIt(t *testing.T) {
	s := newSignoutEnv(t, nil)
	var logs []string
	shared := NewMemoryStore() // one queue, two configurations
	engine := func(change func(m map[string]any)) *Engine {
		m := signoutConfigMap()
		m["logout"] = map[string]any{"backchannel_deadline": "30s"}
		if change != nil {
			change(m)
		}
		e, err := NewEngine(configFrom(t, m), shared, func(msg string) { logs = append(logs, msg) })
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	withURI := engine(nil)
	without := engine(func(m map[string]any) {
		for _, c := range m["clients"].([]any) {
			if c := c.(map[string]any); c["client_id"] == "app2" {
				delete(c, "backchannel_logout_uri")
				delete(c, "backchannel_cluster")
			}
		}
	})
	s.e = withURI
	hint, sid := s.signedIn()
	s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))
	s.e = without // the VM on the old configuration claims first
	s.tick()
	if n := len(s.apps.tokens["app1"]); n != 1 {
		t.Fatalf("app1, known to both configurations, got %d logout tokens, want 1", n)
	}
	if n := len(s.apps.tokens["app2"]); n != 0 {
		t.Fatalf("the VM without app2's back-channel URI sent app2 %d logout tokens", n)
	}
	if !hasLog(logs, "sid="+sid+" is left for a replica") {
		t.Errorf("no log line says app2's notice was left for another replica: %q", logs)
	}
	// Past the hand-back's delay the VM with app2's URI claims it and sends it, once.
	s.now = s.now.Add(2 * time.Second)
	s.e = withURI
	s.tick()
	if n := len(s.apps.tokens["app2"]); n != 1 {
		t.Fatalf("app2 got %d logout tokens once a VM with its back-channel URI claimed the delivery, want 1", n)
	}
	s.now = s.now.Add(time.Minute)
	s.tick()
	s.e = without
	s.tick()
	if n := len(s.apps.tokens["app2"]) + len(s.apps.tokens["app1"]); n != 2 {
		t.Errorf("%d logout tokens in all, want 2 (one per app)", n)
	}

	// A notice no VM left can send (the URI removed everywhere since) is dropped at the
	// deadline, and not sent.
	s.e = withURI
	logs = nil
	hint, sid = s.signedIn()
	s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))
	s.e = without
	for i := 0; i < 10; i++ {
		s.now = s.now.Add(5 * time.Second)
		s.tick()
	}
	if !hasLog(logs, "dropping its logout token for sid="+sid) {
		t.Errorf("app2's notice, which no configuration left can send, was not dropped at the deadline: %q", logs)
	}
	if n := len(s.apps.tokens["app2"]); n != 1 {
		t.Errorf("app2 got %d logout tokens in all, want the 1 of the first session", n)
	}
}

func hasLog(logs []string, part string) bool {
	for _, l := range logs {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}
