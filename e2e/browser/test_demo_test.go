package browser

import (
	"context"
	"os"
	"testing"

	"github.com/exeunt/exeunt/demo"
	"github.com/exeunt/exeunt/e2e/internal/syncbuf"
)

// startTestDemo starts a demo of a test's own (what names it in failures), on free ports
// with two VMs and the shared compilation cache, stopped when the test ends; when the test
// failed, the demo's log is printed.
func startTestDemo(t *testing.T, what string, o demo.Options) *demo.Demo {
	t.Helper()
	var log syncbuf.Buffer
	o.FreePorts, o.VMs, o.Log, o.LogLevel, o.CacheDir = true, 2, &log, "info", os.Getenv("HOSTSIM_CACHE_DIR")
	d, err := demo.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("starting the demo %s: %v\n%s", what, err, log.String())
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("stopping the demo %s: %v", what, err)
		}
		if t.Failed() {
			t.Logf("the log of the demo %s:\n%s", what, lastLines(log.String(), 200))
		}
	})
	return d
}
