package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp/totp"
)

// haproxyConfig balances two instances round-robin and takes an instance out as soon
// as its /readyz fails (graceful shutdown, database away). Why HAProxy: it is in
// Debian, and its free version checks backends actively (GET /readyz every 250 ms),
// which Lotse's graceful shutdown relies on; nginx's free version only notices a
// backend that failed requests. X-Served-By lets the drill see which instance answered.
const haproxyConfig = `global
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option forwardfor
frontend lotse
  bind 127.0.0.1:%d
  default_backend instances
backend instances
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 250ms fall 2 rise 2
  http-response set-header X-Served-By %%s
  server a %s check
  server b %s check
`

// drillInstances: two instances behind HAProxy on one database. They start together on
// an empty database and migrate once; a session made on one works on the other and
// through the proxy on both; sign-in failures count across both; a role change through
// one is enforced by the other within a second, also after a database restart; the
// retention job runs on one instance at a time.
func drillInstances(ctx context.Context, e *env) ([]result, error) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		return nil, fmt.Errorf("haproxy is missing (Debian: apt-get install haproxy)")
	}
	pg, err := e.newCluster(ctx, "primary", "")
	if err != nil {
		return nil, err
	}
	if err := pg.start(ctx); err != nil {
		return nil, err
	}
	server, owner, err := pg.lotseDB(ctx, "lotse")
	if err != nil {
		return nil, err
	}
	serverB, ownerB := server, owner
	if e.broken { // B on a database of its own: nothing is shared any more
		if serverB, ownerB, err = pg.lotseDB(ctx, "lotse_b"); err != nil {
			return nil, err
		}
	}
	var rows []result

	// Two instances start at the same moment on an empty database.
	a, err := e.startServe(ctx, "a", server, owner)
	if err != nil {
		return nil, err
	}
	b, err := e.startServe(ctx, "b", serverB, ownerB)
	if err != nil {
		return nil, err
	}
	if err := a.waitReady(ctx, 60*time.Second); err != nil {
		return nil, err
	}
	if err := b.waitReady(ctx, 60*time.Second); err != nil {
		return nil, err
	}
	db, err := pg.sql("lotse")
	if err != nil {
		return nil, err
	}
	var applied, distinct int
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&applied, &distinct); err != nil {
		return nil, err
	}
	rows = append(rows, result{"instances", fmt.Sprintf("2 started at once: %d migrations applied, %d distinct", applied, distinct),
		"two instances starting at once migrate once", applied == distinct && applied > 0})

	for _, d := range []struct{ server, owner string }{{server, owner}, {serverB, ownerB}}[:map[bool]int{false: 1, true: 2}[e.broken]] {
		cmd := exec.CommandContext(ctx, e.lotse, "seed", "demo")
		cmd.Env = append(os.Environ(), "DATABASE_URL="+d.server, "MIGRATION_DATABASE_URL="+d.owner)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("lotse seed demo: %v: %s", err, out)
		}
	}

	port := freePort()
	cfg := filepath.Join(e.dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(haproxyConfig, port, a.addr, b.addr)), 0o644); err != nil {
		return nil, err
	}
	hp := exec.Command(haproxy, "-f", cfg, "-db")
	hpLog := &logBuffer{}
	hp.Stdout, hp.Stderr = hpLog, hpLog
	if err := hp.Start(); err != nil {
		return nil, err
	}
	e.defer_(func() {
		_ = hp.Process.Kill()
		_ = hp.Wait()
		_ = os.WriteFile(filepath.Join(e.dir, "haproxy.log"), []byte(hpLog.String()), 0o644)
	})
	proxy := fmt.Sprintf("http://127.0.0.1:%d", port)
	time.Sleep(time.Second) // two health checks pass (rise 2, every 250 ms)

	// A session made through the proxy, then used 20 times through it (both instances).
	cl := newClient(10 * time.Second)
	if err := cl.signIn(proxy, "berater@lotse.example", demoPassword); err != nil {
		return nil, err
	}
	served := map[string]int{}
	ok := 0
	for i := 0; i < 20; i++ {
		res, err := cl.do("GET", proxy+"/api/v1/me", nil, nil, nil)
		if err == nil {
			served[res.Header.Get("X-Served-By")]++
			if res.StatusCode == 200 {
				ok++
			}
		}
	}
	// And one made on A directly, used on B.
	direct := newClient(10 * time.Second)
	if err := direct.signIn(a.url(""), "koordination@lotse.example", demoPassword); err != nil {
		return nil, err
	}
	res, err := direct.do("GET", a.url("/api/v1/me"), nil, nil, nil)
	onA := err == nil && res.StatusCode == 200
	sessionOnB := 0
	if onA {
		for _, c := range direct.http.Jar.Cookies(mustURL(a.url("/"))) {
			direct.http.Jar.SetCookies(mustURL(b.url("/")), []*http.Cookie{c})
		}
		if res, err := direct.do("GET", b.url("/api/v1/me"), nil, nil, nil); err == nil {
			sessionOnB = res.StatusCode
		}
	}
	rows = append(rows, result{"instances", fmt.Sprintf("%d/20 via proxy answered 200 (a %d, b %d); made on A, on B: %d", ok, served["a"], served["b"], sessionOnB),
		"a session made on one instance works on the other", ok == 20 && served["a"] > 0 && served["b"] > 0 && sessionOnB == 200})

	// Sign-in throttling: 5 failures, alternating A and B, then the right password.
	statuses := []string{}
	for i := 0; i < 5; i++ {
		in := []*instance{a, b}[i%2]
		res, err := newClient(10*time.Second).do("POST", in.url("/api/v1/session"), map[string]string{"email": "berater.sued@lotse.example", "password": "wrong-password-" + fmt.Sprint(i)}, nil, nil)
		if err != nil {
			return nil, err
		}
		statuses = append(statuses, fmt.Sprint(res.StatusCode))
	}
	res, err = newClient(10*time.Second).do("POST", b.url("/api/v1/session"), map[string]string{"email": "berater.sued@lotse.example", "password": demoPassword}, nil, nil)
	if err != nil {
		return nil, err
	}
	rows = append(rows, result{"instances", fmt.Sprintf("5 failures on A,B,A,B,A (%s), then the right password on B: %d", strings.Join(statuses, ","), res.StatusCode),
		"sign-in throttling counts across both instances (5 per account)", res.StatusCode == http.StatusTooManyRequests})

	// A role change through A, enforced by B.
	admin, err := signInAdmin(a.url(""))
	if err != nil {
		return nil, err
	}
	var users struct {
		Items []struct {
			ID    string `json:"id"`
			Email string `json:"email"`
			Roles []struct {
				Role      string  `json:"role"`
				CarrierID *string `json:"carrier_id"`
			} `json:"roles"`
		} `json:"items"`
	}
	if _, err := admin.do("GET", a.url("/api/v1/users?limit=200"), nil, nil, &users); err != nil {
		return nil, err
	}
	var jonas, home, other string
	for _, u := range users.Items {
		if u.Email == "beraterin2@lotse.example" && len(u.Roles) > 0 && u.Roles[0].CarrierID != nil {
			jonas, home = u.ID, *u.Roles[0].CarrierID
		}
	}
	for _, u := range users.Items {
		if u.Email == "berater.nord@lotse.example" && len(u.Roles) > 0 && u.Roles[0].CarrierID != nil {
			other = *u.Roles[0].CarrierID
		}
	}
	if jonas == "" || other == "" {
		return nil, fmt.Errorf("demo users not found (%d users listed)", len(users.Items))
	}
	advisor := newClient(10 * time.Second)
	if err := advisor.signIn(b.url(""), "beraterin2@lotse.example", demoPassword); err != nil {
		return nil, err
	}
	caseID, err := advisor.firstCase(b.url(""))
	if err != nil {
		return nil, err
	}
	// enforced changes jonas's carrier through A and answers how long until B answers
	// his case with want.
	enforced := func(carrier string, want int) (time.Duration, error) {
		body := map[string]any{"roles": []map[string]any{{"role": "advisor", "carrier_id": carrier}}}
		res, err := admin.do("PUT", a.url("/api/v1/users/"+jonas+"/roles"), body, nil, nil)
		if err != nil {
			return 0, err
		}
		if res.StatusCode != 200 {
			return 0, fmt.Errorf("role change: %s", res.Status)
		}
		changed := time.Now()
		for time.Since(changed) < 5*time.Second {
			res, err := advisor.do("GET", b.url("/api/v1/cases/"+caseID), nil, nil, nil)
			if err == nil && res.StatusCode == want {
				return time.Since(changed), nil
			}
			time.Sleep(10 * time.Millisecond)
		}
		return 0, fmt.Errorf("instance B did not answer %d within 5 s of the role change", want)
	}
	first, err1 := enforced(other, http.StatusNotFound)
	if err := pg.stop(ctx, "fast"); err != nil {
		return nil, err
	}
	if err := pg.start(ctx); err != nil {
		return nil, err
	}
	if err := a.waitReady(ctx, 10*time.Second); err != nil {
		return nil, err
	}
	if err := b.waitReady(ctx, 10*time.Second); err != nil {
		return nil, err
	}
	second, err2 := enforced(home, http.StatusOK)
	figure := fmt.Sprintf("enforced by B %s after the change, %s after a database restart", ms(first), ms(second))
	if err1 != nil || err2 != nil {
		figure = fmt.Sprintf("%v; %v", err1, err2)
	}
	rows = append(rows, result{"instances", figure, "a role change through one is enforced by the other within 1 s, also after a database restart",
		err1 == nil && err2 == nil && first <= time.Second && second <= time.Second})

	// The retention job: while one instance holds the job's lock, another skips.
	retention := func() (string, error) {
		cmd := exec.CommandContext(ctx, e.lotse, "retention", "run")
		cmd.Env = append(os.Environ(), "DATABASE_URL="+server)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	var mu sync.Mutex
	outs := []string{}
	var wg sync.WaitGroup
	fresh, err := pg.sql("lotse") // the pool above met the restart
	if err != nil {
		return rows, err
	}
	conn, err := fresh.Conn(ctx)
	if err != nil {
		return rows, err
	}
	defer conn.Close()
	// The job's lock key (store.retentionLock), taken as a running job on another
	// instance holds it.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(x'4c6f747365'::bigint)`); err != nil {
		return nil, err
	}
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := retention()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				out = "error: " + err.Error() + ": " + out
			}
			outs = append(outs, strings.SplitN(out, "\n", 2)[0])
		}()
	}
	wg.Wait()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(x'4c6f747365'::bigint)`); err != nil {
		return nil, err
	}
	after, err := retention()
	skipped := 0
	for _, o := range outs {
		if strings.HasPrefix(o, "skipped") {
			skipped++
		}
	}
	ran := err == nil && !strings.HasPrefix(after, "skipped")
	rows = append(rows, result{"instances", fmt.Sprintf("while held: %d/2 runs skipped; after: ran=%v", skipped, ran),
		"background jobs (retention, purges) run on one instance at a time (advisory lock)", skipped == 2 && ran})
	return rows, nil
}

// signInAdmin signs the demo administrator in on base and sets up the second factor
// an administrator needs (TOTP, as an authenticator app would).
func signInAdmin(base string) (*client, error) {
	c := newClient(10 * time.Second)
	if err := c.signIn(base, "admin@lotse.example", demoPassword); err != nil {
		return nil, err
	}
	var en struct {
		Secret string `json:"secret"`
	}
	if res, err := c.do("POST", base+"/api/v1/me/second-factor/enrolment", nil, nil, &en); err != nil || res.StatusCode != 200 {
		return nil, fmt.Errorf("second-factor enrolment: %v %v", res, err)
	}
	code, err := totp.GenerateCode(en.Secret, time.Now())
	if err != nil {
		return nil, err
	}
	res, err := c.do("POST", base+"/api/v1/me/second-factor", map[string]string{"current_password": demoPassword, "code": code}, nil, nil)
	if err != nil || res.StatusCode != 200 {
		return nil, fmt.Errorf("second factor: %v %v", res, err)
	}
	return c, nil
}
