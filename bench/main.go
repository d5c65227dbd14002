// Command bench measures what advisors, coordinators and programme managers use daily on
// a scale data set (`lotse seed scale`), each HTTP answer as a ratio against the store
// call that request makes (its SQL and scanning, no HTTP, no session, no template), and
// optionally against an older binary on the same database in the same run:
//
//	go run ./bench -db postgres://…/lotse_bench -new bin/lotse [-old /tmp/old/bin/lotse] -out bench/results.md
//
// Each binary is started as `lotse serve` on a free port. Read rows alternate the store
// call, the new and the old server request by request (the order turning each round),
// so all see the same load of a shared machine; each figure is a median. The write row
// runs 16 concurrent clients logging consultations for a few seconds against each
// server and against a plain INSERT transaction, in alternating rounds. It also saves
// EXPLAIN (ANALYZE, BUFFERS) of every statement each store call runs (auto_explain,
// reported to the client as notices; needs a superuser connection) beside the results.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/authz"
	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type config struct {
	db, newBin, oldBin, out, explain string
	only, syncCommit                 string
	rounds, clients                  int
	writeFor                         time.Duration
	writeRounds                      int
}

func run() error {
	var cfg config
	flag.StringVar(&cfg.db, "db", os.Getenv("BENCH_DATABASE_URL"), "database seeded with `lotse seed scale` (superuser, for auto_explain)")
	flag.StringVar(&cfg.newBin, "new", "bin/lotse", "the binary measured")
	flag.StringVar(&cfg.oldBin, "old", "", "an older binary measured in the same run (optional)")
	flag.StringVar(&cfg.out, "out", "", "results file (markdown); stdout only when empty")
	flag.StringVar(&cfg.explain, "explain", "", "file for EXPLAIN (ANALYZE, BUFFERS) of every statement measured")
	flag.IntVar(&cfg.rounds, "rounds", 25, "measured requests per read row and server")
	flag.IntVar(&cfg.clients, "clients", 16, "concurrent clients of the write row")
	flag.DurationVar(&cfg.writeFor, "write-for", time.Second, "duration of each write round")
	flag.IntVar(&cfg.writeRounds, "write-rounds", 6, "write rounds per system")
	flag.StringVar(&cfg.syncCommit, "synchronous-commit", "", "synchronous_commit for every connection of the run (e.g. off: the disk's fsync then bounds no system)")
	flag.StringVar(&cfg.only, "only", "", "measure only the rows whose name contains this (\"writes\" for the write row)")
	flag.Parse()
	if cfg.db == "" {
		return errors.New("-db (or BENCH_DATABASE_URL) is required")
	}
	if cfg.syncCommit != "" {
		u, err := url.Parse(cfg.db)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("synchronous_commit", cfg.syncCommit)
		u.RawQuery = q.Encode()
		cfg.db = u.String()
	}
	ctx := context.Background()
	st, err := store.Open(cfg.db)
	if err != nil {
		return err
	}
	defer st.Close()
	st.SetPool(cfg.clients + 4)
	az, err := authz.New(st.DB)
	if err != nil {
		return err
	}
	st.Authorize = az.Scope
	d, err := loadData(ctx, st)
	if err != nil {
		return err
	}
	servers := []*server{}
	for _, b := range []struct{ name, bin string }{{"new", cfg.newBin}, {"old", cfg.oldBin}} {
		if b.bin == "" {
			continue
		}
		s, err := startServer(b.name, b.bin, cfg.db)
		if err != nil {
			return err
		}
		defer s.stop()
		servers = append(servers, s)
	}
	for _, s := range servers {
		if err := s.signIn(d); err != nil {
			return err
		}
	}
	rows := readRows(st, d)
	results := make([]result, 0, len(rows)+1)
	for _, r := range rows {
		if !strings.Contains(r.name, cfg.only) {
			continue
		}
		res, err := measureRead(ctx, st, r, servers, cfg.rounds)
		if err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		fmt.Fprintln(os.Stderr, res.line())
		results = append(results, res)
	}
	if strings.Contains("consultation writes", cfg.only) {
		w, err := measureWrites(ctx, st, d, servers, cfg)
		if err != nil {
			return fmt.Errorf("writes: %w", err)
		}
		fmt.Fprintln(os.Stderr, w.line())
		results = append(results, w)
	}
	report := renderReport(ctx, st, cfg, d, servers, results)
	fmt.Print(report)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(report), 0o644); err != nil {
			return err
		}
	}
	if cfg.explain != "" {
		if err := explainAll(ctx, cfg, az, d, rows); err != nil {
			return fmt.Errorf("explain: %w", err)
		}
	}
	return nil
}

