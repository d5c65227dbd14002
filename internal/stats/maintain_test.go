package stats

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

// plainPhases is the phase statistics computed directly from the base tables, the
// way one would without maintained tables: the state of every case at the end of
// every period looked up in its history. It is the reference the maintained figures
// must equal, and the baseline of the benchmarks. $1 period length, $2 first day,
// $3 last day (whole periods), $4 carriers, $5 period kind.
const plainPhasesTemplate = `
WITH periods AS (
    SELECT g::date AS start, (g + $1::interval - interval '1 day')::date AS stop
    FROM generate_series($2::date, $3::date, $1::interval) g
), c AS (
    SELECT id, carrier_id, founder_id FROM cases WHERE carrier_id = ANY ($4)
), opening AS (
    SELECT DISTINCT ON (t.case_id) t.case_id, (t.at AT TIME ZONE 'Europe/Berlin')::date AS day, t.to_phase
    FROM phase_transitions t
    ORDER BY t.case_id, t.at, t.id
{active}), opened AS (
    SELECT c.carrier_id, date_trunc($5, o.day::timestamp)::date AS start, o.to_phase AS phase, 'opened' AS what, count(*) AS n
    FROM opening o JOIN c ON c.id = o.case_id WHERE o.day BETWEEN $2 AND $3
    GROUP BY 1, 2, 3
), entered AS (
    SELECT c.carrier_id, date_trunc($5, t.at AT TIME ZONE 'Europe/Berlin')::date AS start, t.to_phase AS phase,
           'entered' AS what, count(*) AS n
    FROM phase_transitions t JOIN c ON c.id = t.case_id
    WHERE (t.at AT TIME ZONE 'Europe/Berlin')::date BETWEEN $2 AND $3
    GROUP BY 1, 2, 3
), closed AS (
    SELECT c.carrier_id, date_trunc($5, s.at AT TIME ZONE 'Europe/Berlin')::date AS start, coalesce(held.phase, o.to_phase) AS phase,
           'closed.' || CASE WHEN s.reason IN ('consolidated', 'handed_over', 'abandoned', 'referred', 'business_closed', 'no_contact')
                             THEN s.reason ELSE 'other' END AS what, count(*) AS n
    FROM status_changes s JOIN c ON c.id = s.case_id JOIN opening o ON o.case_id = s.case_id
    LEFT JOIN LATERAL (
        SELECT t.to_phase AS phase FROM phase_transitions t
        WHERE t.case_id = s.case_id AND t.at <= s.at ORDER BY t.at DESC, t.id DESC LIMIT 1) held ON true
    WHERE s.to_status = 'closed' AND (s.at AT TIME ZONE 'Europe/Berlin')::date BETWEEN $2 AND $3
    GROUP BY 1, 2, 3, 4
), k AS (
    SELECT c.carrier_id, date_trunc($5, k.date::timestamp)::date AS start, k.phase, count(*) AS n,
           sum(k.duration_minutes) AS minutes, count(DISTINCT c.founder_id) AS founders
    FROM consultations k JOIN c ON c.id = k.case_id WHERE k.date BETWEEN $2 AND $3
    GROUP BY 1, 2, 3
), firsts AS (
    SELECT c.carrier_id, date_trunc($5, f.date::timestamp)::date AS start, f.phase, 'first_contacts' AS what, count(*) AS n
    FROM (SELECT DISTINCT ON (case_id) case_id, phase, date FROM consultations ORDER BY case_id, date, created_at, id) f
    JOIN c ON c.id = f.case_id WHERE f.date BETWEEN $2 AND $3
    GROUP BY 1, 2, 3
)
SELECT carrier_id, start, phase, what, n FROM (
    SELECT * FROM active UNION ALL SELECT * FROM opened UNION ALL SELECT * FROM entered
    UNION ALL SELECT * FROM closed UNION ALL SELECT * FROM firsts
    UNION ALL SELECT carrier_id, start, phase, 'consultations', n FROM k
    UNION ALL SELECT carrier_id, start, phase, 'minutes', minutes FROM k
    UNION ALL SELECT carrier_id, start, phase, 'founders', founders FROM k
) x WHERE phase IN ('founding', 'consolidation', 'handover')`

