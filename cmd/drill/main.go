// Command drill runs Lotse's operations drills on loopback and prints one table: drill,
// figure, promise, held. Each drill builds its own PostgreSQL clusters (initdb, pg_ctl)
// under a temporary directory on free ports and runs the built binary (bin/lotse);
// nothing touches a PostgreSQL already running. The exit status is 1 when a promise
// did not hold, 2 on wrong usage.
//
//	go run ./cmd/drill [-lotse bin/lotse] [-only restart,sigterm,...] [-break name]
//
// -break breaks one promise on purpose (see breaks), to show that its drill notices.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

// result is one row of the table: a promise and what the drill measured for it.
type result struct {
	drill, figure, promise string
	held                   bool
}

// drill runs one drill and answers its rows; an error is a drill that could not run
// (its promise counts as broken).
type drill struct {
	name string
	run  func(ctx context.Context, e *env) ([]result, error)
}

var drills = []drill{
	{"restart", drillRestart},
	{"sigterm", drillSigterm},
	{"instances", drillInstances},
	{"replica", drillReplica},
	{"backup", drillBackup},
}

// breaks are the promises -break breaks on purpose, each by what an operator could get
// wrong; the drill named before the colon must then report "no".
var breaks = map[string]string{
	"restart":   "writes are sent without Idempotency-Key, so retried writes can be duplicated",
	"sigterm":   "LOTSE_SHUTDOWN_DELAY=0: the listener closes as readiness fails",
	"instances": "instance B is configured with a database of its own",
	"replica":   "LOTSE_REPLICA_MAX_LAG=1h: a replica that stopped replaying is still used",
	"backup":    "recovery_target_time is set 2 s before the point the drill compares with",
}

func main() {
	bin := flag.String("lotse", "bin/lotse", "the Lotse binary")
	only := flag.String("only", "", "comma-separated drills to run (default: all)")
	brk := flag.String("break", "", "break one drill's promise on purpose: "+strings.Join(names(), ", "))
	flag.Parse()
	if _, ok := breaks[*brk]; *brk != "" && !ok {
		fmt.Fprintln(os.Stderr, "drill: -break must be one of", strings.Join(names(), ", "))
		os.Exit(2)
	}
	abs, err := filepath.Abs(*bin)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "drill: the Lotse binary is missing (make build):", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// Interrupted: the running drill's clusters and processes are ended first.
	var mu sync.Mutex
	var current *env
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		mu.Lock()
		if current != nil {
			current.keep = true
			current.close()
		}
		os.Exit(1)
	}()
	var rows []result
	start := time.Now()
	for _, d := range drills {
		if *only != "" && !contains(strings.Split(*only, ","), d.name) {
			continue
		}
		e, err := newEnv(abs, d.name, *brk == d.name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "drill:", err)
			os.Exit(1)
		}
		mu.Lock()
		current = e
		mu.Unlock()
		t0 := time.Now()
		logf("== %s", d.name)
		rs, err := d.run(ctx, e)
		if err != nil {
			rs = append(rs, result{d.name, "error: " + err.Error(), "the drill runs", false})
		}
		for _, r := range rs {
			if !r.held {
				e.keep = true
			}
		}
		mu.Lock()
		e.close()
		current = nil
		mu.Unlock()
		logf("== %s done in %s", d.name, time.Since(t0).Round(100*time.Millisecond))
		rows = append(rows, rs...)
	}
	failed := 0
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "drill\tfigure\tpromise\theld")
	for _, r := range rows {
		held := "yes"
		if !r.held {
			held, failed = "no", failed+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.drill, r.figure, r.promise, held)
	}
	_ = tw.Flush()
	fmt.Printf("%d promises, %d broken, %s\n", len(rows), failed, time.Since(start).Round(time.Second))
	if *brk != "" {
		fmt.Printf("broken on purpose: %s (%s)\n", *brk, breaks[*brk])
	}
	if failed > 0 {
		os.Exit(1)
	}
}

func names() []string {
	var n []string
	for _, d := range drills {
		n = append(n, d.name)
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// logf writes progress to stderr, so that stdout carries only the table.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}
