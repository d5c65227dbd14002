package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/lib/pq"
)

// pgBin holds PostgreSQL's programs (Debian's layout; the newest version installed).
var pgBin = func() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	if len(dirs) == 0 {
		return ""
	}
	return dirs[len(dirs)-1]
}()

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// env is one drill's world: a temporary directory (owned by the postgres user when
// running as root, as scripts/postgres.sh does), its clusters and processes, all ended
// by close. The directory stays when a promise broke, for its logs.
type env struct {
	name   string
	lotse  string
	dir    string
	broken bool // -break names this drill
	keep   bool
	cred   *syscall.Credential // PostgreSQL's programs run as this user (root: postgres)

	mu      sync.Mutex
	cleanup []func()
}

func newEnv(lotse, name string, broken bool) (*env, error) {
	if pgBin == "" {
		return nil, errors.New("PostgreSQL's programs are missing (Debian: apt-get install postgresql)")
	}
	dir, err := os.MkdirTemp("/var/tmp", "lotse-drill-"+name+"-")
	if err != nil {
		return nil, err
	}
	e := &env{name: name, lotse: lotse, dir: dir, broken: broken}
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root needs a postgres user to run PostgreSQL (apt-get install postgresql)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		e.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *env) defer_(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cleanup = append(e.cleanup, f)
}

func (e *env) close() {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		e.cleanup[i]()
	}
	if e.keep {
		logf("%s: kept %s for its logs", e.name, e.dir)
		return
	}
	_ = os.RemoveAll(e.dir)
}

// pg runs one of PostgreSQL's programs as the postgres user.
func (e *env) pg(ctx context.Context, prog string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(pgBin, prog), args...)
	cmd.Dir = e.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: e.cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// writeFile writes a file the postgres user owns.
func (e *env) writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	if e.cred != nil {
		return os.Chown(path, int(e.cred.Uid), int(e.cred.Gid))
	}
	return nil
}

// mkdir makes a directory the postgres user owns.
func (e *env) mkdir(path string) error {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return err
	}
	if e.cred != nil {
		return os.Chown(path, int(e.cred.Uid), int(e.cred.Gid))
	}
	return nil
}

// cluster is one PostgreSQL server of a drill.
type cluster struct {
	e    *env
	name string
	data string
	port int
}

// clusterSettings are every drill cluster's settings: loopback only, the socket in the
// data directory, WAL for a replica and for archiving.
const clusterSettings = `
listen_addresses = '127.0.0.1'
max_connections = 200
wal_level = replica
max_wal_senders = 5
wal_keep_size = '256MB'
hot_standby = on
logging_collector = off
`

// newCluster initialises a cluster (not started) with trust authentication for the
// postgres user on loopback, replication included.
func (e *env) newCluster(ctx context.Context, name string, extra string) (*cluster, error) {
	c := &cluster{e: e, name: name, data: filepath.Join(e.dir, name), port: freePort()}
	if _, err := e.pg(ctx, "initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return nil, err
	}
	if err := c.configure(extra); err != nil {
		return nil, err
	}
	e.defer_(func() { _ = c.stop(context.Background(), "immediate") })
	return c, nil
}

// configure appends the drill settings and this cluster's port and socket directory.
func (c *cluster) configure(extra string) error {
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s\nport = %d\nunix_socket_directories = '%s'\n%s\n", clusterSettings, c.port, c.data, extra)
	return err
}

func (c *cluster) start(ctx context.Context) error {
	_, err := c.e.pg(ctx, "pg_ctl", "-D", c.data, "-l", c.data+".log", "-w", "-t", "60", "start")
	return err
}

// stop stops the cluster: "fast" (clients disconnected, clean shutdown) or "immediate"
// (like a crash: recovery at the next start).
func (c *cluster) stop(ctx context.Context, mode string) error {
	if _, err := os.Stat(filepath.Join(c.data, "postmaster.pid")); err != nil {
		return nil
	}
	_, err := c.e.pg(ctx, "pg_ctl", "-D", c.data, "-m", mode, "-w", "-t", "60", "stop")
	return err
}

// url is a connection URL for user on database db.
func (c *cluster) url(user, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", user, c.port, db)
}

// sql opens the cluster as the postgres user.
func (c *cluster) sql(db string) (*sql.DB, error) {
	d, err := sql.Open("postgres", c.url("postgres", db)+"&connect_timeout=5")
	if err != nil {
		return nil, err
	}
	d.SetMaxOpenConns(4)
	c.e.defer_(func() { _ = d.Close() })
	return d, nil
}

// lotseDB creates the database "lotse" with the two roles of the README ("Database
// roles"): the schema owner (postgres here) and lotse_server, a member of lotse_app.
// It answers the server's and the owner's URL.
func (c *cluster) lotseDB(ctx context.Context, name string) (server, owner string, err error) {
	db, err := c.sql("postgres")
	if err != nil {
		return "", "", err
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", "", err
	}
	if _, err := db.ExecContext(ctx, `DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lotse_app') THEN CREATE ROLE lotse_app NOLOGIN; END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lotse_server') THEN CREATE ROLE lotse_server LOGIN IN ROLE lotse_app; END IF;
	END $$`); err != nil {
		return "", "", err
	}
	return c.url("lotse_server", name), c.url("postgres", name), nil
}

