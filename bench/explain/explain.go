//go:build ignore

// Explain writes EXPLAIN (ANALYZE, BUFFERS) of the case list's SQL (store.CasesQuery,
// sent as the application sends it: one unnamed statement with parameters) for each
// scope shape, first and deep page, with and without a search, into this directory, on
// the scale data set (`lotse seed scale`):
//
//	go run bench/explain/explain.go 'postgres://postgres@127.0.0.1:5432/lotse_bench_search?sslmode=disable'
//
// With -old it explains the list query before migration 00008 (the one filter with
// OR over the scope, the search lowered and compared as a substring) into old-*.txt, for
// comparison; the database should then have the indexes of before (founders_name_trgm,
// neither cases_opened nor cases_lead_carrier_opened).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

type scenario struct {
	name   string
	scope  domain.Scope
	filter domain.CaseFilter
	depth  int // rows to skip: the cursor of the page after them
}

func main() {
	old := flag.Bool("old", false, "explain the list query before 00008")
	runs := flag.Int("runs", 15, "time each query this many times (median and fastest)")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: explain [-old] DATABASE_URL")
	}
	ctx := context.Background()
	st, err := store.Open(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	db := st.DB
	var coordCarrier, advisor, advisorCarrier uuid.UUID
	must(db.QueryRow(`SELECT m.carrier_id FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE u.email = 'scale.coordinator.0@lotse.example'`).Scan(&coordCarrier))
	must(db.QueryRow(`SELECT u.id, m.carrier_id FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE u.email = 'scale.advisor.1@lotse.example'`).Scan(&advisor, &advisorCarrier))
	coord := domain.Scope{User: uuid.New(), Carriers: []uuid.UUID{coordCarrier}}
	adv := domain.Scope{User: advisor, Own: []uuid.UUID{advisorCarrier}}
	var twoCarriers []uuid.UUID
	must(db.Select(&twoCarriers, `SELECT id FROM carriers WHERE short_name IN ('SK01', 'SK02') ORDER BY short_name`))
	two := domain.Scope{User: uuid.New(), Carriers: twoCarriers}
	all := domain.Scope{User: uuid.New(), All: true}
	scenarios := []scenario{
		{"coordinator-first-page", coord, domain.CaseFilter{}, 0},
		{"coordinator-deep-page", coord, domain.CaseFilter{}, 5000},
		{"coordinator-phase-deep-page", coord, domain.CaseFilter{Phase: "handover"}, 500},
		{"coordinator-advisor-filter", coord, domain.CaseFilter{AdvisorID: &advisor}, 0},
		{"two-carriers-first-page", two, domain.CaseFilter{}, 0},
		{"two-carriers-deep-page", two, domain.CaseFilter{}, 10000},
		{"advisor-my-cases-first-page", adv, domain.CaseFilter{}, 0},
		{"advisor-my-cases-deep-page", adv, domain.CaseFilter{}, 250},
		{"all-first-page", all, domain.CaseFilter{}, 0},
		{"all-deep-page", all, domain.CaseFilter{}, 50000},
		{"coordinator-q-kaya", coord, domain.CaseFilter{Query: "kaya"}, 0},
		{"coordinator-q-kaya-deep-page", coord, domain.CaseFilter{Query: "kaya"}, 400},
		{"coordinator-q-fatima", coord, domain.CaseFilter{Query: "Fatima"}, 0},
		{"coordinator-q-rare", coord, domain.CaseFilter{Query: "Haddad 4711"}, 0},
		{"coordinator-q-two-words", coord, domain.CaseFilter{Query: "Fatima Jilmaz"}, 0},
		{"coordinator-q-postcode", coord, domain.CaseFilter{Query: "10115"}, 0},
		{"coordinator-q-phone", coord, domain.CaseFilter{Query: "+49 170 1234567"}, 0},
		{"advisor-q-kaya", adv, domain.CaseFilter{Query: "kaya"}, 0},
		{"all-q-fatima", all, domain.CaseFilter{Query: "Fatima"}, 0},
	}
	dir := filepath.Dir(os.Args[0])
	if wd, err := os.Getwd(); err == nil {
		dir = filepath.Join(wd, "bench", "explain")
	}
	for _, sc := range scenarios {
		f := sc.filter
		f.Limit = 50
		if sc.depth > 0 {
			f.Cursor = cursorAfter(ctx, st, sc.scope, f, sc.depth)
		}
		query, args, _, err := st.CasesQuery(ctx, sc.scope, f)
		must(err)
		name := sc.name + ".txt"
		if *old {
			query, args = oldQuery, append(append(args[:7:7], strings.ToLower(f.Query)), args[7:12]...)
			name = "old-" + name
		}
		// Run once to warm the cache, as a list is read again and again; then explain.
		rows, err := db.Query(query, args...)
		must(err)
		rows.Close()
		var plan []string
		must(db.Select(&plan, "EXPLAIN (ANALYZE, BUFFERS, COSTS) "+query, args...))
		times := make([]time.Duration, *runs)
		for i := range times {
			start := time.Now()
			rows, err := db.Query(query, args...)
			must(err)
			for rows.Next() {
			}
			must(rows.Err())
			rows.Close()
			times[i] = time.Since(start)
		}
		slices.Sort(times)
		timing := fmt.Sprintf("median of %d runs %.2f ms, fastest %.2f ms (the SQL alone, over the connection)",
			*runs, ms(times[len(times)/2]), ms(times[0]))
		out := fmt.Sprintf("-- %s: %s, limit 50, %d rows skipped (cursor), scope %s\n-- %s\n%s\n", sc.name, describe(f), sc.depth,
			describeScope(sc.scope), timing, strings.Join(plan, "\n"))
		must(os.WriteFile(filepath.Join(dir, name), []byte(out), 0o644))
		fmt.Printf("%-32s %-22s %s; %s\n", sc.name, strings.TrimSpace(plan[1]), timing, plan[len(plan)-1])
	}
}