// data are the people and cases the rows use.
type data struct {
	coordinator, advisor domain.Actor
	carrier              uuid.UUID
	typical, big         uuid.UUID
	bigEntries           int
	deepCursor           string
	writeCases           []uuid.UUID
	founders             int
}

const (
	coordinatorEmail = "scale.coordinator.0@lotse.example"
	advisorEmail     = "scale.advisor.1@lotse.example"
	bigCaseEntries   = 2000
	deepPage         = 20
)

func loadData(ctx context.Context, st *store.Store) (data, error) {
	var d data
	db := st.DB
	if err := db.GetContext(ctx, &d.coordinator.UserID, `SELECT id FROM users WHERE email = $1`, coordinatorEmail); err != nil {
		return d, fmt.Errorf("no scale data (lotse seed scale): %w", err)
	}
	if err := db.GetContext(ctx, &d.advisor.UserID, `SELECT id FROM users WHERE email = $1`, advisorEmail); err != nil {
		return d, err
	}
	if err := db.GetContext(ctx, &d.founders, `SELECT count(*) FROM founders`); err != nil {
		return d, err
	}
	if err := db.GetContext(ctx, &d.carrier, `SELECT carrier_id FROM memberships WHERE user_id = $1 AND role = 'coordinator'`, d.coordinator.UserID); err != nil {
		return d, err
	}
	// A typical case: active, with the median number of consultations of the carrier.
	if err := db.GetContext(ctx, &d.typical, `
SELECT c.id FROM cases c WHERE c.carrier_id = $1 AND c.status = 'active'
ORDER BY (SELECT count(*) FROM consultations k WHERE k.case_id = c.id), c.id
OFFSET (SELECT count(*) / 2 FROM cases WHERE carrier_id = $1 AND status = 'active') LIMIT 1`, d.carrier); err != nil {
		return d, err
	}
	// The case with 2,000 entries: the same case on each run, filled up once.
	if err := db.GetContext(ctx, &d.big, `SELECT id FROM cases WHERE carrier_id = $1 AND status = 'active' ORDER BY id LIMIT 1`, d.carrier); err != nil {
		return d, err
	}
	if err := db.GetContext(ctx, &d.bigEntries, `SELECT count(*) FROM consultations WHERE case_id = $1`, d.big); err != nil {
		return d, err
	}
	if d.bigEntries < bigCaseEntries {
		if _, err := db.ExecContext(ctx, `
INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, mode, topics, languages, interpreter, summary, phase)
SELECT gen_random_uuid(), c.id, c.lead_advisor_id, c.opened_on + (g % greatest(current_date - c.opened_on, 1)),
       45, 'in_person', ARRAY['business_plan'], '{}', false, 'Bench entry ' || g, c.phase
FROM cases c, generate_series(1, $2) g WHERE c.id = $1`, d.big, bigCaseEntries-d.bigEntries); err != nil {
			return d, fmt.Errorf("filling the large case: %w", err)
		}
		d.bigEntries = bigCaseEntries
	}
	if _, err := db.ExecContext(ctx, `ANALYZE consultations`); err != nil {
		return d, err
	}
	// The cursor of a deep page of the coordinator's case list.
	f := domain.CaseFilter{}
	for range deepPage {
		_, next, err := st.Cases(ctx, d.coordinator, f)
		if err != nil {
			return d, err
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	d.deepCursor = f.Cursor
	// The writer's open cases (its founders' consent stands in the scale data).
	if err := db.SelectContext(ctx, &d.writeCases, `SELECT id FROM cases WHERE lead_advisor_id = $1 AND status <> 'closed' ORDER BY id LIMIT 16`, d.advisor.UserID); err != nil || len(d.writeCases) == 0 {
		return d, fmt.Errorf("no open case of %s: %v", advisorEmail, err)
	}
	return d, nil
}

// readRow is one read row: the path, who asks, and the store call the request makes.
type readRow struct {
	name  string
	path  string
	as    string // "coordinator" or "advisor"
	store func(ctx context.Context, st *store.Store) error
}

func readRows(_ *store.Store, d data) []readRow {
	caseFile := func(id uuid.UUID) func(context.Context, *store.Store) error {
		return func(ctx context.Context, st *store.Store) error {
			_, err := st.CaseFile(ctx, d.coordinator, id, "")
			return err
		}
	}
	list := func(a domain.Actor, f domain.CaseFilter) func(context.Context, *store.Store) error {
		return func(ctx context.Context, st *store.Store) error {
			_, _, err := st.Cases(ctx, a, f)
			return err
		}
	}
	return []readRow{
		{"case list, first page (coordinator)", "/cases", "coordinator", list(d.coordinator, domain.CaseFilter{})},
		{fmt.Sprintf("case list, page %d (coordinator)", deepPage+1), "/cases?cursor=" + url.QueryEscape(d.deepCursor), "coordinator",
			list(d.coordinator, domain.CaseFilter{Cursor: d.deepCursor})},
		{"my cases (advisor)", "/cases", "advisor", list(d.advisor, domain.CaseFilter{})},
		{"case page, typical (coordinator)", "/cases/" + d.typical.String(), "coordinator", caseFile(d.typical)},
		{fmt.Sprintf("case page, %d entries (coordinator)", d.bigEntries), "/cases/" + d.big.String(), "coordinator", caseFile(d.big)},
		{"agenda (advisor)", "/agenda", "advisor", func(ctx context.Context, st *store.Store) error {
			_, err := st.Agenda(ctx, d.advisor)
			return err
		}},
		{"caseload (coordinator)", "/caseload", "coordinator", func(ctx context.Context, st *store.Store) error {
			_, err := st.Caseload(ctx, d.coordinator, nil)
			return err
		}},
		{"intake form (coordinator)", "/cases/new", "coordinator", func(ctx context.Context, st *store.Store) error {
			_, err := st.Carriers(ctx)
			return err
		}},
	}
}

// server is one running `lotse serve`, with a signed-in client per person.
type server struct {
	name, url, bin string
	cmd            *exec.Cmd
	clients        map[string]*http.Client
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startServer(name, bin, db string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+db, "LOTSE_ADDR="+addr, "LOTSE_INSECURE_COOKIES=true",
		"LOTSE_SHUTDOWN_DELAY=0s", "LOTSE_LOG_LEVEL=error")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	s := &server{name: name, url: "http://" + addr, bin: bin, cmd: cmd, clients: map[string]*http.Client{}}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not get ready: %s", bin, stderr.String())
		}
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done: // an interrupted server exits non-zero; the benchmark is over anyway
		_ = err
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
	}
}

