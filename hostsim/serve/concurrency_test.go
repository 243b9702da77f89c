package serve

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentRequestsOverSeveralVMs: many clients at once, spread over
// four VMs, each request's answer its own. Run under -race.
func TestConcurrentRequestsOverSeveralVMs(t *testing.T) {
	app := upstream(t, "app")
	s, _ := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr(), admin: true}, Options{VMs: 4})
	base := "http://" + s.ListenerAddr("main")
	const clients, each = 12, 10
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				var path, want string
				switch i % 3 {
				case 0:
					path = fmt.Sprintf("/headers?c=%d&i=%d", c, i)
					want = "app GET " + path
				case 1:
					path, want = "/local", "teapot"
				case 2:
					path = fmt.Sprintf("/httpcall-continue?cluster=app&c=%d", c)
					want = "app GET " + path
				}
				res, err := tryGet(base + path)
				if err != nil {
					errs <- err
					continue
				}
				if res.body != want {
					errs <- fmt.Errorf("%s: %d %q, want %q", path, res.status, res.body, want)
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	stats := get(t, "http://"+s.AdminAddr()+"/stats").body
	if !strings.Contains(stats, fmt.Sprintf("wasmcustom.fixture.requests: %d\n", clients*each)) {
		t.Errorf("the VMs' counts do not add up in one metric:\n%s", stats)
	}
}

// tryGet is get for goroutines other than the test's, which must not call
// t.Fatal.
func tryGet(url string) (result, error) {
	res, err := client.Get(url)
	if err != nil {
		return result{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return result{res.StatusCode, res.Header, string(b)}, err
}
