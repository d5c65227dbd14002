package stats

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// The benchmarks run on a database seeded with `lotse seed scale` (BENCH_DATABASE_URL;
// `make bench` makes one). x-sql is how many times faster the answer is than the plain
// aggregate (plainPhases) of the phase figures per carrier, quarter and phase over
// the last five years, timed in the same run: the goal is ≥ 5 for five years and
// ≥ 20 for one year.

func benchDB(b *testing.B) *sqlx.DB {
	url := os.Getenv("BENCH_DATABASE_URL")
	if url == "" {
		// `make bench` sets it; under CI=true a benchmark without its data fails.
		if os.Getenv("CI") == "true" {
			b.Fatal("BENCH_DATABASE_URL is not set: run `make bench`, which seeds `lotse seed scale`")
		}
		b.Skip("BENCH_DATABASE_URL is not set: run `make bench`, which seeds `lotse seed scale`")
	}
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// lastYears is the query of the last n years up to today, by quarter, all carriers.
func lastYears(n int) Query {
	to := domain.NewDate(time.Now().In(domain.Berlin))
	return Query{From: domain.Date{Time: to.AddDate(-n, 0, 1)}, To: to, Period: Quarter}
}

// plainTime times the plain aggregate of five years: the faster of its two forms
// (plainPhases, plainPhasesFast), so that x-sql errs on the low side. Both must give
// the maintained figures.
func plainTime(b *testing.B, db *sqlx.DB) time.Duration {
	ctx := context.Background()
	p, err := prepare(ctx, db, lastYears(5))
	if err != nil {
		b.Fatal(err)
	}
	maintained, err := phaseFigures(ctx, db, p)
	if err != nil {
		b.Fatal(err)
	}
	best := time.Duration(1 << 62)
	for _, query := range []string{plainPhasesFast, plainPhases} {
		start := time.Now()
		plain, err := plainFiguresOf(ctx, db, p, query)
		if err != nil {
			b.Fatal(err)
		}
		best = min(best, time.Since(start))
		if fmt.Sprint(plain) != fmt.Sprint(maintained) {
			b.Fatal("the maintained figures differ from the plain aggregate")
		}
	}
	return best
}

func benchAnswer(b *testing.B, years int, answer func(context.Context, *sqlx.DB, Query) error) {
	db := benchDB(b)
	plain := plainTime(b, db)
	ctx := context.Background()
	q := lastYears(years)
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		if err := answer(ctx, db, q); err != nil {
			b.Fatal(err)
		}
		n++
	}
	per := time.Since(start) / time.Duration(n)
	b.ReportMetric(float64(plain)/float64(per), "x-sql")
	b.ReportMetric(float64(plain.Milliseconds()), "plain-ms")
}

func phases(ctx context.Context, db *sqlx.DB, q Query) error {
	_, err := Phases(ctx, db, q)
	return err
}

func esf(ctx context.Context, db *sqlx.DB, q Query) error {
	_, err := ESF(ctx, db, q)
	return err
}

func BenchmarkPhasesFiveYears(b *testing.B) { benchAnswer(b, 5, phases) }

func BenchmarkPhasesOneYear(b *testing.B) { benchAnswer(b, 1, phases) }

func BenchmarkESFFiveYears(b *testing.B) { benchAnswer(b, 5, esf) }

func BenchmarkESFOneYear(b *testing.B) { benchAnswer(b, 1, esf) }

// BenchmarkPlainAggregate is the baseline itself, five years, in its faster form.
func BenchmarkPlainAggregate(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	p, err := prepare(ctx, db, lastYears(5))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := plainFiguresOf(ctx, db, p, plainPhasesFast); err != nil {
			b.Fatal(err)
		}
	}
}
