package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"syscall"
	"time"
)

// drillSigterm: keep-alive clients send requests back to back and slow requests are
// in flight when the instance gets SIGTERM. Readiness must fail first (before any
// connection is refused), no request may be dropped (a connection that carried it
// closed without a whole answer, or one the client had to send again), every slow
// request gets its answer, and the process ends cleanly.
//
// The clients follow readiness as the load balancer in front of them would: once
// /readyz has failed they open no new connection to this instance (they go elsewhere)
// and finish on the connections they have. A client that dials in the last instant
// before the listener closes would otherwise land in the kernel's accept queue and be
// reset with it — a race no server can close, which is what the balancer is for.
// errElsewhere is a request a client sends to another instance: this one is not ready.
var errElsewhere = errors.New("not ready: sent elsewhere")

var dialer = &net.Dialer{Timeout: 5 * time.Second}

func drillSigterm(ctx context.Context, e *env) ([]result, error) {
	_, server, owner, err := e.demoPrimary(ctx, "")
	if err != nil {
		return nil, err
	}
	drain := 1500 * time.Millisecond
	if e.broken {
		drain = 0
	}
	in, err := e.serve(ctx, "lotse", server, owner, "LOTSE_SHUTDOWN_DELAY="+drain.String())
	if err != nil {
		return nil, err
	}
	signedIn := newClient(10 * time.Second)
	if err := signedIn.signIn(in.url(""), "berater@lotse.example", demoPassword); err != nil {
		return nil, err
	}
	cookies := signedIn.http.Jar

	var (
		mu                    sync.Mutex
		sigterm               time.Time
		answered, dropped     int
		elsewhere             int
		answeredAfter         int // after SIGTERM, on connections opened before readiness failed
		refusedEarly, refused int
		firstRefusal          time.Duration = -1
		notReady              time.Duration = -1
		slowAnswered          int
		drops                 []string
	)
	since := func() time.Duration {
		if sigterm.IsZero() {
			return -1
		}
		return time.Since(sigterm)
	}
	// record classifies one request: answered; refused (the connection could not be
	// opened: the client may go elsewhere); dropped (anything else, or a request the
	// transport had to send a second time).
	record := func(kind string, conns int, err error) {
		mu.Lock()
		defer mu.Unlock()
		at := since()
		var op *net.OpError
		switch {
		case err == nil && conns <= 1:
			answered++
			if at >= 0 {
				answeredAfter++
			}
			if kind == "slow" {
				slowAnswered++
			}
		case errors.Is(err, errElsewhere):
			elsewhere++
		case err != nil && errors.As(err, &op) && op.Op == "dial":
			refused++
			if at >= 0 && firstRefusal < 0 {
				firstRefusal = at
			}
			if at < 0 || at < drain-100*time.Millisecond {
				refusedEarly++
			}
		default:
			dropped++
			drops = append(drops, fmt.Sprintf("%s at %s: %v (connections %d)", kind, ms(at), err, conns))
		}
	}
	send := func(t *http.Transport, kind, method, path string, body io.Reader) error {
		conns := 0
		trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { conns++ }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, in.url(path), body)
		req.Header.Set("Content-Type", "application/json")
		for _, c := range cookies.Cookies(req.URL) {
			req.AddCookie(c)
		}
		res, err := t.RoundTrip(req)
		if err == nil {
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		record(kind, conns, err)
		return err
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	// Readiness, polled the way a load balancer does, on fresh connections.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := &http.Transport{DisableKeepAlives: true}
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := t.RoundTrip(must(http.NewRequest("GET", in.url("/readyz"), nil)))
			if err == nil {
				res.Body.Close()
			}
			mu.Lock()
			if (err != nil || res.StatusCode != 200) && !sigterm.IsZero() && notReady < 0 {
				notReady = since()
			}
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
	}()
	// Back-to-back keep-alive clients: a signed-in read (database) and a refused
	// sign-in (no database), both as POST or GET that no transport re-sends unseen.
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &http.Transport{MaxIdleConnsPerHost: 1, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				mu.Lock()
				out := notReady >= 0
				mu.Unlock()
				if out {
					return nil, errElsewhere
				}
				return dialer.DialContext(ctx, network, addr)
			}}
			for {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				if i%2 == 0 {
					err = send(t, "loop", "GET", "/api/v1/me", nil)
				} else {
					err = send(t, "loop", "POST", "/api/v1/session", strings.NewReader(`{"email":1}`))
				}
				if errors.Is(err, errElsewhere) {
					return // this client works with another instance now
				}
			}
		}()
	}
	// Slow requests on warm keep-alive connections, bodies sent over 2.5 s: two span
	// SIGTERM and the drain, two begin late in the drain.
	slow := func(after time.Duration) {
		defer wg.Done()
		t := &http.Transport{MaxIdleConnsPerHost: 1}
		_ = send(t, "warm", "GET", "/healthz", nil)
		for after >= 0 {
			mu.Lock()
			s := sigterm
			mu.Unlock()
			if !s.IsZero() && time.Since(s) >= after {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		pr, pw := io.Pipe()
		go func() {
			body := `{"email":"slow@example.org","password":` + strings.Repeat(" ", 25) + `1}`
			for i := 0; i < len(body); i++ {
				_, _ = pw.Write([]byte(body[i : i+1]))
				time.Sleep(2500 * time.Millisecond / time.Duration(len(body)))
			}
			pw.Close()
		}()
		_ = send(t, "slow", "POST", "/api/v1/session", pr)
	}
	for _, after := range []time.Duration{-1, -1, 1000 * time.Millisecond, 1000 * time.Millisecond} {
		wg.Add(1)
		go slow(after)
	}

	// Traffic first: at least 100 answers (or 10 s) before the signal.
	for warm := time.Now(); time.Since(warm) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := answered
		mu.Unlock()
		if n >= 100 && time.Since(warm) >= 800*time.Millisecond {
			break
		}
	}
	mu.Lock()
	sigterm = time.Now()
	mu.Unlock()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return nil, err
	}
	var exitErr error
	exited := false
	select {
	case exitErr = <-in.done:
		in.done <- exitErr
		exited = true
	case <-time.After(40 * time.Second):
	}
	exitAfter := time.Since(sigterm)
	close(stop)
	wg.Wait()
	for _, d := range drops {
		logf("sigterm: dropped %s", d)
	}
	refusal := "no connection refused"
	if firstRefusal >= 0 {
		refusal = "first refusal after " + ms(firstRefusal)
	}
	readyFirst := notReady >= 0 && notReady < 200*time.Millisecond && (firstRefusal < 0 || notReady < firstRefusal) && refusedEarly == 0
	return []result{
		{"sigterm", fmt.Sprintf("readiness failed after %s, %s (drain %s)", ms(notReady), refusal, drain),
			"readiness fails first; no refusal within the drain", readyFirst},
		{"sigterm", fmt.Sprintf("%d answered (%d after the signal), %d dropped, %d/4 slow answered, %d/6 clients moved elsewhere once not ready", answered, answeredAfter, dropped, slowAnswered, elsewhere),
			"nothing dropped, every slow request answered", dropped == 0 && slowAnswered == 4 && answered > 100 && answeredAfter >= 6},
		{"sigterm", fmt.Sprintf("exited %v after %s", exitErr, ms(exitAfter)),
			"clean exit after the drain", exited && exitErr == nil},
	}, nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
