package export

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// BenchmarkActivityExport exports every consultation of a scale database (set
// BENCH_DATABASE_URL to one seeded with `lotse seed scale --founders 100000`: a million
// consultations) and compares the rows per second with two baselines of the same
// SELECT: PostgreSQL's own COPY (…) TO STDOUT (WITH CSV) through psql into /dev/null,
// run just before and just after each export (so a busy machine slows both alike), and
// a bare scan of the rows through database/sql and lib/pq. It reports rows/s, the ratio
// to COPY (of-COPY), CPU microseconds of this process per row, the peak growth of the
// heap in use (sampled every 10 ms) and the growth of the memory taken from the system.
//
//	BENCH_DATABASE_URL='postgres://postgres@127.0.0.1:5432/lotse_export_bench?sslmode=disable' \
//	    go test -run XXX -bench ActivityExport -benchtime 1x ./internal/export/
func BenchmarkActivityExport(b *testing.B) {
	url := os.Getenv("BENCH_DATABASE_URL")
	if url == "" {
		// `make bench` sets it; under CI=true a benchmark without its data fails.
		if os.Getenv("CI") == "true" {
			b.Fatal("BENCH_DATABASE_URL is not set: run `make bench`, which seeds `lotse seed scale`")
		}
		b.Skip("BENCH_DATABASE_URL is not set: run `make bench`, which seeds `lotse seed scale`")
	}
	st, err := store.Open(url) // with the production statement timeout, which the export lifts
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	q := ActivityQuery{From: day("2020-01-01"), To: day("2029-12-31"), Label: func(k string) string { return k }}
	var total int
	if err := st.DB.Get(&total, `SELECT count(*) FROM consultations WHERE date BETWEEN $1 AND $2`, q.From, q.To); err != nil {
		b.Fatal(err)
	}

	run := func(b *testing.B, export func() int) {
		for b.Loop() {
			copyBefore := copyRate(b, url, q, total)
			var rows int
			var d time.Duration
			mem := measureMemory(func() {
				start := time.Now()
				rows = export()
				d = time.Since(start)
			})
			copyAfter := copyRate(b, url, q, total)
			if rows != total {
				b.Fatalf("%d rows, want %d", rows, total)
			}
			rate := float64(rows) / d.Seconds()
			b.ReportMetric(rate, "rows/s")
			b.ReportMetric((copyBefore+copyAfter)/2, "COPY-rows/s")
			b.ReportMetric(rate/((copyBefore+copyAfter)/2), "of-COPY")
			b.ReportMetric(mem.cpu/float64(rows)*1e6, "cpu-µs/row")
			b.ReportMetric(mem.heapMB, "heap-MB")
			b.ReportMetric(mem.sysMB, "sys-MB")
			b.ReportMetric(0, "ns/op") // one op is a whole export: rows/s says it better
		}
	}
	b.Run("scan", func(b *testing.B) {
		run(b, func() int { return scanOnly(b, st.DB.DB, q) })
	})
	for _, f := range Formats {
		b.Run(string(f), func(b *testing.B) {
			run(b, func() int {
				w, err := NewWriter(io.Discard, f, ActivityColumns(nil), Options{TmpDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				rows, err := WriteActivity(ctx, st.DB, q, w)
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				return rows
			})
		})
	}
}

// copyRate runs the export's SELECT as COPY … TO STDOUT WITH CSV in psql, output to
// /dev/null, and returns its rows per second.
func copyRate(b *testing.B, url string, q ActivityQuery, rows int) float64 {
	b.Helper()
	query := activitySQL
	for i, arg := range []string{"'" + q.From.String() + "'::date", "'" + q.To.String() + "'::date", "NULL"} {
		query = strings.ReplaceAll(query, fmt.Sprintf("$%d", i+1), arg)
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devNull.Close()
	cmd := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
		"COPY ("+query+") TO STDOUT WITH (FORMAT csv)")
	cmd.Stdout = devNull
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("psql: %v", err)
	}
	return float64(rows) / time.Since(start).Seconds()
}

// scanOnly reads the export's rows into the export's variables and drops them.
func scanOnly(b *testing.B, db *sql.DB, q ActivityQuery) int {
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SET LOCAL statement_timeout = 0`); err != nil {
		b.Fatal(err)
	}
	res, err := tx.QueryContext(ctx, activitySQL, activityArgs(q)...)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Close()
	var a activityRow
	n := 0
	for res.Next() {
		if err := res.Scan(&a.date, &a.carrierID, &a.advisorID, &a.caseID, &a.codes,
			&a.duration, &a.prep, &a.interpreter); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := res.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

type memGrowth struct{ heapMB, sysMB, cpu float64 }

// heapSamples are the runtime metrics whose sum is the heap in use (HeapInuse);
// runtime/metrics reads them without stopping the world, unlike ReadMemStats.
var heapSamples = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/total:bytes"}}

func readHeap() (inuse, total uint64) {
	metrics.Read(heapSamples)
	return heapSamples[0].Value.Uint64() + heapSamples[1].Value.Uint64(), heapSamples[2].Value.Uint64()
}

// measureMemory runs f and returns how far the heap in use rose above its level before
// (at its peak, sampled every 10 ms), how much more memory the runtime took from the
// system, and the CPU seconds (user and system) of this process.
func measureMemory(f func()) memGrowth {
	runtime.GC()
	before, sysBefore := readHeap()
	var cpuBefore syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &cpuBefore)
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			inuse, _ := readHeap()
			peak = max(peak, inuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	var cpuAfter syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &cpuAfter)
	_, sysAfter := readHeap()
	const mb = 1 << 20
	seconds := func(r syscall.Rusage) float64 {
		return float64(r.Utime.Nano()+r.Stime.Nano()) / 1e9
	}
	return memGrowth{heapMB: float64(peak-min(peak, before)) / mb, sysMB: float64(sysAfter-min(sysAfter, sysBefore)) / mb,
		cpu: seconds(cpuAfter) - seconds(cpuBefore)}
}
