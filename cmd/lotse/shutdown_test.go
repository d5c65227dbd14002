package main_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

// What a client sees of one request during a shutdown.
type outcome int

const (
	answered outcome = iota // a whole answer
	refused                 // the connection could not be opened, or was reset before the server took it
	dropped                 // sent on a reused keep-alive connection or taken by the server, and no (whole) answer
)

// keepAliveClient speaks HTTP/1.1 on one connection for as long as the server keeps
// it, the way a load balancer or a client library does: it opens a new connection when
// the server announced "Connection: close", or closed the idle connection before the
// next request (like Go's Transport, it watches an idle connection for the server's
// FIN). It sends the next request at once, the case most likely to meet a connection
// the server closes.
type keepAliveClient struct {
	addr  string
	conn  net.Conn
	br    *bufio.Reader
	fresh bool       // conn has not carried a request yet
	idle  chan error // while idle: the result of waiting for the connection's next byte
}

func (k *keepAliveClient) close() {
	if k.conn != nil {
		k.conn.Close()
	}
	k.conn, k.idle = nil, nil
}

// do sends one request (the body written in pieces over slow, when set) and classifies
// what came back. Dropped: a request on a reused connection, or one whose answer began,
// that got no whole answer. Refused: a new connection that could not be opened or was
// reset or closed before any answer — the server never took it (closed listener,
// backlog reset), so the client may send it elsewhere.
func (k *keepAliveClient) do(method, path, body string, slow time.Duration) (outcome, error) {
	if k.idle != nil {
		select {
		case <-k.idle: // closed by the server while idle (or it sent what nobody asked for)
			k.close()
		default:
		}
	}
	if k.conn == nil {
		c, err := net.DialTimeout("tcp", k.addr, time.Second)
		if err != nil {
			return refused, err
		}
		k.conn, k.br, k.fresh = c, bufio.NewReader(c), true
	}
	reused := !k.fresh
	k.fresh = false
	fail := func(err error, answerBegun bool) (outcome, error) {
		k.close()
		if reused || answerBegun {
			return dropped, err
		}
		return refused, err
	}
	_ = k.conn.SetDeadline(time.Now().Add(30 * time.Second))
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", method, path, k.addr, len(body))
	if _, err := io.WriteString(k.conn, head); err != nil {
		return fail(err, false)
	}
	if slow > 0 && len(body) > 0 {
		step := slow / time.Duration(len(body))
		for i := 0; i < len(body); i++ {
			if _, err := io.WriteString(k.conn, body[i:i+1]); err != nil {
				return fail(err, false)
			}
			time.Sleep(step)
		}
	} else if _, err := io.WriteString(k.conn, body); err != nil {
		return fail(err, false)
	}
	var err error
	if k.idle != nil {
		err = <-k.idle // the watcher reads the first byte of the answer
		k.idle = nil
	} else {
		_, err = k.br.Peek(1)
	}
	if err != nil {
		return fail(err, false)
	}
	res, err := http.ReadResponse(k.br, nil)
	if err != nil {
		return fail(err, true)
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return fail(err, true)
	}
	if res.Close {
		k.close()
		return answered, nil
	}
	idle, br := make(chan error, 1), k.br
	go func() { _, err := br.Peek(1); idle <- err }()
	k.idle = idle
	return answered, nil
}

// event is one request of the test with its time relative to SIGTERM.
type event struct {
	at      time.Duration
	kind    string
	outcome outcome
	err     error
}

