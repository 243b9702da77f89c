package e2e

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// partitionProxy is a TCP proxy in front of etcd for one replica, which a test can cut:
// cut closes every connection it carries and holds every new one open without an answer
// (a partition: the replica's calls to etcd time out, as across a network that drops
// packets), and heal lets new connections through again. etcd itself stays up for the
// other replicas.
type partitionProxy struct {
	addr, to string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	// slowUntil and delay: until slowUntil, each read from etcd reaches the replica
	// delay late (a slow link: the replica is reachable, its calls answered late).
	slowUntil time.Time
	delay     time.Duration
}

func newPartitionProxy(t testing.TB, to string) *partitionProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &partitionProxy{addr: ln.Addr().String(), to: to, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.closeAll() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *partitionProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns[c] = struct{}{}
	return !p.cut
}

func (p *partitionProxy) serve(c net.Conn) {
	if !p.track(c) {
		return // held open, never answered, closed by heal or cleanup
	}
	up, err := net.Dial("tcp", p.to)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(up) {
		c.Close()
		up.Close()
		return
	}
	go func() { io.Copy(up, c); up.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := up.Read(buf)
		if n > 0 {
			p.mu.Lock()
			d := time.Duration(0)
			if time.Now().Before(p.slowUntil) {
				d = p.delay
			}
			p.mu.Unlock()
			time.Sleep(d)
			if _, werr := c.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
}

// slow makes etcd's answers reach the replica delay late for the next d.
func (p *partitionProxy) slow(delay, d time.Duration) {
	p.mu.Lock()
	p.delay, p.slowUntil = delay, time.Now().Add(d)
	p.mu.Unlock()
}

func (p *partitionProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

// setCut cuts (true) or heals (false) the replica's path to etcd; either way every
// connection open so far is closed.
func (p *partitionProxy) setCut(v bool) {
	p.mu.Lock()
	p.cut = v
	p.mu.Unlock()
	p.closeAll()
}
