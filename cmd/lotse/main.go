// Command lotse runs the Lotse service and its administration tasks:
//
//	lotse serve                      migrate, then serve HTTP
//	lotse migrate [up|status]        run or show migrations
//	lotse user add --email E --name N --role R [--carrier ID]   (password from stdin)
//	lotse seed demo                  demo carriers, accounts and cases
//	lotse seed scale --founders N    synthetic data for benchmarks
//	lotse retention run [--dry-run]  erase what the retention period no longer covers
//
// Exit codes: 0 success, 1 failure (one line on stderr), 2 wrong usage.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/authz"
	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/server"
	"github.com/iq-migrantenoekonomie/lotse/internal/stats"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

const usage = `usage:
  lotse serve
  lotse migrate [up|status]
  lotse user add --email E --name N --role R [--carrier ID]   (password from standard input)
  lotse seed demo
  lotse seed scale --founders N
  lotse retention run [--dry-run]`

// errUsage marks wrong usage (exit code 2).
var errUsage = errors.New(usage)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()})))
	err := run(os.Args[1:], os.Stdin, os.Stdout)
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "lotse: "+strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
}

func logLevel() slog.Level {
	if os.Getenv("LOTSE_LOG_LEVEL") == "debug" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "serve":
		return serve(ctx)
	case "migrate":
		return migrate(ctx, args[1:], stdout)
	case "user":
		return userAdd(ctx, args[1:], stdin, stdout)
	case "seed":
		return seedCmd(ctx, args[1:], stdout)
	case "retention":
		return retentionCmd(ctx, args[1:], stdout)
	}
	return errUsage
}

// openStore connects as the server's role (DATABASE_URL), or with owner as the schema
// owner (MIGRATION_DATABASE_URL, else DATABASE_URL) for migrations and seeds.
func openStore(ctx context.Context, owner bool) (*store.Store, error) {
	url := os.Getenv("DATABASE_URL")
	if m := os.Getenv("MIGRATION_DATABASE_URL"); owner && m != "" {
		url = m
	}
	if url == "" {
		return nil, errors.New("DATABASE_URL is not set (e.g. postgres://lotse_server@127.0.0.1:5432/lotse?sslmode=disable)")
	}
	st, err := store.Open(url)
	if err != nil {
		return nil, err
	}
	if v := os.Getenv("LOTSE_DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			_ = st.Close()
			return nil, errors.New("LOTSE_DB_MAX_CONNS must be a positive number of connections")
		}
		st.SetPool(n)
	}
	if v := os.Getenv("LOTSE_STALLED_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			_ = st.Close()
			return nil, errors.New("LOTSE_STALLED_DAYS must be a positive number of days")
		}
		st.StalledAfterDays = n
	}
	if v := os.Getenv("LOTSE_RETENTION_UNTIL"); v != "" {
		d, err := domain.ParseDate(v)
		if err != nil {
			_ = st.Close()
			return nil, errors.New("LOTSE_RETENTION_UNTIL must be a date (YYYY-MM-DD), the last day of the retention duty")
		}
		st.RetentionUntil = &d
	}
	if err := st.Ping(ctx); err != nil {
		return nil, fmt.Errorf("database not reachable: %w", err)
	}
	return st, nil
}

func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 1 || (len(args) == 1 && args[0] != "up" && args[0] != "status") {
		return errUsage
	}
	st, err := openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(args) == 1 && args[0] == "status" {
		return store.MigrationStatus(ctx, st.DB.DB, stdout)
	}
	return store.Migrate(ctx, st.DB.DB)
}

// replicaMaxLag is how far behind the primary the replica may be (LOTSE_REPLICA_MAX_LAG).
var replicaMaxLag = 5 * time.Second

// serverConfig reads the environment; the README documents every variable.
func serverConfig() (server.Config, error) {
	cfg := server.DefaultConfig()
	if v := os.Getenv("LOTSE_TRUSTED_PROXIES"); v != "" {
		cfg.TrustedProxies = strings.Split(v, ",")
	}
	if v := os.Getenv("LOTSE_MINIMUM_CELL"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < stats.LowestMinimumCell {
			return cfg, fmt.Errorf("LOTSE_MINIMUM_CELL must be a whole number of at least %d", stats.LowestMinimumCell)
		}
		cfg.MinimumCell = n
	}
	if v := os.Getenv("LOTSE_INSECURE_COOKIES"); v == "true" {
		cfg.SecureCookies = false
	}
	if v := os.Getenv("LOTSE_METRICS_PUBLIC"); v == "true" {
		cfg.MetricsPublic = true
	}
	if v := os.Getenv("LOTSE_REPLICA_MAX_LAG"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return cfg, errors.New("LOTSE_REPLICA_MAX_LAG must be a positive duration (e.g. 5s)")
		}
		replicaMaxLag = d
	}
	return cfg, nil
}