// activeByLookup finds the state of every case at the end of every period by
// looking it up in its history: the obvious way, and the reference.
const activeByLookup = `), active AS (
    SELECT c.carrier_id, p.start, held.phase, 'active' AS what, count(*) AS n
    FROM periods p JOIN opening o ON o.day <= p.stop JOIN c ON c.id = o.case_id
    CROSS JOIN LATERAL (
        SELECT t.to_phase AS phase FROM phase_transitions t
        WHERE t.case_id = o.case_id AND t.at < (p.stop + 1)::timestamp AT TIME ZONE 'Europe/Berlin'
        ORDER BY t.at DESC, t.id DESC LIMIT 1) held
    WHERE NOT coalesce((
        SELECT s.to_status = 'closed' FROM status_changes s
        WHERE s.case_id = o.case_id AND s.at < (p.stop + 1)::timestamp AT TIME ZONE 'Europe/Berlin'
        ORDER BY s.at DESC, s.id DESC LIMIT 1), false)
    GROUP BY 1, 2, 3
`

// activeBySegments finds each case's state at the end of each day with events (a
// lookup per such day) and counts the states that last over a period's end: fewer
// lookups, the faster plain way.
const activeBySegments = `
), days AS (
    SELECT case_id, (at AT TIME ZONE 'Europe/Berlin')::date AS day FROM phase_transitions
    UNION
    SELECT case_id, (at AT TIME ZONE 'Europe/Berlin')::date FROM status_changes
), states AS (
    SELECT d.case_id, d.day, lead(d.day) OVER (PARTITION BY d.case_id ORDER BY d.day) AS until, held.phase,
           coalesce(st.closed, false) AS closed
    FROM days d JOIN opening o ON o.case_id = d.case_id AND d.day >= o.day
    CROSS JOIN LATERAL (
        SELECT t.to_phase AS phase FROM phase_transitions t
        WHERE t.case_id = d.case_id AND t.at < (d.day + 1)::timestamp AT TIME ZONE 'Europe/Berlin'
        ORDER BY t.at DESC, t.id DESC LIMIT 1) held
    LEFT JOIN LATERAL (
        SELECT s.to_status = 'closed' AS closed FROM status_changes s
        WHERE s.case_id = d.case_id AND s.at < (d.day + 1)::timestamp AT TIME ZONE 'Europe/Berlin'
        ORDER BY s.at DESC, s.id DESC LIMIT 1) st ON true
), active AS (
    SELECT c.carrier_id, p.start, s.phase, 'active' AS what, count(*) AS n
    FROM states s JOIN c ON c.id = s.case_id JOIN periods p ON s.day <= p.stop AND (s.until IS NULL OR s.until > p.stop)
    WHERE NOT s.closed
    GROUP BY 1, 2, 3
`

var (
	plainPhases     = strings.Replace(plainPhasesTemplate, "{active}", activeByLookup, 1)
	plainPhasesFast = strings.Replace(plainPhasesTemplate, "{active}", activeBySegments, 1)
)

// plainFigures runs plainPhases and lays the result out as phaseFigures does.
func plainFigures(ctx context.Context, db sqlx.QueryerContext, p prepared) ([][][]figures, error) {
	return plainFiguresOf(ctx, db, p, plainPhases)
}

