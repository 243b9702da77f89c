package core

import (
	"net/url"
	"testing"
	"time"
)

// A client (or the rate limiter or gateway in front of it) that answers 429 Too Many
// Requests, 408 Request Timeout or 425 Too Early says "not now", not "never": the logout
// token is retried with backoff, as after a 5xx or no answer, until the deadline. Other
// 4xx answers are final (TestBackchannelRetriesUntilDeliveredWithFreshTokens).
func TestBackchannelRetriesATemporaryRefusal(t *testing.T) {
	for _, status := range []int{429, 408, 425} {
		s := newSignoutEnv(t, nil)
		s.apps.answer = func(cluster string, attempt int) int {
			if attempt == 1 {
				return status
			}
			return 200
		}
		hint, _ := s.signedIn()
		location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})))
		s.tick()
		s.now = s.now.Add(1100 * time.Millisecond)
		s.tick()
		if n := len(s.apps.tokens["app1"]); n != 2 {
			t.Errorf("HTTP %d: app1 got %d attempts, want 2 (the refusal, then the retry)", status, n)
		}
		if s.metrics.get("exeunt.client.app1.backchannel.sent") != 1 || s.metrics.get("exeunt.client.app1.backchannel.failed") != 0 {
			t.Errorf("HTTP %d: metrics = %v", status, s.metrics.m)
		}
	}
}
