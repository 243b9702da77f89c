package demo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// docs/fleet.md's Envoy health check of the replicas is valid for Envoy's schema (the same
// check envoy.yaml gets: a misspelt field such as reuse_connection is refused) and probes
// the readiness path.
func TestTheFleetDocsHealthCheckLoads(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "fleet.md"))
	if err != nil {
		t.Fatal(err)
	}
	var block string
	for _, part := range strings.Split(string(doc), "```yaml\n")[1:] {
		if b, _, _ := strings.Cut(part, "```"); strings.HasPrefix(b, "    health_checks:\n") {
			block = b
		}
	}
	if block == "" {
		t.Fatal("docs/fleet.md has no yaml block starting with `    health_checks:`: update this test")
	}
	if !strings.Contains(block, "path: /exeunt/readyz") {
		t.Fatalf("docs/fleet.md's health check does not probe /exeunt/readyz:\n%s", block)
	}
	_, err = envoyconfig.Load([]byte(`static_resources:
  clusters:
  - name: replicas
    type: STATIC
    connect_timeout: 1s
` + block + `    load_assignment:
      cluster_name: replicas
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 10000 } } }
`))
	if err != nil {
		t.Fatalf("docs/fleet.md's health check does not load: %v", err)
	}
}