func plainFiguresOf(ctx context.Context, db sqlx.QueryerContext, p prepared, query string) ([][][]figures, error) {
	fig := make([][][]figures, len(p.carriers))
	index := map[uuid.UUID]int{}
	for i, c := range p.carriers {
		index[c.ID] = i
		fig[i] = make([][]figures, len(p.periods))
		for j := range fig[i] {
			fig[i][j] = make([]figures, 3)
		}
	}
	length := map[Period]string{Month: "1 month", Quarter: "3 months", Year: "1 year"}[p.period]
	rows, err := db.QueryxContext(ctx, query, length, p.from, p.to, pq.Array(p.carrierIDs()), string(p.period))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	col := map[string]int{"active": colActive, "opened": colOpened, "entered": colEntered, "consultations": colConsultations,
		"minutes": colMinutes, "first_contacts": colFirstContacts, "founders": colFounders}
	for k, r := range ClosingReasons {
		col["closed."+r] = colClosed + k
	}
	for rows.Next() {
		var (
			carrier     uuid.UUID
			start       domain.Date
			phase, what string
			n           int64
		)
		if err := rows.Scan(&carrier, &start, &phase, &what, &n); err != nil {
			return nil, err
		}
		f := &fig[index[carrier]][p.index(start)][domain.PhaseRank(phase)]
		f[col[what]] += n
		if c := col[what]; c >= colClosed && c < colClosedTotal {
			f[colClosedTotal] += n
		}
	}
	return fig, rows.Err()
}

