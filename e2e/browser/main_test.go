// Package browser tests Exeunt as users meet it: a real browser (headless Chromium, driven by
// chromedp) against the demo `make run` starts, from the repository's own envoy.yaml (on free
// ports): build/exeunt.wasm in hostsim serve, oidc-provider v9 with its login form, and the two
// demo apps. Nothing is simulated between the browser and the servers: redirects, cookies,
// forms, iframes and scripts are the browser's own.
//
// A missing Chromium (or build/exeunt.wasm, or the provider's npm install) fails the package;
// nothing is skipped. `make deps` installs Chromium (testpeers/install-chromium.sh).
package browser

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/exeunt/exeunt/demo"
	"github.com/exeunt/exeunt/e2e/internal/syncbuf"
)

var screenshots = flag.String("screenshots", "", "write the README's screenshots into this folder (docs/), serving on envoy.yaml's own ports")

var (
	env        *demo.Demo
	browserCtx context.Context
	demoLog    syncbuf.Buffer
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return fail("%v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "build", "exeunt.wasm")); err != nil {
		return fail("build/exeunt.wasm is missing: run `make test` (or `make wasm`) first")
	}
	chromium, err := findChromium()
	if err != nil {
		return fail("%v", err)
	}

	// Free ports, so that the tests run beside anything else; the screenshots are taken on
	// envoy.yaml's own ports, which is what users see.
	d, err := demo.Start(context.Background(), demo.Options{
		ConfigPath: filepath.Join(root, "envoy.yaml"), Dir: root, FreePorts: *screenshots == "", VMs: 2,
		Log: &demoLog, LogLevel: "info", CacheDir: os.Getenv("HOSTSIM_CACHE_DIR"),
	})
	if err != nil {
		return fail("starting the demo: %v\n%s", err, demoLog.String())
	}
	env = d

	profile, err := os.MkdirTemp("", "exeunt-chromium-")
	if err != nil {
		d.Close()
		return fail("%v", err)
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1100, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		// Nothing leaves the machine: the provider's pages import a web font from the
		// internet, which must fail at once rather than wait for a network that may not be
		// there.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	var cancelBrowser context.CancelFunc
	browserCtx, cancelBrowser = chromedp.NewContext(allocCtx)
	// The first run starts the browser and binds it to this context: no timeout here.
	if err := chromedp.Do(browserCtx); err != nil {
		cancelBrowser()
		cancelAlloc()
		d.Close()
		return fail("starting Chromium (%s): %v", chromium, err)
	}

	code := m.Run()

	cancelBrowser()
	cancelAlloc()
	if err := d.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping the demo: %v\n", err)
		code = 1
	}
	if code != 0 || testing.Verbose() {
		fmt.Fprintf(os.Stderr, "--- the demo's log (hostsim, provider, apps):\n%s", lastLines(demoLog.String(), 300))
	}
	return code
}

func fail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "FAIL: e2e/browser: "+format+"\n", args...)
	return 1
}

// findChromium looks where testpeers/install-chromium.sh looks, in the same order.
func findChromium() (string, error) {
	if p := os.Getenv("EXEUNT_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("EXEUNT_CHROMIUM=%s: %v", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/lib/chromium/chromium"); err == nil {
		return "/usr/lib/chromium/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found: the browser tests need one. Run `make deps` (it installs Debian's chromium when running as root), install it yourself (apt-get install chromium), or set EXEUNT_CHROMIUM to a Chromium or Chrome binary")
}

func lastLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[%d lines before these]\n", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "")
}

// newTab opens a tab in a fresh browser profile (its own cookies: a new user), and returns a
// context for it that ends with the test, bounded by timeout.
func newTab(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	tabCtx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run creates the tab: without the timeout, which would close it.
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(tabCtx, timeout)
	t.Cleanup(cancelTimeout)
	return ctx
}
