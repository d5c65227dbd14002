package main

import (
	"bufio"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// drillReplica: a primary and a streaming replica (pg_basebackup -R); Lotse with
// LOTSE_REPLICA_URL serves statistics from the replica, reads from the primary what
// the replica has not yet replayed (so a person's own write is in what they read),
// stops using a replica that lags beyond LOTSE_REPLICA_MAX_LAG or is away, and says so
// in its log and metrics.
func drillReplica(ctx context.Context, e *env) ([]result, error) {
	pg, server, owner, err := e.demoPrimary(ctx, "")
	if err != nil {
		return nil, err
	}
	rep := &cluster{e: e, name: "replica", data: filepath.Join(e.dir, "replica"), port: freePort()}
	if _, err := e.pg(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.port), "-U", "postgres",
		"-D", rep.data, "-R", "-X", "stream", "-c", "fast"); err != nil {
		return nil, err
	}
	if err := rep.configure(""); err != nil {
		return nil, err
	}
	e.defer_(func() { _ = rep.stop(context.Background(), "immediate") })
	if err := rep.start(ctx); err != nil {
		return nil, err
	}
	maxLag := 2 * time.Second
	if e.broken {
		maxLag = time.Hour
	}
	in, err := e.serve(ctx, "lotse", server, owner, "LOTSE_REPLICA_URL="+rep.url("lotse_server", "lotse"),
		"LOTSE_REPLICA_MAX_LAG="+maxLag.String())
	if err != nil {
		return nil, err
	}
	pm := newClient(30 * time.Second)
	if err := pm.signIn(in.url(""), "programm@lotse.example", demoPassword); err != nil {
		return nil, err
	}
	advisor := newClient(10 * time.Second)
	if err := advisor.signIn(in.url(""), "berater@lotse.example", demoPassword); err != nil {
		return nil, err
	}
	caseID, err := advisor.firstCase(in.url(""))
	if err != nil {
		return nil, err
	}
	metric := func(name string) float64 {
		res, err := pm.http.Get(in.url("/metrics"))
		if err != nil {
			return -1
		}
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
				f, _ := strconv.ParseFloat(v, 64)
				return f
			}
		}
		return -1
	}
	stats := func(n int) (ok int) {
		for i := 0; i < n; i++ {
			res, err := pm.do("GET", in.url("/api/v1/stats/phases"), nil, nil, nil)
			if err == nil && res.StatusCode == 200 {
				ok++
			}
		}
		return ok
	}
	waitMetric := func(name string, want float64, limit time.Duration) (time.Duration, bool) {
		t0 := time.Now()
		for time.Since(t0) < limit {
			if metric(name) == want {
				return time.Since(t0), true
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Since(t0), false
	}
	onReplica := `lotse_reporting_reads_total{db="replica"}`
	onPrimary := `lotse_reporting_reads_total{db="primary"}`
	var rows []result

	// Statistics from the replica once it is current.
	if _, ok := waitMetric("lotse_replica_in_use", 1, 10*time.Second); !ok {
		return nil, fmt.Errorf("the replica was not taken into use within 10 s: %s", lastLines(in.logs.String(), 3))
	}
	r0 := metric(onReplica)
	ok := stats(10)
	served := metric(onReplica) - r0
	rows = append(rows, result{"replica", fmt.Sprintf("%d/10 statistics answered, %.0f from the replica", ok, served),
		"statistics are served from the streaming replica", ok == 10 && served == 10})

	// A write the replica has not replayed (replay paused) is read from the primary.
	rdb, err := rep.sql("postgres")
	if err != nil {
		return rows, err
	}
	if _, err := rdb.ExecContext(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		return rows, err
	}
	res, err := advisor.do("POST", in.url("/api/v1/cases/"+caseID+"/notes"), map[string]any{"body": "written just now"}, nil, nil)
	if err != nil || res.StatusCode != 201 {
		return rows, fmt.Errorf("note: %v %v", res, err)
	}
	p0 := metric(onPrimary)
	ok = stats(1)
	rows = append(rows, result{"replica", fmt.Sprintf("replay paused, a note written: %d/1 statistics answered, %.0f from the primary", ok, metric(onPrimary)-p0),
		"what was just written is read from the primary", ok == 1 && metric(onPrimary)-p0 == 1})

	// The paused replica falls further behind than LOTSE_REPLICA_MAX_LAG.
	took, out := waitMetric("lotse_replica_in_use", 0, min(maxLag, 5*time.Second)+3*time.Second)
	logged := strings.Contains(in.logs.String(), "replica lags")
	rows = append(rows, result{"replica", fmt.Sprintf("lagging: out of use after %s (max lag %s), logged %v", ms(took), maxLag, logged),
		"a replica lagging beyond the bound is left, in the log and the metrics", out && logged && took <= maxLag+time.Second})
	if _, err := rdb.ExecContext(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		return rows, err
	}
	if _, ok := waitMetric("lotse_replica_in_use", 1, 5*time.Second); !ok {
		return rows, fmt.Errorf("the replica was not taken back into use after replay resumed")
	}

	// The replica goes away: statistics keep being answered, from the primary.
	if err := rep.stop(ctx, "fast"); err != nil {
		return rows, err
	}
	stopped := time.Now()
	ok = 0
	n := 0
	for time.Since(stopped) < 2*time.Second {
		ok += stats(1)
		n++
	}
	inUse := metric("lotse_replica_in_use")
	logged = strings.Contains(in.logs.String(), "replica unavailable")
	rows = append(rows, result{"replica", fmt.Sprintf("replica stopped: %d/%d statistics answered in 2 s, in use %v, logged %v", ok, n, inUse == 1, logged),
		"a replica that is away: fallback to the primary, in the log and the metrics", ok == n && n > 0 && inUse == 0 && logged})
	return rows, nil
}