// compareWithPlain checks the maintained figures against the plain aggregate for
// months, quarters and years over the test's span.
func compareWithPlain(t *testing.T, db *sqlx.DB, step string) {
	t.Helper()
	ctx := context.Background()
	for _, period := range []Period{Month, Quarter, Year} {
		p, err := prepare(ctx, db, Query{From: date("2023-11-15"), To: date("2026-02-01"), Period: period})
		if err != nil {
			t.Fatal(err)
		}
		got, err := phaseFigures(ctx, db, p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := plainFigures(ctx, db, p)
		if err != nil {
			t.Fatal(err)
		}
		fast, err := plainFiguresOf(ctx, db, p, plainPhasesFast)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(fast) != fmt.Sprint(want) {
			t.Fatalf("%s: %s: the two plain aggregates differ", step, period)
		}
		differ := 0
		for c := range got {
			for pi := range got[c] {
				for ph := range got[c][pi] {
					if got[c][pi][ph] != want[c][pi][ph] {
						if differ++; differ <= 5 {
							t.Errorf("%s: %s %s %s %s:\n maintained %v\n plain      %v", step, period, p.carriers[c].ShortName,
								p.periods[pi].label, domain.Catalogue.Phases[ph], got[c][pi][ph], want[c][pi][ph])
						}
					}
				}
			}
		}
		if differ > 0 {
			t.Fatalf("%s: %d %s figures differ", step, differ, period)
		}
	}
}

// history writes random case histories through plain SQL, as the store (and anyone
// with database access) could.
type history struct {
	t        *testing.T
	db       *sqlx.DB
	r        *rand.Rand
	carriers []uuid.UUID
	founders []uuid.UUID
	cases    []uuid.UUID
	advisor  uuid.UUID
}

func (h *history) exec(q string, args ...any) {
	h.t.Helper()
	if _, err := h.db.Exec(q, args...); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
}

// moment returns a random Berlin time from late 2023 to early 2026, often within an
// hour of midnight at a month's end, where Berlin and UTC disagree on the day.
func (h *history) moment() string {
	day := time.Date(2023, 11, 20, 0, 0, 0, 0, time.UTC).AddDate(0, 0, h.r.IntN(800))
	if h.r.IntN(3) == 0 { // the last or first day of a month
		day = time.Date(day.Year(), day.Month()+1, 0, 0, 0, 0, 0, time.UTC).AddDate(0, 0, h.r.IntN(2))
	}
	minute := h.r.IntN(24 * 60)
	if h.r.IntN(2) == 0 {
		minute = []int{0, 5, 30, 59, 23*60 + 30, 23*60 + 59, 60 + 30}[h.r.IntN(7)]
	}
	return day.Add(time.Duration(minute) * time.Minute).Format("2006-01-02 15:04")
}

func (h *history) phase() string {
	return domain.Catalogue.Phases[h.r.IntN(3)]
}

func (h *history) addCase() {
	c := uuid.New()
	founder := h.founders[h.r.IntN(len(h.founders))]
	h.exec(`INSERT INTO cases (id, carrier_id, founder_id, phase, status, lead_advisor_id, opened_on)
	        VALUES ($1, $2, $3, 'founding', 'active', $4, '2024-01-01')`, c, h.carriers[h.r.IntN(len(h.carriers))], founder, h.advisor)
	h.cases = append(h.cases, c)
	if h.r.IntN(10) > 0 { // a few cases never get a history
		h.exec(`INSERT INTO phase_transitions (case_id, from_phase, to_phase, at) VALUES ($1, NULL, $2, $3::timestamp AT TIME ZONE 'Europe/Berlin')`,
			c, h.phase(), h.moment())
	}
	for range h.r.IntN(5) {
		h.addEvent(c)
	}
	for range h.r.IntN(6) {
		h.addConsultation(c)
	}
}

func (h *history) addEvent(c uuid.UUID) {
	at := h.moment()
	switch h.r.IntN(5) {
	case 0, 1:
		h.exec(`INSERT INTO phase_transitions (case_id, from_phase, to_phase, at) VALUES ($1, 'founding', $2, $3::timestamp AT TIME ZONE 'Europe/Berlin')`, c, h.phase(), at)
	case 2:
		reason := append(append([]string{}, ClosingReasons...), "not_in_the_catalogue", "")[h.r.IntN(nReasons+2)]
		h.exec(`INSERT INTO status_changes (case_id, from_status, to_status, reason, at) VALUES ($1, 'active', 'closed', nullif($2, ''), $3::timestamp AT TIME ZONE 'Europe/Berlin')`, c, reason, at)
	case 3:
		h.exec(`INSERT INTO status_changes (case_id, from_status, to_status, at) VALUES ($1, 'closed', 'active', $2::timestamp AT TIME ZONE 'Europe/Berlin')`, c, at)
	case 4:
		h.exec(`INSERT INTO status_changes (case_id, from_status, to_status, at) VALUES ($1, 'active', 'paused', $2::timestamp AT TIME ZONE 'Europe/Berlin')`, c, at)
	}
}

func (h *history) addConsultation(c uuid.UUID) {
	h.exec(`INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, mode, topics, summary, phase)
	        VALUES ($1, $2, $3, $4, $5, 'phone', '{other}', 'Gespräch', $6)`,
		uuid.New(), c, h.advisor, h.moment()[:10], 1+h.r.IntN(600), h.phase())
}

func newHistory(t *testing.T, db *sqlx.DB, seed uint64) *history {
	h := &history{t: t, db: db, r: rand.New(rand.NewPCG(seed, 2026)), advisor: uuid.New()}
	h.exec(`INSERT INTO users (id, email, name, password_hash) VALUES ($1, 'advisor@lotse.example', 'Advisor', 'x')`, h.advisor)
	for i := range 3 {
		c := uuid.New()
		h.carriers = append(h.carriers, c)
		h.exec(`INSERT INTO carriers (id, name, short_name) VALUES ($1, $2, $3)`, c, fmt.Sprintf("Träger %d", i), fmt.Sprintf("T%d", i))
	}
	for range 12 {
		f := uuid.New()
		h.founders = append(h.founders, f)
		h.exec(`INSERT INTO founders (id, carrier_id, given_name, family_name) VALUES ($1, $2, 'Vorname', 'Nachname')`, f, h.carriers[0])
	}
	return h
}

func TestMaintainedEqualsPlainAggregate(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed_%d", seed), func(t *testing.T) {
			tdb := testdb.New(t)
			db := tdb.Store.DB
			h := newHistory(t, db, seed)
			for range 40 {
				h.addCase()
			}
			compareWithPlain(t, db, "inserted")

			t.Run("more_history_row_by_row", func(t *testing.T) {
				for range 60 {
					c := h.cases[h.r.IntN(len(h.cases))]
					if h.r.IntN(2) == 0 {
						h.addEvent(c)
					} else {
						h.addConsultation(c)
					}
				}
				compareWithPlain(t, db, "more history")
			})
			t.Run("consultations_changed", func(t *testing.T) {
				h.exec(`UPDATE consultations SET date = date + (random() * 40)::int - 20 WHERE random() < 0.3`)
				h.exec(`UPDATE consultations SET duration_minutes = 1 + (random() * 599)::int WHERE random() < 0.3`)
				h.exec(`UPDATE consultations SET phase = (ARRAY['founding','consolidation','handover'])[1 + floor(random() * 3)::int] WHERE random() < 0.3`)
				h.exec(`UPDATE consultations SET case_id = $1 WHERE id IN (SELECT id FROM consultations ORDER BY id LIMIT 3)`, h.cases[0])
				compareWithPlain(t, db, "consultations changed")
			})
			t.Run("history_changed", func(t *testing.T) {
				h.exec(`UPDATE phase_transitions SET at = at + interval '1 hour' * ((random() * 48)::int - 24) WHERE random() < 0.3`)
				h.exec(`UPDATE phase_transitions SET to_phase = 'handover' WHERE random() < 0.1`)
				h.exec(`UPDATE status_changes SET at = at - interval '3 days' WHERE random() < 0.3`)
				h.exec(`UPDATE status_changes SET reason = 'referred' WHERE to_status = 'closed' AND random() < 0.3`)
				compareWithPlain(t, db, "history changed")
			})
			t.Run("deletions", func(t *testing.T) {
				h.exec(`DELETE FROM consultations WHERE random() < 0.2`)
				h.exec(`DELETE FROM phase_transitions WHERE random() < 0.1`)
				h.exec(`DELETE FROM status_changes WHERE random() < 0.2`)
				compareWithPlain(t, db, "deleted rows")
			})
			t.Run("cases_moved_and_erased", func(t *testing.T) {
				h.exec(`UPDATE cases SET carrier_id = $1 WHERE id = $2`, h.carriers[2], h.cases[1])
				h.exec(`UPDATE cases SET founder_id = $1 WHERE id = $2`, h.founders[0], h.cases[2])
				compareWithPlain(t, db, "moved")
				// a founder's final erasure: the cases go (with their history, ON DELETE
				// CASCADE), and their figures with them
				h.exec(`DELETE FROM follow_ups WHERE case_id IN (SELECT id FROM cases WHERE founder_id = $1)`, h.founders[3])
				h.exec(`DELETE FROM cases WHERE founder_id = $1`, h.founders[3])
				h.exec(`DELETE FROM founders WHERE id = $1`, h.founders[3])
				h.exec(`DELETE FROM cases WHERE id = $1`, h.cases[4])
				compareWithPlain(t, db, "erased")
			})
			t.Run("pseudonymisation_changes_nothing", func(t *testing.T) {
				ctx := context.Background()
				p, err := prepare(ctx, db, Query{From: date("2023-01-01"), To: date("2026-12-31"), Period: Month})
				if err != nil {
					t.Fatal(err)
				}
				before, err := phaseFigures(ctx, db, p)
				if err != nil {
					t.Fatal(err)
				}
				h.exec(`UPDATE founders SET given_name = 'X', family_name = 'X', email = NULL, phone = NULL, city = NULL, version = version + 1`)
				h.exec(`UPDATE consultations SET summary = '', next_steps = NULL, version = version + 1`)
				h.exec(`UPDATE status_changes SET note = NULL`)
				h.exec(`UPDATE cases SET business_idea = '', version = version + 1`)
				after, err := phaseFigures(ctx, db, p)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(before) != fmt.Sprint(after) {
					t.Error("pseudonymisation changed the statistics")
				}
				var n int
				if err := db.Get(&n, `SELECT count(*) FROM stats_case_month`); err != nil || n == 0 {
					t.Fatalf("%d contribution rows, %v", n, err)
				}
			})
			t.Run("rebuild_gives_the_same", func(t *testing.T) {
				ctx := context.Background()
				p, err := prepare(ctx, db, Query{From: date("2023-01-01"), To: date("2026-12-31"), Period: Month})
				if err != nil {
					t.Fatal(err)
				}
				before, err := phaseFigures(ctx, db, p)
				if err != nil {
					t.Fatal(err)
				}
				// Rebuilding drops and creates indexes: the schema owner's work.
				owner := sqlx.MustConnect("postgres", tdb.OwnerURL)
				err = Rebuild(ctx, owner)
				owner.Close()
				if err != nil {
					t.Fatal(err)
				}
				after, err := phaseFigures(ctx, db, p)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(before) != fmt.Sprint(after) {
					t.Error("Rebuild changed the maintained figures")
				}
				compareWithPlain(t, db, "rebuilt")
			})
		})
	}
}

