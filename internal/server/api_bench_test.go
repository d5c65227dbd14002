package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// benchEnv is Lotse on the scale data set: BENCH_DATABASE_URL (seeded once by
// `make bench` with 100,000 founders), else a fresh database with a small data set.
type benchEnv struct {
	app    *testenv.App
	user   uuid.UUID
	token  string
	caseID uuid.UUID
	client *http.Client
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	var db testdb.DB
	if url := os.Getenv("BENCH_DATABASE_URL"); url != "" {
		st, err := store.Open(url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		db = testdb.DB{Store: st, URL: url}
	} else {
		db = testdb.New(b)
		if err := seed.Scale(context.Background(), db.Store, 3000, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	app := testenv.StartApp(b, db)
	e := &benchEnv{app: app, client: &http.Client{Timeout: time.Minute}}
	ctx := context.Background()
	if err := db.Store.DB.GetContext(ctx, &e.user, `SELECT id FROM users WHERE email = 'scale.coordinator.0@lotse.example'`); err != nil {
		b.Fatalf("no scale data: %v", err)
	}
	if err := db.Store.DB.GetContext(ctx, &e.caseID, `SELECT c.id FROM cases c JOIN memberships m ON m.carrier_id = c.carrier_id WHERE m.user_id = $1 ORDER BY c.id LIMIT 1`, e.user); err != nil {
		b.Fatal(err)
	}
	e.token = newSecret()
	if _, err := db.Store.CreateToken(ctx, domain.Actor{UserID: e.user}, domain.TokenInput{Name: "bench", Password: seed.ScalePassword}, e.token, nil, testLimits); err != nil {
		b.Fatal(err)
	}
	return e
}

func newSecret() string { return "lotse_bench_" + uuid.NewString() }

func (e *benchEnv) get(b *testing.B, path string) {
	req, _ := http.NewRequest("GET", e.app.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := e.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("GET %s: %d", path, res.StatusCode)
	}
}

// compare runs the baseline and the HTTP request alternately, so both see the same
// machine load, and reports each one's time per operation and their ratio.
func compare(b *testing.B, baseline, viaHTTP func()) {
	baseline()
	viaHTTP()
	var tBase, tHTTP time.Duration
	for b.Loop() {
		t0 := time.Now()
		baseline()
		t1 := time.Now()
		viaHTTP()
		tHTTP += time.Since(t1)
		tBase += t1.Sub(t0)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tBase.Nanoseconds())/n, "sql-ns/op")
	b.ReportMetric(float64(tHTTP.Nanoseconds())/n, "http-ns/op")
	b.ReportMetric(float64(tHTTP)/float64(tBase), "x-sql")
}

// BenchmarkCaseList: a coordinator's first page of the carrier's cases, over HTTP,
// against the same SQL with the same arguments run directly.
func BenchmarkCaseList(b *testing.B) {
	e := newBenchEnv(b)
	scope := e.app.Authz.Scope(e.user, "case:read")
	for _, f := range []struct {
		name   string
		filter domain.CaseFilter
		query  string
	}{
		{"first_page", domain.CaseFilter{}, ""},
		{"phase_filter", domain.CaseFilter{Phase: "consolidation"}, "phase=consolidation"},
		{"name_search", domain.CaseFilter{Query: "kaya"}, "q=kaya"},
	} {
		b.Run(f.name, func(b *testing.B) {
			query, args, _, err := e.app.DB.Store.CasesQuery(context.Background(), scope, f.filter)
			if err != nil {
				b.Fatal(err)
			}
			db := e.app.DB.Store.DB
			compare(b, func() {
				rows, err := db.Query(query, args...)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
			}, func() { e.get(b, "/api/v1/cases?"+f.query) })
		})
	}
}

// BenchmarkCaseRead: one case over HTTP against the statements that request runs (token
// lookup, then the use case: case with founder, scope, audit insert) called directly.
func BenchmarkCaseRead(b *testing.B) {
	e := newBenchEnv(b)
	st := e.app.DB.Store
	ctx := context.Background()
	compare(b, func() {
		if _, err := st.TokenUser(ctx, e.token); err != nil {
			b.Fatal(err)
		}
		if _, err := st.ReadCase(ctx, domain.Actor{UserID: e.user}, e.caseID); err != nil {
			b.Fatal(err)
		}
	}, func() { e.get(b, fmt.Sprintf("/api/v1/cases/%s", e.caseID)) })
}
