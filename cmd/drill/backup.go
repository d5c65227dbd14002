package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// drillBackup: pg_basebackup and WAL archiving (archive_command copies each segment to
// a directory). Notes are written through the API while the base backup runs; later a
// moment T is noted, writes go on, and the backup is restored into a fresh cluster up
// to T (recovery_target_time). Every note acknowledged before T must be there with the
// same content (checksum), and none sent after T.
func drillBackup(ctx context.Context, e *env) ([]result, error) {
	archive := filepath.Join(e.dir, "archive")
	if err := e.mkdir(archive); err != nil {
		return nil, err
	}
	pg, server, owner, err := e.demoPrimary(ctx, fmt.Sprintf("archive_mode = on\narchive_command = 'test ! -f %[1]s/%%f && cp %%p %[1]s/%%f'\n", archive))
	if err != nil {
		return nil, err
	}
	in, err := e.serve(ctx, "lotse", server, owner)
	if err != nil {
		return nil, err
	}
	cl := newClient(30 * time.Second)
	if err := cl.signIn(in.url(""), "berater@lotse.example", demoPassword); err != nil {
		return nil, err
	}
	caseID, err := cl.firstCase(in.url(""))
	if err != nil {
		return nil, err
	}

	type write struct{ sent, acked time.Time }
	var mu sync.Mutex
	writes := map[string]write{} // body → when sent and acknowledged (zero: not)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	next := 0
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				body := fmt.Sprintf("backup note %d", next)
				next++
				mu.Unlock()
				sent := time.Now()
				res, err := cl.do("POST", in.url("/api/v1/cases/"+caseID+"/notes"), map[string]any{"body": body}, nil, nil)
				w := write{sent: sent}
				if err == nil && res.StatusCode == 201 {
					w.acked = time.Now()
				}
				mu.Lock()
				writes[body] = w
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	time.Sleep(2 * time.Second)
	base := filepath.Join(e.dir, "restored") // the base backup, restored in place
	t0 := time.Now()
	if _, err := e.pg(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.port), "-U", "postgres",
		"-D", base, "-X", "stream", "-c", "fast"); err != nil {
		close(stop)
		return nil, err
	}
	backupTook := time.Since(t0)
	mu.Lock()
	duringBackup := 0
	for _, w := range writes {
		if w.acked.After(t0) {
			duringBackup++
		}
	}
	mu.Unlock()
	time.Sleep(3 * time.Second)
	target := time.Now()
	restoreTo := target
	if e.broken {
		restoreTo = target.Add(-2 * time.Second)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	// The last segment goes to the archive too.
	db, err := pg.sql("lotse")
	if err != nil {
		return nil, err
	}
	var last string
	if err := db.QueryRowContext(ctx, `SELECT pg_walfile_name(pg_switch_wal())`).Scan(&last); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(filepath.Join(archive, last)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("WAL segment %s not archived within 30 s", last)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Restore into a fresh cluster up to the target.
	rc := &cluster{e: e, name: "restored", data: base, port: freePort()}
	if err := rc.configure(fmt.Sprintf("archive_mode = off\nrestore_command = 'cp %s/%%f %%p'\nrecovery_target_time = '%s'\nrecovery_target_action = 'promote'\n",
		archive, restoreTo.UTC().Format("2006-01-02 15:04:05.000000+00"))); err != nil {
		return nil, err
	}
	if err := e.writeFile(filepath.Join(base, "recovery.signal"), ""); err != nil {
		return nil, err
	}
	e.defer_(func() { _ = rc.stop(context.Background(), "immediate") })
	r0 := time.Now()
	if err := rc.start(ctx); err != nil {
		return nil, err
	}
	rdb, err := rc.sql("lotse")
	if err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		var recovering bool
		if err := rdb.QueryRowContext(ctx, `SELECT pg_is_in_recovery()`).Scan(&recovering); err == nil && !recovering {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the restored cluster did not finish recovery within 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	restoreTook := time.Since(r0)

	restored, err := bodies(ctx, rdb)
	if err != nil {
		return nil, err
	}
	var before []string // acknowledged before the target
	missing, late := 0, 0
	for body, w := range writes {
		if !w.acked.IsZero() && w.acked.Before(target) {
			before = append(before, body)
			if !restored[body] {
				missing++
			}
		}
		if w.sent.After(target) && restored[body] {
			late++
		}
	}
	sumLive, err := checksum(ctx, db, before)
	if err != nil {
		return nil, err
	}
	sumRestored, err := checksum(ctx, rdb, before)
	if err != nil {
		return nil, err
	}
	return []result{
		{"backup", fmt.Sprintf("base backup in %s with %d writes acknowledged meanwhile", ms(backupTook), duringBackup),
			"pg_basebackup under writes", duringBackup > 0},
		{"backup", fmt.Sprintf("restored to T in %s: %d rows; %d acknowledged before T, %d missing, %d sent after T present", ms(restoreTook), len(restored), len(before), missing, late),
			"point-in-time restore holds every write acknowledged before T, none after", missing == 0 && late == 0 && len(before) > 0},
		{"backup", fmt.Sprintf("checksum of those %d notes: live %s, restored %s", len(before), sumLive[:8], sumRestored[:8]),
			"restored content identical (md5 over id, case, body)", sumLive == sumRestored},
	}, nil
}

// bodies are the drill's notes in db.
func bodies(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT body FROM notes WHERE body LIKE 'backup note %'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out[b] = true
	}
	return out, rows.Err()
}

// checksum is an md5 over the notes with the given bodies, in a fixed order.
func checksum(ctx context.Context, db *sql.DB, bodies []string) (string, error) {
	var sum string
	err := db.QueryRowContext(ctx, `SELECT md5(coalesce(string_agg(id::text || ':' || case_id::text || ':' || body, ',' ORDER BY id), ''))
		FROM notes WHERE body = ANY(string_to_array($1, '|'))`, strings.Join(bodies, "|")).Scan(&sum)
	return sum, err
}