// signIn signs the coordinator and the advisor in with the page form, as a browser.
func (s *server) signIn(_ data) error {
	for who, email := range map[string]string{"coordinator": coordinatorEmail, "advisor": advisorEmail} {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: time.Minute,
			Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := c.PostForm(s.url+"/login", url.Values{"email": {email}, "password": {seed.ScalePassword}, "next": {"/"}})
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			return fmt.Errorf("%s: sign-in of %s: %d", s.name, email, res.StatusCode)
		}
		s.clients[who] = c
	}
	return nil
}

func (s *server) get(who, path string) error {
	res, err := s.clients[who].Get(s.url + path)
	return s.expect(res, err, http.StatusOK, "GET "+path)
}

// expect reads an answer to its end and checks its status.
func (s *server) expect(res *http.Response, err error, want int, what string) error {
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d", s.name, what, res.StatusCode)
	}
	return nil
}

// result is one row of the table: the medians of the store call and of each server, in
// milliseconds (for a write row: operations per second).
type result struct {
	name  string
	write bool
	base  float64
	by    map[string]float64
}

// ratio is a server's figure over the store call's (for writes: its rate over the
// plain INSERT's).
func (r result) ratio(server string) float64 { return r.by[server] / r.base }

func (r result) line() string {
	s := fmt.Sprintf("%-42s base %8.2f", r.name, r.base)
	for _, n := range []string{"new", "old"} {
		if v, ok := r.by[n]; ok {
			s += fmt.Sprintf("  %s %8.2f (%.2f×)", n, v, r.ratio(n))
		}
	}
	return s
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func measureRead(ctx context.Context, st *store.Store, r readRow, servers []*server, rounds int) (result, error) {
	steps := []func() error{func() error { return r.store(ctx, st) }}
	for _, s := range servers {
		steps = append(steps, func() error { return s.get(r.as, r.path) })
	}
	times := make([][]float64, len(steps))
	for round := -3; round < rounds; round++ { // three rounds to warm up
		for i := range steps {
			k := (i + max(round, 0)) % len(steps) // the order turns each round
			t0 := time.Now()
			if err := steps[k](); err != nil {
				return result{}, err
			}
			if round >= 0 {
				times[k] = append(times[k], float64(time.Since(t0).Microseconds())/1000)
			}
		}
	}
	res := result{name: r.name, base: median(times[0]), by: map[string]float64{}}
	for i, s := range servers {
		res.by[s.name] = median(times[i+1])
	}
	return res, nil
}

// consultationBody is what each write posts (and the plain INSERT writes alike).
const consultationBody = `{"date":"%s","duration_minutes":45,"mode":"phone","topics":["business_plan"],"languages":[],"interpreter":false,"summary":"Bench: Gespräch über den Businessplan"}`

// measureWrites: consultations per second at cfg.clients concurrent clients, through
// each server's API (session cookie of the lead advisor) and as a plain INSERT
// transaction (BEGIN; INSERT; COMMIT) on the store's pool, in alternating rounds.
func measureWrites(ctx context.Context, st *store.Store, d data, servers []*server, cfg config) (result, error) {
	today := st.Today().String()
	body := fmt.Sprintf(consultationBody, today)
	type system struct {
		name string
		op   func(client int) error
	}
	systems := []system{{"base", func(client int) error {
		tx, err := st.DB.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.ExecContext(ctx, `
INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, mode, topics, languages, interpreter, summary, phase)
VALUES ($1, $2, $3, $4, 45, 'phone', ARRAY['business_plan'], '{}', false, 'Bench: Gespräch über den Businessplan', 'founding')`,
			uuid.New(), d.writeCases[client%len(d.writeCases)], d.advisor.UserID, today); err != nil {
			return err
		}
		return tx.Commit()
	}}}
	for _, s := range servers {
		c := s.clients["advisor"]
		systems = append(systems, system{s.name, func(client int) error {
			u := fmt.Sprintf("%s/api/v1/cases/%s/consultations", s.url, d.writeCases[client%len(d.writeCases)])
			res, err := c.Post(u, "application/json", strings.NewReader(body))
			return s.expect(res, err, http.StatusCreated, "POST "+u)
		}})
	}
	rates := map[string][]float64{}
	for round := 0; round < cfg.writeRounds; round++ {
		for i := range systems {
			sys := systems[(i+round)%len(systems)]
			var n atomic.Int64
			var firstErr error
			var once sync.Once
			stop := time.Now().Add(cfg.writeFor)
			var wg sync.WaitGroup
			t0 := time.Now()
			for client := range cfg.clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(stop) {
						if err := sys.op(client); err != nil {
							once.Do(func() { firstErr = err })
							return
						}
						n.Add(1)
					}
				}()
			}
			wg.Wait()
			if firstErr != nil {
				return result{}, firstErr
			}
			rates[sys.name] = append(rates[sys.name], float64(n.Load())/time.Since(t0).Seconds())
		}
	}
	res := result{name: fmt.Sprintf("consultation writes, %d clients (per second)", cfg.clients), write: true,
		base: median(rates["base"]), by: map[string]float64{}}
	for _, s := range servers {
		res.by[s.name] = median(rates[s.name])
	}
	return res, nil
}

