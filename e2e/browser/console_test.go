package browser

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// consoleWatch collects what Chromium reports as wrong on the pages of Exeunt's site (its
// own pages and the apps behind it): errors in the console (a resource that failed to load
// or answered 4xx/5xx, a Content Security Policy violation, mixed content, a script's
// console.error), warnings about security (mixed content the browser upgraded), and
// exceptions thrown by scripts. The provider's pages are left out: they are another
// project's (oidc-provider's dev pages import a web font from the internet, which fails
// here on purpose).
type consoleWatch struct {
	origin string
	mu     sync.Mutex
	page   string // the tab's address: where a report that names none comes from
	seen   []string
}

// watchConsole starts collecting on the tab of ctx (and its same-site frames, which share
// its target); call check at the end of the test.
func watchConsole(t *testing.T, ctx context.Context) *consoleWatch {
	t.Helper()
	u, err := url.Parse(env.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	w := &consoleWatch{origin: u.Scheme + "://" + u.Host}
	err = chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *page.EventFrameNavigated:
			if e.Frame.ParentID == "" {
				w.mu.Lock()
				w.page = e.Frame.URL
				w.mu.Unlock()
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning && e.Entry.Source == log.EntrySourceSecurity {
				w.add(e.Entry.URL, fmt.Sprintf("%s (%s): %s", e.Entry.Level, e.Entry.Source, e.Entry.Text))
			}
		case *runtime.EventExceptionThrown:
			w.add(e.ExceptionDetails.URL, "exception: "+e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var at string
				if e.StackTrace != nil && len(e.StackTrace.CallFrames) > 0 {
					at = e.StackTrace.CallFrames[0].URL
				}
				w.add(at, "console."+string(e.Type))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *consoleWatch) add(where, what string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if where == "" {
		where = w.page
	}
	if where != w.origin && !strings.HasPrefix(where, w.origin+"/") {
		return
	}
	w.seen = append(w.seen, what+" at "+where)
}

// check fails the test when any page of Exeunt's site reported a problem.
func (w *consoleWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.seen {
		t.Errorf("the browser reported: %s", s)
	}
}