// TestDeferAndRebuild: a bulk load that defers the triggers leaves the tables alone
// until Rebuild, which then counts it.
func TestDeferAndRebuild(t *testing.T) {
	tdb := testdb.New(t)
	db := sqlx.MustConnect("postgres", tdb.OwnerURL) // a bulk load is the owner's work
	defer db.Close()
	h := newHistory(t, db, 9)
	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	ctx := context.Background()
	if err := Defer(ctx, tx); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		c := uuid.New()
		if _, err := tx.Exec(`INSERT INTO cases (id, carrier_id, founder_id, phase, status, lead_advisor_id, opened_on)
		        VALUES ($1, $2, $3, 'founding', 'active', $4, '2024-01-01')`, c, h.carriers[0], h.founders[0], h.advisor); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO phase_transitions (case_id, to_phase, at) VALUES ($1, 'founding', '2024-05-05 12:00+02')`, c); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := tx.Get(&n, `SELECT count(*) FROM stats_case_month`); err != nil || n != 0 {
		t.Fatalf("deferred: %d rows, %v", n, err)
	}
	if err := Rebuild(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	compareWithPlain(t, db, "rebuilt after a deferred load")
	if err := db.Get(&n, `SELECT count(*) FROM stats_case_month`); err != nil || n != 10 {
		t.Fatalf("after Rebuild: %d rows, %v", n, err)
	}
}

// TestConcurrentChangesOfOneFounder: two transactions log the first consultations of
// a month for two cases of one founder at once; the founder counts once.
func TestConcurrentChangesOfOneFounder(t *testing.T) {
	tdb := testdb.New(t)
	db := tdb.Store.DB
	h := newHistory(t, db, 5)
	founder := h.founders[0]
	var cases [2]uuid.UUID
	for i := range cases {
		cases[i] = uuid.New()
		h.exec(`INSERT INTO cases (id, carrier_id, founder_id, phase, status, lead_advisor_id, opened_on)
		        VALUES ($1, $2, $3, 'founding', 'active', $4, '2024-01-01')`, cases[i], h.carriers[0], founder, h.advisor)
		h.exec(`INSERT INTO phase_transitions (case_id, to_phase, at) VALUES ($1, 'founding', '2024-01-01 10:00+01')`, cases[i])
	}
	for round := range 5 {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 2)
		for i := range cases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tx, err := db.Beginx()
				if err != nil {
					errs[i] = err
					return
				}
				defer tx.Rollback()
				<-start
				if _, err := tx.Exec(`INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, mode, topics, summary, phase)
				        VALUES ($1, $2, $3, $4, 30, 'phone', '{other}', 'Gespräch', 'founding')`,
					uuid.New(), cases[i], h.advisor, fmt.Sprintf("2024-%02d-15", 2+round)); err != nil {
					errs[i] = err
					return
				}
				time.Sleep(20 * time.Millisecond)
				errs[i] = tx.Commit()
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	compareWithPlain(t, db, "concurrent")
}