func commandOutput(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}

func renderReport(ctx context.Context, st *store.Store, cfg config, d data, servers []*server, results []result) string {
	var b strings.Builder
	var version string
	_ = st.DB.GetContext(ctx, &version, `SELECT version()`)
	fmt.Fprintf(&b, "# Lotse benchmark, %d founders\n\n", d.founders)
	fmt.Fprintf(&b, "Measured %s by `go run ./bench` (%d requests per read row and server, alternating; "+
		"writes: %d rounds of %s per system at %d clients).\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"),
		cfg.rounds, cfg.writeRounds, cfg.writeFor, cfg.clients)
	mem := strings.Fields(strings.SplitN(commandOutput("free", "-g")+"\n\n", "\n", 3)[1])
	if len(mem) > 1 {
		mem = mem[1:2]
	}
	fmt.Fprintf(&b, "Machine: %s cores (`nproc`), %s GB memory (`free -g`), load average at the end %s (`/proc/loadavg`, shared with other work); %s; Go %s.\n\n",
		commandOutput("nproc"), strings.Join(mem, ""), strings.Join(strings.Fields(commandOutput("cat", "/proc/loadavg"))[:3], " "),
		version, runtime.Version())
	for _, s := range servers {
		fmt.Fprintf(&b, "- %s: `%s`\n", s.name, s.bin)
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Read rows: HTTP median ÷ median of the store call the request makes (its SQL, no HTTP, session or template).")
	fmt.Fprintln(&b, "Write row: consultations per second through the API ÷ plain INSERT transactions per second (higher is better).")
	if cfg.syncCommit != "" {
		fmt.Fprintf(&b, "Every connection of this run (servers, store calls, INSERTs) used synchronous_commit=%s.\n", cfg.syncCommit)
	}
	fmt.Fprintln(&b)
	head := "| row | store/SQL |"
	sep := "|---|---:|"
	for _, s := range servers {
		head += fmt.Sprintf(" %s | %s ÷ SQL |", s.name, s.name)
		sep += "---:|---:|"
	}
	if len(servers) == 2 {
		head += " new ÷ old |"
		sep += "---:|"
	}
	fmt.Fprintln(&b, head)
	fmt.Fprintln(&b, sep)
	for _, r := range results {
		unit := "ms"
		if r.write {
			unit = "/s"
		}
		line := fmt.Sprintf("| %s | %.2f %s |", r.name, r.base, unit)
		for _, s := range servers {
			line += fmt.Sprintf(" %.2f %s | %.2f× |", r.by[s.name], unit, r.ratio(s.name))
		}
		if len(servers) == 2 {
			line += fmt.Sprintf(" %.2f× |", r.by["new"]/r.by["old"])
		}
		fmt.Fprintln(&b, line)
	}
	return b.String()
}

