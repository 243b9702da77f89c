package serve

import (
	"regexp"
	"strings"
	"testing"
)

// TestGuestLogsLookLikeEnvoys: the guest's proxy_log lines at their levels
// under the "wasm" logger with Envoy's plugin prefix, filtered by the log
// level, hostsim's own under "main", and an
// access-log line per request in Envoy's default format.
func TestGuestLogsLookLikeEnvoys(t *testing.T) {
	app := upstream(t, "app")
	s, log := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr(), accessLog: true}, Options{LogLevel: "warn"})
	res := get(t, "http://"+s.ListenerAddr("main")+"/log")
	if !strings.Contains(res.body, `"logged":true`) {
		t.Errorf("the guest answered %s", res.body)
	}
	out := log.String()
	line := regexp.MustCompile(`(?m)^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]\[\d+\]\[(\w+)\]\[wasm\] wasm log fixture test_root test_vm: fixture (\w+)$`)
	var got []string
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		got = append(got, m[1]+"="+m[2])
	}
	if strings.Join(got, " ") != "warning=warn error=error critical=critical" {
		t.Errorf("guest log lines %q, want warn and above with Envoy's level names:\n%s", got, out)
	}
	access := regexp.MustCompile(`(?m)^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "GET /log HTTP/1.1" 200 - 0 \d+ \d+ - "-" "Go-http-client/1.1" "[0-9a-f-]{36}" "127\.0\.0\.1:\d+" "-"$`)
	if !access.MatchString(out) {
		t.Errorf("no access-log line in Envoy's format:\n%s", out)
	}
	if strings.Contains(out, "[info]") {
		t.Errorf("info lines at log level warn:\n%s", out)
	}

	// At info, hostsim's own start lines appear, under [main].
	_, log = start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr()}, Options{})
	if !regexp.MustCompile(`(?m)^\[[^]]+\]\[\d+\]\[info\]\[main\] listener main: serving http://127\.0\.0\.1:\d+$`).MatchString(log.String()) {
		t.Errorf("no [main] line for the listener:\n%s", log)
	}
}