// TestShutdownDropsNoKeepAliveRequest runs the real binary with keep-alive clients
// sending requests back to back and slow requests in flight, sends SIGTERM and counts:
// no request is dropped (see keepAliveClient.do), none fails at all during the drain
// delay (the server must keep answering while the load balancer notices /readyz), and
// only after it may new connections be refused.
func TestShutdownDropsNoKeepAliveRequest(t *testing.T) {
	bin := lotse(t)
	db := testdb.New(t)
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	const drain = 1500 * time.Millisecond
	srv := exec.Command(bin, "serve")
	srv.Env = append(os.Environ(), "DATABASE_URL="+db.URL, "MIGRATION_DATABASE_URL="+db.OwnerURL, "LOTSE_ADDR="+addr,
		"LOTSE_INSECURE_COOKIES=true", "LOTSE_SHUTDOWN_DELAY="+drain.String())
	var logs strings.Builder
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill() })
	waitFor(t, "http://"+addr+"/readyz", 200, 20*time.Second)

	var mu sync.Mutex
	var events []event
	var sigterm time.Time // zero until SIGTERM is sent
	record := func(kind string, o outcome, err error) {
		mu.Lock()
		defer mu.Unlock()
		at := time.Duration(-1)
		if !sigterm.IsZero() {
			at = time.Since(sigterm)
		}
		events = append(events, event{at, kind, o, err})
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// Back-to-back clients: GETs without a database, and POSTs (which no client library
	// re-sends by itself) refused with a 400 before any query.
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := &keepAliveClient{addr: addr}
			for {
				select {
				case <-stop:
					return
				default:
				}
				var o outcome
				var err error
				if i%2 == 0 {
					o, err = k.do("GET", "/healthz", "", 0)
				} else {
					o, err = k.do("POST", "/api/v1/session", `{"email":1}`, 0)
				}
				record("loop", o, err)
				if o == refused {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	// Slow requests on warm keep-alive connections, their bodies sent over 2.5 s: one
	// wave spans SIGTERM and the end of the drain delay, the other begins in the delay
	// and is still being sent when the listener closes.
	slow := func(startAfterSigterm time.Duration) {
		defer wg.Done()
		k := &keepAliveClient{addr: addr}
		o, err := k.do("GET", "/healthz", "", 0)
		record("slow_warm_up", o, err)
		for startAfterSigterm >= 0 { // < 0: at once, before SIGTERM
			mu.Lock()
			s := sigterm
			mu.Unlock()
			if !s.IsZero() && time.Since(s) >= startAfterSigterm {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		o, err = k.do("POST", "/api/v1/session", `{"email":"slow@example.org","password":`+strings.Repeat(" ", 40)+`1}`, 2500*time.Millisecond)
		record("slow", o, err)
	}
	for _, start := range []time.Duration{-1, -1, drain - 500*time.Millisecond, drain - 500*time.Millisecond} {
		wg.Add(1)
		go slow(start)
	}

	time.Sleep(700 * time.Millisecond) // keep-alive connections in use, the first slow bodies under way
	mu.Lock()
	sigterm = time.Now()
	mu.Unlock()
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	var exitErr error
	select {
	case exitErr = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
	close(stop)
	wg.Wait()
	if exitErr != nil {
		t.Fatalf("exit: %v\n%s", exitErr, logs.String())
	}

	count := map[string]map[outcome]int{}
	var firstRefusal time.Duration = -1
	for _, e := range events {
		if count[e.kind] == nil {
			count[e.kind] = map[outcome]int{}
		}
		count[e.kind][e.outcome]++
		switch {
		case e.outcome == dropped:
			t.Errorf("%s request dropped %v after SIGTERM: %v", e.kind, e.at, e.err)
		case e.outcome == refused && e.at < drain-100*time.Millisecond:
			t.Errorf("%s request refused %v after SIGTERM, within the drain delay of %v: %v", e.kind, e.at, drain, e.err)
		case e.outcome == refused && firstRefusal < 0:
			firstRefusal = e.at
		}
	}
	for kind, c := range count {
		t.Logf("%-12s answered %d, refused %d, dropped %d", kind, c[answered], c[refused], c[dropped])
	}
	t.Logf("first refusal %v after SIGTERM (drain delay %v)", firstRefusal, drain)
	if c := count["slow"]; c[answered] != 4 {
		t.Errorf("%d of 4 slow requests answered", c[answered])
	}
	if c := count["loop"]; c[answered] < 100 {
		t.Errorf("only %d back-to-back requests answered: the test did not load the server", c[answered])
	}
}