// cursorAfter walks the list (through the store, the way a client pages) past depth
// rows and returns the cursor there.
func cursorAfter(ctx context.Context, st *store.Store, scope domain.Scope, f domain.CaseFilter, depth int) string {
	st.Authorize = func(uuid.UUID, domain.Action) domain.Scope { return scope }
	f.Limit = 200
	for seen := 0; seen < depth; {
		if depth-seen < 200 {
			f.Limit = depth - seen
		}
		items, next, err := st.Cases(ctx, domain.Actor{UserID: scope.User}, f)
		must(err)
		if next == "" {
			log.Fatalf("only %d rows, not %d", seen+len(items), depth)
		}
		seen += len(items)
		f.Cursor = next
	}
	return f.Cursor
}

func describe(f domain.CaseFilter) string {
	var parts []string
	if f.Query != "" {
		parts = append(parts, fmt.Sprintf("q=%q", f.Query))
	}
	if f.Phase != "" {
		parts = append(parts, "phase="+f.Phase)
	}
	if f.AdvisorID != nil {
		parts = append(parts, "advisor_id=(an advisor)")
	}
	if len(parts) == 0 {
		return "no filter"
	}
	return strings.Join(parts, " ")
}

func describeScope(s domain.Scope) string {
	switch {
	case s.All:
		return "all carriers (programme manager)"
	case len(s.Carriers) > 0:
		return fmt.Sprintf("%d whole carrier(s) (coordinator)", len(s.Carriers))
	}
	return "own cases in one carrier (advisor)"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func must(err error) {
	if err != nil && err != sql.ErrNoRows {
		log.Fatal(err)
	}
}

// oldQuery is selectCaseSummaries before migration 00008 (git show 56dd6b2:internal/store/cases.go).
const oldQuery = `
SELECT c.id, c.carrier_id, f.given_name || ' ' || f.family_name AS founder_name, c.phase,
       c.status, c.lead_advisor_id, c.opened_on,
       (SELECT max(k.date) FROM consultations k WHERE k.case_id = c.id) AS last_consultation_on,
       (SELECT min(u.due_on) FROM follow_ups u WHERE u.case_id = c.id AND u.done_at IS NULL) AS next_follow_up_on
FROM (
    SELECT c.* FROM cases c
    WHERE (c.carrier_id = ANY($1::uuid[])
 OR (c.carrier_id = ANY($2::uuid[]) AND (c.lead_advisor_id = $3
     OR EXISTS (SELECT 1 FROM case_co_advisors a WHERE a.case_id = c.id AND a.user_id = $3)))
 OR $4)
      AND ($5 = '' OR c.phase = $5)
      AND ($6 = '' OR c.status = $6)
      AND ($7::uuid IS NULL OR c.lead_advisor_id = $7
           OR EXISTS (SELECT 1 FROM case_co_advisors a WHERE a.case_id = c.id AND a.user_id = $7))
      AND ($8 = '' OR EXISTS (SELECT 1 FROM founders f WHERE f.id = c.founder_id
                              AND lower(f.given_name || ' ' || f.family_name) LIKE '%' || $8 || '%'))
      AND ($9::date IS NULL OR (c.opened_on, c.id) < ($9, $10::uuid))
      AND ($12::date IS NULL OR (c.status = 'active' AND coalesce(
           (SELECT k.date FROM consultations k WHERE k.case_id = c.id ORDER BY k.date DESC LIMIT 1), c.opened_on) < $12))
      AND ($13::date IS NULL OR (c.status <> 'closed' AND EXISTS (SELECT 1 FROM follow_ups u
           WHERE u.case_id = c.id AND u.done_at IS NULL AND u.due_on < $13)))
    ORDER BY c.opened_on DESC, c.id DESC
    LIMIT $11
) c JOIN founders f ON f.id = c.founder_id
ORDER BY c.opened_on DESC, c.id DESC`
