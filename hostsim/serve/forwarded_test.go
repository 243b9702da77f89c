package serve

import (
	"testing"

	"github.com/exeunt/exeunt/hostsim"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// TestLastAddressFromXFF: the rules of Utility::getLastAddressFromXFF (source/common/http/
// utility.cc): skip entries from the end, trim spaces, an IP literal only (no port), "single"
// for the first entry.
func TestLastAddressFromXFF(t *testing.T) {
	for _, tt := range []struct {
		xff    string
		skip   int
		ip     string
		single bool
		ok     bool
	}{
		{"192.0.2.10, 192.0.2.1, 10.0.0.1", 0, "10.0.0.1", false, true},
		{"192.0.2.10, 192.0.2.1, 10.0.0.1", 1, "192.0.2.1", false, true},
		{"192.0.2.10, 192.0.2.1, 10.0.0.1", 2, "192.0.2.10", true, true},
		{"192.0.2.10, 192.0.2.1, 10.0.0.1", 3, "", false, false},
		{"192.0.2.10", 0, "192.0.2.10", true, true},
		{"  2001:db8::1 ", 0, "2001:db8::1", true, true},
		{"bad, 192.0.2.1", 1, "", false, false},
		{"192.0.2.1:80", 0, "", false, false},
		{"", 0, "", false, false},
	} {
		var h []hostsim.Pair
		if tt.xff != "" {
			h = []hostsim.Pair{{Name: "x-forwarded-for", Value: tt.xff}}
		}
		ip, single, ok := lastAddressFromXFF(h, tt.skip)
		if ip != tt.ip || single != tt.single || ok != tt.ok {
			t.Errorf("%q skip %d: %q %v %v, want %q %v %v", tt.xff, tt.skip, ip, single, ok, tt.ip, tt.single, tt.ok)
		}
	}
	// Repeated x-forwarded-for lines are one list.
	f := mutateRequestHeaders([]hostsim.Pair{{Name: "x-forwarded-for", Value: "192.0.2.1"}, {Name: "x-forwarded-for", Value: "198.51.100.2"}},
		defaultHCMForTest(), "127.0.0.1:5000", "127.0.0.1:10000", false)
	if got := pairValues(f.header, "x-forwarded-for"); len(got) != 1 || got[0] != "192.0.2.1,198.51.100.2, 127.0.0.1" {
		t.Errorf("x-forwarded-for %q", got)
	}
}

func defaultHCMForTest() envoyconfig.HCMOptions {
	return envoyconfig.HCMOptions{UseRemoteAddress: true, GenerateRequestID: true}
}