// demoPrimary is the primary cluster most drills start from: initialised with extra
// configuration, started, with the demo database (server and owner URLs).
func (e *env) demoPrimary(ctx context.Context, extra string) (pg *cluster, server, owner string, err error) {
	if pg, err = e.newCluster(ctx, "primary", extra); err != nil {
		return nil, "", "", err
	}
	if err = pg.start(ctx); err != nil {
		return nil, "", "", err
	}
	server, owner, err = pg.demoDB(ctx)
	return pg, server, owner, err
}

// demoDB is lotseDB migrated and seeded with the demo data.
func (c *cluster) demoDB(ctx context.Context) (server, owner string, err error) {
	server, owner, err = c.lotseDB(ctx, "lotse")
	if err != nil {
		return "", "", err
	}
	cmd := exec.CommandContext(ctx, c.e.lotse, "seed", "demo")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+server, "MIGRATION_DATABASE_URL="+owner)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("lotse seed demo: %v: %s", err, out)
	}
	return server, owner, nil
}

// freePort is a TCP port on loopback nobody listens on right now.
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// instance is one running `lotse serve`.
type instance struct {
	name string
	addr string
	cmd  *exec.Cmd
	logs *logBuffer
	done chan error
}

// logBuffer keeps a process's output for the drill to read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serve starts `lotse serve` on a free port with the databases and extra environment
// (later entries win) and waits until it is ready.
func (e *env) serve(ctx context.Context, name, server, owner string, extra ...string) (*instance, error) {
	in, err := e.startServe(ctx, name, server, owner, extra...)
	if err != nil {
		return nil, err
	}
	return in, in.waitReady(ctx, 30*time.Second)
}

// startServe starts `lotse serve` without waiting for it.
func (e *env) startServe(ctx context.Context, name, server, owner string, extra ...string) (*instance, error) {
	in := &instance{name: name, addr: fmt.Sprintf("127.0.0.1:%d", freePort()), logs: &logBuffer{}, done: make(chan error, 1)}
	in.cmd = exec.Command(e.lotse, "serve")
	in.cmd.Env = append(os.Environ(), "DATABASE_URL="+server, "MIGRATION_DATABASE_URL="+owner,
		"LOTSE_ADDR="+in.addr, "LOTSE_INSECURE_COOKIES=true", "LOTSE_METRICS_PUBLIC=true", "LOTSE_SHUTDOWN_DELAY=1s")
	in.cmd.Env = append(in.cmd.Env, extra...)
	in.cmd.Stdout, in.cmd.Stderr = in.logs, in.logs
	if err := in.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { in.done <- in.cmd.Wait() }()
	e.defer_(func() {
		_ = in.cmd.Process.Kill()
		err := <-in.done
		_ = err // killed: the exit status says nothing
		_ = os.WriteFile(filepath.Join(e.dir, name+".log"), []byte(in.logs.String()), 0o644)
	})
	return in, nil
}

func (in *instance) url(path string) string { return "http://" + in.addr + path }

func (in *instance) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-in.done:
			in.done <- err
			return fmt.Errorf("%s exited: %v: %s", in.name, err, lastLines(in.logs.String(), 5))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		res, err := http.Get(in.url("/readyz"))
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %s", in.name, limit, lastLines(in.logs.String(), 5))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// client is a signed-in API client (session cookie), or a bare one before signIn.
type client struct {
	http *http.Client
}

func newClient(timeout time.Duration) *client {
	jar, _ := cookiejar.New(nil)
	return &client{http: &http.Client{Jar: jar, Timeout: timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}}
}

// do sends a JSON request and decodes a JSON answer into out (when given).
func (c *client) do(method, url string, body any, header map[string]string, out any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res, err
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return res, fmt.Errorf("%s %s: %v: %.200s", method, url, err, b)
		}
	}
	return res, nil
}

// signIn signs in on base (an instance or the proxy) with the demo password.
func (c *client) signIn(base, email, password string) error {
	res, err := c.do("POST", base+"/api/v1/session", map[string]string{"email": email, "password": password}, nil, nil)
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("sign-in of %s: %s", email, res.Status)
	}
	return nil
}

// firstCase is the id of the first case the client sees.
func (c *client) firstCase(base string) (string, error) {
	ids, err := c.cases(base)
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// cases are the ids of the cases on the client's first page of cases (at least one).
func (c *client) cases(base string) ([]string, error) {
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	res, err := c.do("GET", base+"/api/v1/cases", nil, nil, &list)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 200 || len(list.Items) == 0 {
		return nil, fmt.Errorf("case list: %s, %d cases", res.Status, len(list.Items))
	}
	ids := make([]string, len(list.Items))
	for i, it := range list.Items {
		ids[i] = it.ID
	}
	return ids, nil
}

// demoPassword is the password of every demo account (internal/seed).
const demoPassword = "Beratung-Demo-2026"

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func mustURL(s string) *url.URL { return must(url.Parse(s)) }
