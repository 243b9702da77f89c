package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// isCounterName reports whether name is one of the counters counters.go declares,
// per-client ones included.
func isCounterName(name string) bool {
	if slices.Contains(counterNames, name) {
		return true
	}
	rest, ok := strings.CutPrefix(name, "exeunt.client.")
	if !ok {
		return false
	}
	for _, ev := range clientCounterEvents {
		if id, ok := strings.CutSuffix(rest, "."+ev); ok && id != "" && !strings.Contains(id, ".") {
			return true
		}
	}
	return false
}

var envoyStatName = regexp.MustCompile(`^exeunt(\.[a-z0-9_]+)+$`)

func TestCounterNamesFollowEnvoysStyle(t *testing.T) {
	names := append([]string(nil), counterNames...)
	for _, ev := range clientCounterEvents {
		names = append(names, clientCounter("app1", ev))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if !envoyStatName.MatchString(n) || seen[n] {
			t.Errorf("counter %q: want a unique, lower-case, dot-separated name under exeunt.", n)
		}
		seen[n] = true
	}
	for _, trig := range []string{triggerRPInitiated, triggerProviderFrontchannel, triggerProviderBackchannel} {
		if !slices.Contains(counterNames, logoutCounter(trig)) {
			t.Errorf("logoutCounter(%q) = %q, which is not in the list", trig, logoutCounter(trig))
		}
	}
	if got := clientCounter("a.b c", clientBackchannelSent); got != "exeunt.client.a_b_c.backchannel.sent" || !isCounterName(got) {
		t.Errorf("clientCounter with an odd client id = %q", got)
	}
	if isCounterName("exeunt.logout.unknown") || isCounterName("exeunt.client.a.b.backchannel.sent") {
		t.Error("isCounterName accepts a name that is not in the list")
	}
}

// Every site that counts names its counter through counters.go: a literal or a name
// built in place would escape the list (and the check every recordingMetrics makes
// of what the engine emits in the flow tests).
func TestEveryCountingSiteUsesTheList(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	sites := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Add" || len(call.Args) != 2 {
				return true
			}
			if recv, ok := sel.X.(*ast.SelectorExpr); !ok || recv.Sel.Name != "metrics" {
				return true
			}
			sites++
			if !fromTheList(call.Args[0]) {
				t.Errorf("%s: a counter not named through counters.go", fset.Position(call.Pos()))
			}
			return true
		})
	}
	if sites < 10 {
		t.Fatalf("found %d counting sites; the check no longer finds them", sites)
	}
}

// fromTheList: a counter constant, or logoutCounter/clientCounter with an event constant.
func fromTheList(arg ast.Expr) bool {
	switch a := arg.(type) {
	case *ast.Ident:
		return strings.HasPrefix(a.Name, "counter")
	case *ast.CallExpr:
		fn, ok := a.Fun.(*ast.Ident)
		if !ok {
			return false
		}
		switch fn.Name {
		case "logoutCounter":
			return true // its switch lists the triggers
		case "clientCounter":
			ev, ok := a.Args[1].(*ast.Ident)
			return ok && strings.HasPrefix(ev.Name, "client")
		}
	}
	return false
}

// Every client of a configuration that starts has counters of its own: ids that differ
// only where the counter name says "_" are refused (config_client.go), and ids that differ
// in a letter, digit, "_" or "-" (or in case) are accepted with distinct names.
func TestClientCountersAreUnambiguous(t *testing.T) {
	m := signoutConfigMap()
	clients := m["clients"].([]any)
	first := clients[0].(map[string]any)
	var ids []string
	for i, id := range []string{"app_1", "app-1", "App_1", "app1"} {
		c := map[string]any{}
		for k, v := range first {
			c[k] = v
		}
		c["client_id"], c["path_prefixes"] = id, []any{"/p" + string(rune('a'+i)) + "/"}
		delete(c, "public_path_prefixes")
		clients = append(clients, c)
		ids = append(ids, id)
	}
	m["clients"] = clients[1:]
	cfg, err := ParseConfig([]byte(mustJSON(m)))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, c := range cfg.Clients {
		name := clientCounter(c.ClientID, clientBackchannelSent)
		if other, dup := seen[name]; dup {
			t.Fatalf("%q and %q share %s", other, c.ClientID, name)
		}
		seen[name] = c.ClientID
	}
	for _, id := range ids {
		if seen[clientCounter(id, clientBackchannelSent)] != id {
			t.Fatalf("%q has no counters of its own: %v", id, seen)
		}
	}
	m["clients"] = append(m["clients"].([]any), map[string]any{"client_id": "app.1", "hosts": first["hosts"], "path_prefixes": []any{"/q/"}})
	if _, err := ParseConfig([]byte(mustJSON(m))); err == nil || !strings.Contains(err.Error(), `"app.1" and the client_id "app_1"`) {
		t.Fatalf("app.1 beside app_1: %v", err)
	}
}