// explainAll runs each row's store call once on a connection with auto_explain reporting
// every statement's plan (ANALYZE, BUFFERS) to the client, and writes them to cfg.explain.
func explainAll(ctx context.Context, cfg config, az *authz.Authorizer, d data, rows []readRow) error {
	var mu sync.Mutex
	var notices []string
	base, err := pq.NewConnector(cfg.db)
	if err != nil {
		return err
	}
	conn := pq.ConnectorWithNoticeHandler(base, func(e *pq.Error) {
		mu.Lock()
		notices = append(notices, e.Message)
		mu.Unlock()
	})
	db := sqlx.NewDb(sql.OpenDB(conn), "postgres")
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{`LOAD 'auto_explain'`, `SET jit = off`, `SET auto_explain.log_min_duration = 0`,
		`SET auto_explain.log_analyze = on`, `SET auto_explain.log_buffers = on`, `SET auto_explain.log_level = notice`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	st := &store.Store{DB: db, Now: time.Now, Authorize: az.Scope}
	var b strings.Builder
	fmt.Fprintf(&b, "EXPLAIN (ANALYZE, BUFFERS) of every statement each read row's store call runs (auto_explain), %s\n",
		time.Now().UTC().Format(time.RFC3339))
	// The write row's use case, as the API runs it (one consultation).
	rows = append(rows, readRow{name: "consultation write (advisor)", path: "POST /api/v1/cases/{id}/consultations",
		store: func(ctx context.Context, st *store.Store) error {
			in := domain.ConsultationInput{Date: st.Today(), DurationMinutes: 45, Mode: "phone",
				Topics: []string{"business_plan"}, Languages: []string{}, Summary: "Bench: Gespräch über den Businessplan"}
			_, err := st.CreateConsultation(ctx, d.advisor, d.writeCases[0], in, nil)
			return err
		}})
	for _, r := range rows {
		mu.Lock()
		notices = nil
		mu.Unlock()
		if err := r.store(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		mu.Lock()
		fmt.Fprintf(&b, "\n==== %s (%s) ====\n", r.name, r.path)
		for _, n := range notices {
			fmt.Fprintf(&b, "\n%s\n", n)
		}
		mu.Unlock()
	}
	return os.WriteFile(cfg.explain, []byte(b.String()), 0o644)
}
