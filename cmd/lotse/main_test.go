package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// lotse builds the command once per test binary run.
func lotse(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lotse")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, bin string, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func TestCommandLine(t *testing.T) {
	bin := lotse(t)
	db := testdb.New(t)
	// The server's role for the server, the schema owner for migrations and seeds.
	env := []string{"DATABASE_URL=" + db.URL, "MIGRATION_DATABASE_URL=" + db.OwnerURL}

	t.Run("no_arguments_is_usage_error", func(t *testing.T) {
		r := runCmd(t, bin, env, "")
		if r.code != 2 || !strings.Contains(r.stderr, "usage:") {
			t.Fatalf("code %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("unknown_subcommand_is_usage_error", func(t *testing.T) {
		if r := runCmd(t, bin, env, "", "frobnicate"); r.code != 2 {
			t.Fatalf("code %d", r.code)
		}
	})
	t.Run("missing_database_url_fails_with_one_line", func(t *testing.T) {
		r := runCmd(t, bin, []string{"DATABASE_URL="}, "", "migrate")
		if r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "DATABASE_URL") {
			t.Fatalf("code %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("migrate_status_lists_applied_migrations", func(t *testing.T) {
		r := runCmd(t, bin, env, "", "migrate", "status")
		if r.code != 0 || !strings.Contains(r.stdout, "00001_foundation.sql") || !strings.Contains(r.stdout, "applied") {
			t.Fatalf("code %d, out %q, err %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("user_add_reads_password_from_stdin", func(t *testing.T) {
		r := runCmd(t, bin, env, "Ein-langes-Passwort-42\n", "user", "add", "--email", "Admin@Example.org", "--name", "Ada", "--role", "admin")
		if r.code != 0 {
			t.Fatalf("code %d, stderr %q", r.code, r.stderr)
		}
		var n int
		if err := db.Store.DB.Get(&n, `SELECT count(*) FROM users u JOIN memberships m ON m.user_id = u.id WHERE lower(u.email) = 'admin@example.org' AND m.role = 'admin'`); err != nil || n != 1 {
			t.Fatalf("user with admin role: %d, %v", n, err)
		}
	})
	t.Run("user_add_refuses_weak_password_and_writes_nothing", func(t *testing.T) {
		r := runCmd(t, bin, env, "short\n", "user", "add", "--email", "b@example.org", "--name", "B", "--role", "admin")
		if r.code != 1 {
			t.Fatalf("code %d", r.code)
		}
		var n int
		_ = db.Store.DB.Get(&n, `SELECT count(*) FROM users WHERE email = 'b@example.org'`)
		if n != 0 {
			t.Fatal("user written despite refused password")
		}
	})
	t.Run("user_add_carrier_role_without_carrier_fails", func(t *testing.T) {
		if r := runCmd(t, bin, env, "Ein-langes-Passwort-42\n", "user", "add", "--email", "c@example.org", "--name", "C", "--role", "advisor"); r.code != 1 {
			t.Fatalf("code %d", r.code)
		}
	})
	t.Run("seed_demo_twice_prints_accounts_and_seeds_once", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			r := runCmd(t, bin, env, "", "seed", "demo")
			if r.code != 0 || !strings.Contains(r.stdout, "berater@lotse.example") || !strings.Contains(r.stdout, seed.DemoPassword) {
				t.Fatalf("run %d: code %d, out %q, err %q", i, r.code, r.stdout, r.stderr)
			}
		}
		var n int
		_ = db.Store.DB.Get(&n, `SELECT count(*) FROM carriers`)
		if n != 3 {
			t.Fatalf("%d carriers after two demo seeds, want 3", n)
		}
	})
	t.Run("retention_dry_run_reports_and_changes_nothing", func(t *testing.T) {
		if _, err := db.Store.DB.Exec(`INSERT INTO login_attempts (email, address, at) VALUES ('x@x.de', '10.0.0.1', now() - interval '2 days')`); err != nil {
			t.Fatal(err)
		}
		r := runCmd(t, bin, append(env, "LOTSE_RETENTION_UNTIL=2020-12-31"), "", "retention", "run", "--dry-run")
		if r.code != 0 || !strings.Contains(r.stdout, "dry run") || !strings.Contains(r.stdout, "retention until   2020-12-31") ||
			!strings.Contains(r.stdout, "login_attempts    1") {
			t.Fatalf("code %d, out %q, err %q", r.code, r.stdout, r.stderr)
		}
		var n int
		_ = db.Store.DB.Get(&n, `SELECT count(*) FROM login_attempts`)
		if n != 1 {
			t.Fatalf("the dry run removed sign-in attempts (%d left)", n)
		}
		if r := runCmd(t, bin, env, "", "retention", "run"); r.code != 0 || !strings.Contains(r.stdout, "login_attempts    1") {
			t.Fatalf("code %d, out %q, err %q", r.code, r.stdout, r.stderr)
		}
		_ = db.Store.DB.Get(&n, `SELECT count(*) FROM login_attempts`)
		if n != 0 {
			t.Fatalf("%d sign-in attempts left", n)
		}
	})
	t.Run("retention_bad_date_and_usage", func(t *testing.T) {
		if r := runCmd(t, bin, append(env, "LOTSE_RETENTION_UNTIL=end of 2030"), "", "retention", "run"); r.code != 1 || !strings.Contains(r.stderr, "LOTSE_RETENTION_UNTIL") {
			t.Fatalf("code %d, err %q", r.code, r.stderr)
		}
		if r := runCmd(t, bin, env, "", "retention", "run", "--now"); r.code != 2 {
			t.Fatalf("code %d", r.code)
		}
	})
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestServeSurvivesDatabaseRestartAndShutsDownGracefully runs the real binary against a
// private PostgreSQL that the test stops and starts again.
func TestServeSurvivesDatabaseRestartAndShutsDownGracefully(t *testing.T) {
	bin := lotse(t)
	pg := testenv.NewCluster(t)
	url := pg.URL("postgres")
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := []string{"DATABASE_URL=" + url, fmt.Sprintf("LOTSE_ADDR=127.0.0.1:%d", port),
		"LOTSE_INSECURE_COOKIES=true", "LOTSE_SHUTDOWN_DELAY=1500ms"}
	if r := runCmd(t, bin, env, "", "seed", "demo"); r.code != 0 {
		t.Fatalf("seed demo: %s", r.stderr)
	}
	srv := exec.Command(bin, "serve")
	srv.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill() })
	waitFor(t, base+"/readyz", 200, 20*time.Second)

	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := cl.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := do("POST", "/api/v1/session", `{"email":"berater@lotse.example","password":"`+seed.DemoPassword+`"}`); code != 200 {
		t.Fatalf("sign in: %d %s", code, body)
	}
	intake := func(name string) (int, string) {
		return do("POST", "/api/v1/cases", `{"founder":{"given_name":"`+name+`","family_name":"Neu"}}`)
	}
	if code, body := intake("Vorher"); code != 201 {
		t.Fatalf("intake before restart: %d %s", code, body)
	}

	pg.Stop()
	t.Run("database_away_answers_503", func(t *testing.T) {
		if code, _ := do("GET", "/readyz", ""); code != 503 {
			t.Fatalf("readyz %d, want 503", code)
		}
		code, body := intake("Waehrend")
		if code != 503 || !strings.Contains(body, `"status":503`) {
			t.Fatalf("intake during outage: %d %s", code, body)
		}
		if code, _ := do("GET", "/healthz", ""); code != 200 {
			t.Fatalf("healthz %d: the process is up", code)
		}
	})
	pg.Start()
	t.Run("recovers_by_itself_without_losing_acknowledged_writes", func(t *testing.T) {
		waitFor(t, base+"/readyz", 200, 20*time.Second)
		var code int
		var body string
		for i := 0; i < 20; i++ { // the first request on a dead pooled connection may still fail
			if code, body = intake("Nachher"); code == 201 {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if code != 201 {
			t.Fatalf("intake after restart: %d %s", code, body)
		}
		_, list := do("GET", "/api/v1/cases?q=neu", "")
		var l struct {
			Items []struct {
				FounderName string `json:"founder_name"`
			}
		}
		_ = json.Unmarshal([]byte(list), &l)
		names := fmt.Sprint(l.Items)
		if !strings.Contains(names, "Vorher") || !strings.Contains(names, "Nachher") || strings.Contains(names, "Waehrend") {
			t.Fatalf("cases after restart: %s", names)
		}
	})
	t.Run("sigterm_fails_readiness_first_and_finishes_in_flight_requests", func(t *testing.T) {
		if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		waitFor(t, base+"/readyz", 503, 5*time.Second)
		// Still serving during the drain delay: an in-flight request completes.
		if code, _ := do("GET", "/api/v1/me", ""); code != 200 {
			t.Fatalf("request during drain: %d", code)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("exit: %v\n%s", err, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not exit after SIGTERM")
		}
	})
	if strings.Contains(logs.String(), "Neu") || strings.Contains(logs.String(), seed.DemoPassword) {
		t.Fatal("logs contain personal data or a password")
	}
}

func waitFor(t *testing.T, url string, status int, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	last := 0
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			last = res.StatusCode
			res.Body.Close()
			if last == status {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: status %d, want %d within %s", url, last, status, within)
}
