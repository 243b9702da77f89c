package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/etcdpeer"
	"github.com/exeunt/exeunt/e2e/internal/syncbuf"
)

// TestStoreEtcdBackend runs core's etcd backend tests (core/store_etcd_test.go: the store
// ports' contracts through two replicas, the flows' own tests with every engine on etcd,
// and the fleet's promises: a sign-out seen by the
// other replica after its next follow, single use across replicas, an abandoned delivery
// taken over, fail closed with etcd down, nothing lost when it is back) against a real
// etcd. The backend is unexported, and stays so until the `store: etcd` setting exists; so
// rather than exporting a test hook from core, this starts etcd and runs those tests as
// `go test ./core/` with the etcd's URL, and a loopback control endpoint through which the
// tests kill and restart etcd (/kill, /restart).
//
// It runs twice: on an etcd without authentication, and on one with etcd's user and
// password authentication on, the user granted only the tests' key prefix.
func TestStoreEtcdBackend(t *testing.T) {
	t.Run("open", func(t *testing.T) { runCoreEtcdTests(t, false) })
	t.Run("auth", func(t *testing.T) { runCoreEtcdTests(t, true) })
}

func runCoreEtcdTests(t *testing.T, auth bool) {
	peer := etcdpeer.Start(t, etcdpeer.Config{})
	env := []string{"EXEUNT_TEST_ETCD=" + peer.URL}
	want := []string{"TestStorePortContractsEtcd", "TestEtcdStoreFleet", "TestFlowsOnEtcd",
		"TestEtcdEngineStartRestartAndOutage", "TestEtcdEngineVMsOfOneEnvoySeeASignOutAtOnce", "TestEtcdVMsOfOneEnvoyShareOneFollow", "TestEtcdVMBehindTheSharedFollowFollowsItself", "TestEtcdVMsOfOneEnvoyShareQueueReads", "TestEtcdOutageIsLoggedOncePerChange", "TestEtcdRecoveryLogOfAVMThatNeverLedDuringTheOutage", "TestEtcdFollowAfterCompactionAndRestore", "TestEtcdWritesAppliedLate", "TestEtcdReadinessFollowsTheCopy", "TestEtcdBarrierWaitsForEveryOtherMember", "TestEtcdBarrierAloneDoesNotWait", "TestEtcdBarrierSettledWaitsForTheRevocationsRevision", "TestEtcdBarrierBelowTheRevisionMakesNoLoop", "TestEtcdBarrierWaitsForEveryVMOfAReplica", "TestEtcdBarrierWaitsForItsOwnVMsWhenSharedDataFailed", "TestEtcdBarrierWaitsForAReplicaStartingUp", "TestEtcdBarrierTakesNoClaimOnALostHistory", "TestEtcdBarrierWaitsOutALostHistory", "TestEtcdBarrierAfterAnEtcdOutageWaitsForLiveMembers", "TestEtcdBarrierAfterAFailedCallWaitsForLiveMembers", "TestEtcdRepublishSaysHowManyItGaveBack", "TestEtcdFirstVisitIsInTheIndexBeforeTheClientIsReached", "TestEtcdSessionLimitKeepsTheUsersLinksBounded", "TestEtcdDeliveryHeldBackIsClaimedOnce"}
	if auth {
		peer.EnableAuth("root-secret", etcdpeer.User{Name: "exeunt", Password: "exeunt-secret", Prefix: "/exeunt-test/"})
		env = append(env, "EXEUNT_TEST_ETCD_USER=exeunt", "EXEUNT_TEST_ETCD_PASSWORD=exeunt-secret", "EXEUNT_TEST_ETCD_ROOT_PASSWORD=root-secret")
		want = append(want, "TestEtcdStoreAuth")
	}

	type order struct {
		what  string
		reply chan bool
	}
	orders := make(chan order)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := order{what: r.URL.Path, reply: make(chan bool)}
		orders <- o
		if !<-o.reply {
			http.Error(w, "unknown order", http.StatusNotFound)
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()

	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Fatal("the go command is needed to run core's etcd tests: ", err)
		}
	}
	cmd := exec.Command(goBin, "test", "-count=1", "-v", "-run", "^("+strings.Join(want, "|")+")$", "./core/")
	cmd.Dir = ".."
	cmd.Env = append(append(os.Environ(), env...), "EXEUNT_TEST_ETCD_CONTROL=http://"+ln.Addr().String())
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timeout := time.After(5 * time.Minute)
	for {
		select {
		case o := <-orders:
			switch o.what {
			case "/kill":
				peer.Kill()
			case "/restart":
				peer.Restart() // fails this test (the goroutine's) if etcd does not come back
			default:
				o.reply <- false
				continue
			}
			o.reply <- true
		case err := <-done:
			if err != nil {
				t.Fatalf("core's etcd tests failed: %v\n%s", err, out.String())
			}
			t.Logf("core's etcd tests against etcd %s:\n%s", peer.Version, out.String())
			for _, name := range want {
				if !strings.Contains(out.String(), "--- PASS: "+name+" ") {
					t.Fatalf("core's %s did not run and pass (skipped?)", name)
				}
			}
			return
		case <-timeout:
			_ = cmd.Process.Kill()
			t.Fatalf("core's etcd tests did not end in 5 minutes:\n%s", out.String())
		}
	}
}