func serve(ctx context.Context) error {
	cfg, err := serverConfig()
	if err != nil {
		return err
	}
	if err := migrateAsOwner(ctx); err != nil {
		return err
	}
	st, err := openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if broad, err := st.MayAlterAuditTrail(ctx); err != nil {
		return err
	} else if broad {
		slog.Warn("the server's database role may change or delete audit events: connect DATABASE_URL as a member of lotse_app (README, \"Database roles\")")
	}
	az, err := authz.New(st.DB)
	if err != nil {
		return err
	}
	listenCtx, stopListen := context.WithCancel(context.Background())
	defer stopListen()
	if url := os.Getenv("LOTSE_REPLICA_URL"); url != "" {
		r, err := store.OpenReplica(url, st.DB, replicaMaxLag)
		if err != nil {
			return fmt.Errorf("LOTSE_REPLICA_URL: %w", err)
		}
		defer r.Close()
		st.Replica = r
		go r.Watch(listenCtx, 500*time.Millisecond)
	}
	go st.RetentionEvery(listenCtx, envDuration("LOTSE_RETENTION_INTERVAL", 24*time.Hour), logRetention)
	go az.Listen(listenCtx, os.Getenv("DATABASE_URL"), store.MembershipChannel, time.Minute)

	srv, err := server.New(cfg, st, az)
	if err != nil {
		return err
	}
	defer srv.Close()
	addr := envOr("LOTSE_ADDR", ":8080")
	hs := &http.Server{
		Addr:              addr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      120 * time.Second, // exports stream for a while
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if maddr := os.Getenv("LOTSE_METRICS_ADDR"); maddr != "" {
		ms := &http.Server{Addr: maddr, Handler: srv.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := ms.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				slog.Error("metrics listener", "err", err)
			}
		}()
		defer ms.Close()
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	slog.Info("lotse serving", "addr", addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Graceful shutdown: readiness fails first so the load balancer stops sending, and
	// from now on every answer closes its connection (server.Handler): a keep-alive
	// client gets the whole answer to its next request with "Connection: close" and
	// sends the one after on a new connection — to another instance behind a load
	// balancer, or here until the listener closes. Not hs.SetKeepAlivesEnabled(false):
	// it closes every idle connection at once, and a client about to reuse one loses
	// that request (shutdown_test.go saw it). After the delay, Shutdown closes the
	// listener and the connections idle since, and waits for the requests in flight.
	srv.SetReady(false)
	drain := envDuration("LOTSE_SHUTDOWN_DELAY", 5*time.Second)
	slog.Info("shutting down", "drain", drain.String())
	time.Sleep(drain)
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// migrateAsOwner runs the pending migrations as the schema owner, under goose's
// advisory lock so instances that start together migrate once.
func migrateAsOwner(ctx context.Context) error {
	owner, err := openStore(ctx, true)
	if err != nil {
		return err
	}
	defer owner.Close()
	return store.Migrate(ctx, owner.DB.DB)
}

// logRetention logs one run of the retention job.
func logRetention(rep store.RetentionReport, err error) {
	switch {
	case err != nil:
		slog.Error("retention job failed", "err", err)
	case rep.Skipped:
		slog.Info("retention job skipped: another instance is running it")
	default:
		slog.Info("retention job", "founders_erased", rep.FoundersErased, "purged", rep.Purged)
	}
}

// retentionCmd is `lotse retention run [--dry-run]`: one run of the daily job, with a
// report on standard output.
func retentionCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		return errUsage
	}
	fs := flag.NewFlagSet("retention run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dry := fs.Bool("dry-run", false, "")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	st, err := openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.RunRetention(ctx, domain.Actor{System: true}, *dry)
	if err != nil {
		return err
	}
	switch {
	case rep.Skipped:
		fmt.Fprintln(stdout, "skipped: another instance is running the retention job")
		return nil
	case rep.DryRun:
		fmt.Fprintln(stdout, "dry run: nothing was changed; a run would remove")
	}
	until := "not configured (LOTSE_RETENTION_UNTIL): every founder is kept"
	if rep.RetentionUntil != nil {
		until = rep.RetentionUntil.String()
	}
	fmt.Fprintf(stdout, "retention until   %s\n", until)
	fmt.Fprintf(stdout, "founders erased   %d\n", rep.FoundersErased)
	for _, t := range []string{"login_attempts", "idempotency_keys", "sessions", "api_tokens"} {
		fmt.Fprintf(stdout, "%-17s %d\n", t, rep.Purged[t])
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}

func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errUsage
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "")
	name := fs.String("name", "", "")
	role := fs.String("role", "", "")
	carrier := fs.String("carrier", "", "")
	langs := fs.String("languages", "", "")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *email == "" || *name == "" || *role == "" {
		return errUsage
	}
	m := domain.Membership{Role: *role}
	if *carrier != "" {
		id, err := uuid.Parse(*carrier)
		if err != nil {
			return errors.New("--carrier must be a carrier id (UUID)")
		}
		m.CarrierID = &id
	}
	password, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	password = strings.TrimRight(password, "\r\n")
	st, err := openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	in := domain.UserInput{Email: *email, Name: *name, Password: password}
	if *langs != "" {
		in.Languages = strings.Split(*langs, ",")
	}
	id, err := seed.AddUser(ctx, st, in, m)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, id)
	return nil
}

func seedCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	// Seeding is the operator's work: as the schema owner (a bulk load rebuilds the
	// statistics tables' indexes).
	st, err := openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st.DB.DB); err != nil {
		return err
	}
	switch args[0] {
	case "demo":
		if len(args) != 1 {
			return errUsage
		}
		return seed.Demo(ctx, st, stdout)
	case "scale":
		fs := flag.NewFlagSet("seed scale", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		n := fs.Int("founders", 0, "")
		if err := fs.Parse(args[1:]); err != nil || *n <= 0 {
			return errUsage
		}
		return seed.Scale(ctx, st, *n, stdout)
	}
	return errUsage
}
