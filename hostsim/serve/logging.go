package serve

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/exeunt/exeunt/hostsim"
)

// logger writes lines in Envoy's default log format,
//
//	[2026-11-22 10:00:00.000][1234][info][main] message
//
// (time, thread id, level, logger name), so that whoever reads Envoy's logs,
// or greps them, reads hostsim's the same way. Envoy's thread ids are the OS
// ones; here the main thread is the process id and worker (VM) i is
// pid+1+i, so lines of one VM can be told apart as in Envoy.
type logger struct {
	mu    sync.Mutex
	w     io.Writer
	level hostsim.LogLevel
	pid   int
}

func newLogger(w io.Writer, level hostsim.LogLevel) *logger {
	return &logger{w: w, level: level, pid: os.Getpid()}
}

// Envoy's (spdlog's) level names.
var levelNames = map[hostsim.LogLevel]string{
	hostsim.LogTrace: "trace", hostsim.LogDebug: "debug", hostsim.LogInfo: "info",
	hostsim.LogWarn: "warning", hostsim.LogError: "error", hostsim.LogCritical: "critical",
}

const mainThread = -1

func (l *logger) enabled(level hostsim.LogLevel) bool { return level >= l.level }

// line writes one log line; vm is the worker VM the line comes from, or
// mainThread.
func (l *logger) line(level hostsim.LogLevel, vm int, name, msg string) {
	if !l.enabled(level) {
		return
	}
	ts := time.Now().Format("2006-01-02 15:04:05.000")
	tid := l.pid
	if vm != mainThread {
		tid = l.pid + 1 + vm
	}
	l.write(fmt.Sprintf("[%s][%d][%s][%s] %s\n", ts, tid, levelNames[level], name, msg))
}

// raw writes text as it is (an access-log line, which Envoy writes without
// the log prefix).
func (l *logger) raw(s string) { l.write(s) }

func (l *logger) write(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, s)
}

func (l *logger) infof(format string, args ...any) {
	l.line(hostsim.LogInfo, mainThread, "main", fmt.Sprintf(format, args...))
}

func (l *logger) warnf(format string, args ...any) {
	l.line(hostsim.LogWarn, mainThread, "main", fmt.Sprintf(format, args...))
}

func (l *logger) errorf(format string, args ...any) {
	l.line(hostsim.LogError, mainThread, "main", fmt.Sprintf(format, args...))
}

// wasmPrefix is what Envoy puts between "wasm log" and a plugin's message:
// the plugin's name, root id and VM id, each when set.
func wasmPrefix(name, rootID, vmID string) string {
	var p string
	for _, s := range []string{name, rootID, vmID} {
		if s != "" {
			p += " " + s
		}
	}
	return p
}

// guestLog writes a guest's proxy_log line as Envoy does, under the "wasm"
// logger.
func (l *logger) guestLog(prefix string, e hostsim.LogEntry) {
	l.line(e.Level, e.VM, "wasm", "wasm log"+prefix+": "+e.Message)
}

// lineWriter turns a guest's WASI output (stdout, stderr: a Go panic's
// message and stack, say) into wasm log lines at one level, as Envoy logs
// what a module writes to its file descriptors.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 {
		// A line that never ends must not grow without bound.
		w.emit(string(w.buf))
		w.buf = nil
	}
	return len(p), nil
}
