package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// drillRestart: about 200 writes per second (notes through the API, each with an
// Idempotency-Key, retried with the same key until acknowledged) while the database
// restarts fast and immediately; then every acknowledged write is looked up (0 lost),
// no write exists twice (0 duplicated), the service answers within 2 s of the database,
// and while the database stays away every request ends soon with 503 and Retry-After.
func drillRestart(ctx context.Context, e *env) ([]result, error) {
	pg, server, owner, err := e.demoPrimary(ctx, "")
	if err != nil {
		return nil, err
	}
	in, err := e.serve(ctx, "lotse", server, owner)
	if err != nil {
		return nil, err
	}
	base := in.url("")
	cl := newClient(30 * time.Second)
	if err := cl.signIn(base, "berater@lotse.example", demoPassword); err != nil {
		return nil, err
	}
	// Spread over the advisor's cases, as many advisors' writes are: notes on one
	// case would all share-lock one row.
	cases, err := cl.cases(base)
	if err != nil {
		return nil, err
	}

	// The load: a write every 5 ms, each retried until acknowledged; every tenth is
	// sent once more after its acknowledgement, as a client that missed the answer would.
	// At most 96 writes are under way at once (as a client pool would be): a slower
	// server gets a lower rate, measured, instead of an ever longer queue.
	var (
		mu        sync.Mutex
		acked     = map[string]bool{} // note body → acknowledged
		lastOK    atomic.Int64        // unix nanos of the last 201
		retried   atomic.Int64        // writes sent more than once with their key
		sent      atomic.Int64
		maxWait   atomic.Int64 // the probe's longest answer while the database was away (ns)
		dbAway    atomic.Bool
		away503   atomic.Int64 // 503 answers with Retry-After while away
		awayOther atomic.Int64 // other answers or errors while away
	)
	write := func(i int) {
		body := fmt.Sprintf("drill note %d", i)
		key := "drill-" + strconv.Itoa(i)
		h := map[string]string{"Idempotency-Key": key}
		if e.broken {
			h = nil
		}
		tries := 0
		for ctx.Err() == nil {
			tries++
			if tries == 2 {
				retried.Add(1)
			}
			t0 := time.Now()
			awayAtStart := dbAway.Load() // sent while the database was away
			res, err := cl.do("POST", base+"/api/v1/cases/"+cases[i%len(cases)]+"/notes", map[string]any{"body": body}, h, nil)
			if awayAtStart && dbAway.Load() {
				if err == nil && res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "" {
					away503.Add(1)
				} else {
					awayOther.Add(1)
				}
			}
			if err == nil && res.StatusCode == http.StatusCreated {
				if t0.UnixNano() > lastOK.Load() {
					lastOK.Store(t0.UnixNano()) // a write sent at t0 was acknowledged
				}
				mu.Lock()
				acked[body] = true
				mu.Unlock()
				if i%10 == 0 && tries == 1 { // the answer "got lost": send again with the key
					retried.Add(1)
					tries = 2
					continue
				}
				return
			}
			// A client waits as the answer says (Retry-After), at most a second here
			// so that the drill sees the service come back, else a moment.
			wait := 200 * time.Millisecond
			if err == nil && res.Header.Get("Retry-After") != "" {
				wait = time.Second
			}
			time.Sleep(wait)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	slots := make(chan struct{}, 96)
	loadStart := time.Now()
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			select {
			case slots <- struct{}{}:
			case <-stop:
				return
			}
			sent.Add(1)
			wg.Add(1)
			go func() { defer wg.Done(); write(i); <-slots }()
		}
	}()

	// backAfter restarts the database in mode and answers how long after it accepted
	// connections again the service acknowledged a new write.
	backAfter := func(mode string) (time.Duration, error) {
		if err := pg.stop(ctx, mode); err != nil {
			return 0, err
		}
		time.Sleep(300 * time.Millisecond)
		if err := pg.start(ctx); err != nil {
			return 0, err
		}
		up := time.Now()
		for time.Since(up) < 10*time.Second {
			if lastOK.Load() > up.UnixNano() {
				return time.Since(up), nil
			}
			time.Sleep(5 * time.Millisecond)
		}
		return 0, fmt.Errorf("no write acknowledged within 10 s after the %s restart", mode)
	}
	// A probe outside the pool, every 100 ms: when is a new write acknowledged again?
	go func() {
		for j := 1000000; ; j++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			sent.Add(1)
			wg.Add(1)
			go func() { defer wg.Done(); write(j) }()
		}
	}()
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			logf("restart: %d sent, %d acknowledged", sent.Load(), n)
		}
	}()
	time.Sleep(3 * time.Second)
	steady := float64(sent.Load()) / time.Since(loadStart).Seconds()
	logf("restart: fast restart")
	fast, err := backAfter("fast")
	if err != nil {
		close(stop)
		return nil, err
	}
	time.Sleep(3 * time.Second)
	logf("restart: immediate restart")
	immediate, err := backAfter("immediate")
	if err != nil {
		close(stop)
		return nil, err
	}
	time.Sleep(2 * time.Second)
	logf("restart: the database stays away for 5 s")
	if err := pg.stop(ctx, "fast"); err != nil {
		close(stop)
		return nil, err
	}
	dbAway.Store(true)
	// How long an answer takes while the database is away, measured by one client
	// sending one request after the other (the load's own clients share the machine
	// with 96 others, so their timings measure the drill as much as the server).
	probe := newClient(30 * time.Second)
	probe.http.Jar = cl.http.Jar
	for away := time.Now(); time.Since(away) < 5*time.Second; time.Sleep(50 * time.Millisecond) {
		t0 := time.Now()
		res, err := probe.do("GET", base+"/api/v1/cases/"+cases[0]+"/notes", nil, nil, nil)
		if took := time.Since(t0); took > time.Duration(maxWait.Load()) {
			maxWait.Store(int64(took))
		}
		if err == nil && res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "" {
			away503.Add(1)
		} else {
			awayOther.Add(1)
		}
	}
	dbAway.Store(false)
	if err := pg.start(ctx); err != nil {
		close(stop)
		return nil, err
	}
	time.Sleep(2 * time.Second)
	close(stop)
	elapsed := time.Since(loadStart)
	logf("restart: waiting for the writes in flight")
	wg.Wait()

	// Reconcile: every acknowledged note exists exactly once.
	db, err := pg.sql("lotse")
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT body, count(*) FROM notes WHERE body LIKE 'drill note %' GROUP BY body`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[string]int{}
	for rows.Next() {
		var body string
		var n int
		if err := rows.Scan(&body, &n); err != nil {
			return nil, err
		}
		found[body] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	lost, dup := 0, 0
	for body := range acked {
		if found[body] == 0 {
			lost++
		}
	}
	for _, n := range found {
		if n > 1 {
			dup += n - 1
		}
	}
	rate := float64(sent.Load()) / elapsed.Seconds()
	logf("restart: %.0f writes/s before the restarts, %.0f/s overall", steady, rate)
	waitMax := time.Duration(maxWait.Load())
	return []result{
		{"restart", fmt.Sprintf("200 writes/s offered, %.0f/s acknowledged before the restarts", steady),
			"the load: about 200 writes/s (at least 150 acknowledged)", steady >= 150},
		{"restart", fmt.Sprintf("%d acknowledged, %d lost", len(acked), lost),
			"0 acknowledged writes lost over a fast and an immediate restart", lost == 0 && len(acked) > 0},
		{"restart", fmt.Sprintf("%d retried with their key, %d duplicated", retried.Load(), dup),
			"0 retried writes duplicated", dup == 0 && retried.Load() > 0},
		{"restart", fmt.Sprintf("back %s after fast, %s after immediate restart", ms(fast), ms(immediate)),
			"service back within 2 s of the database", fast <= 2*time.Second && immediate <= 2*time.Second},
		{"restart", fmt.Sprintf("database away 5 s: %d answers 503+Retry-After, %d other, slowest %s", away503.Load(), awayOther.Load(), ms(waitMax)),
			"503 with Retry-After, no hang (each answer < 1 s)", away503.Load() > 0 && awayOther.Load() == 0 && waitMax < time.Second},
	}, nil
}
