package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

func date(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestQueryCheck(t *testing.T) {
	good := Query{From: date("2025-01-01"), To: date("2025-12-31"), Period: Quarter}
	tests := []struct {
		name   string
		change func(*Query)
		fields []string // the fields named, none for a good query
	}{
		{"good", func(*Query) {}, nil},
		{"default_minimum", func(q *Query) { q.MinimumCell = 0 }, nil},
		{"minimum_3_is_the_lowest", func(q *Query) { q.MinimumCell = 3 }, nil},
		{"minimum_below_3", func(q *Query) { q.MinimumCell = 2 }, []string{"minimum_cell"}},
		{"negative_minimum", func(q *Query) { q.MinimumCell = -5 }, []string{"minimum_cell"}},
		{"unknown_period", func(q *Query) { q.Period = "week" }, []string{"period"}},
		{"no_period", func(q *Query) { q.Period = "" }, []string{"period"}},
		{"from_after_to", func(q *Query) { q.From = date("2026-01-01") }, []string{"to"}},
		{"one_day", func(q *Query) { q.From, q.To = date("2025-03-31"), date("2025-03-31") }, nil},
		{"ten_years", func(q *Query) { q.From, q.To = date("2016-01-01"), date("2025-12-31") }, nil},
		{"over_ten_years", func(q *Query) { q.From, q.To = date("2016-01-01"), date("2026-01-01") }, []string{"to"}},
		{"missing_dates", func(q *Query) { q.From, q.To = domain.Date{}, domain.Date{} }, []string{"from", "to"}},
		{"every_problem_at_once", func(q *Query) { q.Period, q.MinimumCell, q.From = "day", 1, date("2027-01-01") },
			[]string{"period", "to", "minimum_cell"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := good
			tt.change(&q)
			err := q.Check()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Check() = %v", err)
				}
				return
			}
			var fields []string
			if e, ok := err.(*domain.Error); ok && e.Code == domain.ErrInvalid {
				for _, f := range e.Fields {
					fields = append(fields, f.Field)
				}
			}
			slices.Sort(fields)
			want := slices.Sorted(slices.Values(tt.fields))
			if !slices.Equal(fields, want) {
				t.Fatalf("Check() = %v, want ErrInvalid naming %v", err, want)
			}
		})
	}
}

func TestPeriods(t *testing.T) {
	tests := []struct {
		name     string
		period   Period
		from, to string
		labels   []string
		first    string
		last     string
	}{
		{"months_widened", Month, "2025-01-15", "2025-03-02", []string{"2025-01", "2025-02", "2025-03"}, "2025-01-01", "2025-03-31"},
		{"quarters_widened", Quarter, "2024-12-31", "2025-04-01", []string{"2024-Q4", "2025-Q1", "2025-Q2"}, "2024-10-01", "2025-06-30"},
		{"one_year", Year, "2025-06-30", "2025-06-30", []string{"2025"}, "2025-01-01", "2025-12-31"},
		{"leap_february", Month, "2024-02-10", "2024-02-10", []string{"2024-02"}, "2024-02-01", "2024-02-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var labels []string
			var p prepared
			for s := periodStart(tt.period, date(tt.from)); !s.After(date(tt.to)); s = nextStart(tt.period, s) {
				p.periods = append(p.periods, period{start: s, end: nextStart(tt.period, s).AddDays(-1), label: periodLabel(tt.period, s)})
				labels = append(labels, periodLabel(tt.period, s))
			}
			if !slices.Equal(labels, tt.labels) || p.periods[0].start != date(tt.first) || p.periods[len(p.periods)-1].end != date(tt.last) {
				t.Fatalf("periods %v from %v to %v", labels, p.periods[0].start, p.periods[len(p.periods)-1].end)
			}
			for i, per := range p.periods {
				for _, d := range []domain.Date{per.start, per.end} {
					if got := p.index(d); got != i {
						t.Errorf("index(%v) = %d, want %d", d, got, i)
					}
				}
			}
			if p.index(p.periods[0].start.AddDays(-1)) != -1 || p.index(p.periods[len(p.periods)-1].end.AddDays(1)) != -1 {
				t.Error("a day outside the periods has an index")
			}
		})
	}
}

func TestEUMemberStatesMatchDomain(t *testing.T) {
	if len(EUMemberStates) != 27 {
		t.Fatalf("%d EU member states", len(EUMemberStates))
	}
	for _, c := range EUMemberStates {
		if domain.ThirdCountryNational([]string{c}) {
			t.Errorf("%s is a third country for domain", c)
		}
	}
	if !domain.ThirdCountryNational([]string{"SY"}) || domain.ThirdCountryNational(nil) {
		t.Error("domain disagrees on SY or on no nationality")
	}
	if len(ClosingReasons) != nReasons || len(phaseFields) != phaseCols {
		t.Errorf("%d closing reasons, %d phase fields", len(ClosingReasons), len(phaseFields))
	}
}

// ---- the fixture: hand-computed figures ----

// fixture writes a small history three times over (copies 0, 1, 2 of every founder
// and case), so that every count is a multiple of 3 and shows with MinimumCell 3.
// In one copy (Berlin times):
//
//	carrier A: C1 founder F1, opened 2025-01-15 10:00 founding, consolidation from
//	             2025-02-20 12:00 (mid-quarter); consultations 2025-01-20 founding
//	             60 min, 2025-03-05 consolidation 90 min.
//	           C2 founder F2, opened 2025-03-31 23:30 (the last day of Q1, 21:30 UTC)
//	             founding; closed 2025-05-10 abandoned, reopened 2025-06-01;
//	             consultation 2025-04-02 founding 45 min.
//	           C5 founder F2 (second case), opened 2025-02-10 founding, closed
//	             2025-03-01 no_contact.
//	           C6 founder F4, opened 2025-05-05 founding.
//	carrier B: C4 founder F1 (a founder in two carriers), opened 2025-02-01 founding,
//	             handover from 2025-05-15; consultations 2025-02-03 founding 60 min,
//	             2025-05-20 handover 30 min.
//	           C3 founder F3, opened 2025-04-01 00:30 (Q2 in Berlin, still Q1 in
//	             UTC) founding; closed 2025-07-01 00:30 consolidated (Q3 in Berlin).
type fixture struct {
	carrierA, carrierB uuid.UUID
	founders           []uuid.UUID
	cases              []uuid.UUID
}

// canaries are the personal data the fixture stores; no statistic may show them.
var canaries = []string{"Canarygiven", "Canaryfamily", "canary@lotse.example", "+49 170 0000000", "Kanarienweg 1", "Canarycity",
	"Canary summary", "Canary note"}

func id(name string, copy int) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("%s-%d", name, copy)))
}

func insertFixture(t *testing.T, db *sqlx.DB) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{carrierA: id("A", 0), carrierB: id("B", 0)}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	advisor := id("advisor", 0)
	exec(`INSERT INTO carriers (id, name, short_name) VALUES ($1, 'Träger A', 'AAA'), ($2, 'Träger B', 'BBB')`, f.carrierA, f.carrierB)
	exec(`INSERT INTO users (id, email, name, password_hash) VALUES ($1, 'advisor@lotse.example', 'Advisor', 'x')`, advisor)
	type founder struct {
		name, gender, employment, isced, nationalities, disability, foreign, homeless string
		birth                                                                         *int
	}
	year := func(y int) *int { return &y }
	founders := []founder{
		{"F1", "female", "unemployed", "isced_3_4", "{SY}", "no", "yes", "no", year(1990)},
		{"F2", "male", "long_term_unemployed", "isced_0_2", "{DE,SY}", "yes", "not_stated", "no", year(2008)},
		{"F3", "diverse", "self_employed", "isced_5_8", "{}", "not_stated", "yes", "yes", year(1965)},
		{"F4", "unspecified", "inactive", "unknown", "{TR}", "no", "no", "not_stated", nil},
	}
	type event struct{ at, what, arg string } // what: phase (arg phase), close (arg reason), reopen
	type kase struct {
		name, founder, carrier, opened string
		events                         []event
		consultations                  [][3]string // date, phase, minutes
	}
	cases := []kase{
		{"C1", "F1", "A", "2025-01-15", []event{{"2025-01-15 10:00", "phase", "founding"}, {"2025-02-20 12:00", "phase", "consolidation"}},
			[][3]string{{"2025-01-20", "founding", "60"}, {"2025-03-05", "consolidation", "90"}}},
		{"C2", "F2", "A", "2025-03-31", []event{{"2025-03-31 23:30", "phase", "founding"}, {"2025-05-10 09:00", "close", "abandoned"},
			{"2025-06-01 09:00", "reopen", ""}}, [][3]string{{"2025-04-02", "founding", "45"}}},
		{"C5", "F2", "A", "2025-02-10", []event{{"2025-02-10 09:00", "phase", "founding"}, {"2025-03-01 09:00", "close", "no_contact"}}, nil},
		{"C6", "F4", "A", "2025-05-05", []event{{"2025-05-05 09:00", "phase", "founding"}}, nil},
		{"C4", "F1", "B", "2025-02-01", []event{{"2025-02-01 09:00", "phase", "founding"}, {"2025-05-15 09:00", "phase", "handover"}},
			[][3]string{{"2025-02-03", "founding", "60"}, {"2025-05-20", "handover", "30"}}},
		{"C3", "F3", "B", "2025-04-01", []event{{"2025-04-01 00:30", "phase", "founding"}, {"2025-07-01 00:30", "close", "consolidated"}}, nil},
	}
	carrierID := map[string]uuid.UUID{"A": f.carrierA, "B": f.carrierB}
	for copy := range 3 {
		for _, fo := range founders {
			fid := id(fo.name, copy)
			f.founders = append(f.founders, fid)
			carrier := f.carrierA
			if fo.name == "F3" {
				carrier = f.carrierB
			}
			exec(`INSERT INTO founders (id, carrier_id, given_name, family_name, birth_year, gender, email, phone, postcode, city,
			          nationalities, education_isced, employment_status_at_entry, disability, foreign_background, homeless)
			      VALUES ($1, $2, 'Canarygiven', 'Canaryfamily', $3, $4, 'canary@lotse.example', '+49 170 0000000', 'Kanarienweg 1',
			          'Canarycity', $5, $6, $7, $8, $9, $10)`,
				fid, carrier, fo.birth, fo.gender, fo.nationalities, fo.isced, fo.employment, fo.disability, fo.foreign, fo.homeless)
		}
		for _, c := range cases {
			cid := id(c.name, copy)
			f.cases = append(f.cases, cid)
			exec(`INSERT INTO cases (id, carrier_id, founder_id, phase, status, lead_advisor_id, business_idea, opened_on)
			      VALUES ($1, $2, $3, 'founding', 'active', $4, 'Canary summary', $5)`, cid, carrierID[c.carrier], id(c.founder, copy), advisor, c.opened)
			phase, status := "", "active"
			for _, e := range c.events {
				switch e.what {
				case "phase":
					var from any
					if phase != "" {
						from = phase
					}
					exec(`INSERT INTO phase_transitions (case_id, from_phase, to_phase, at, by_user)
					      VALUES ($1, $2, $3, $4::timestamp AT TIME ZONE 'Europe/Berlin', $5)`, cid, from, e.arg, e.at, advisor)
					phase = e.arg
				case "close":
					exec(`INSERT INTO status_changes (case_id, from_status, to_status, reason, note, at, by_user)
					      VALUES ($1, $2, 'closed', $3, 'Canary note', $4::timestamp AT TIME ZONE 'Europe/Berlin', $5)`, cid, status, e.arg, e.at, advisor)
					status = "closed"
				case "reopen":
					exec(`INSERT INTO status_changes (case_id, from_status, to_status, at, by_user)
					      VALUES ($1, 'closed', 'active', $2::timestamp AT TIME ZONE 'Europe/Berlin', $3)`, cid, e.at, advisor)
					status = "active"
				}
			}
			for _, k := range c.consultations {
				exec(`INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, mode, topics, summary, phase)
				      VALUES ($1, $2, $3, $4, $5, 'phone', '{other}', 'Canary summary', $6)`, uuid.New(), cid, advisor, k[0], k[2], k[1])
			}
		}
	}
	return f
}

// berlinDB opens the test database with a session time zone far from Berlin: the
// figures must not depend on it.
func berlinDB(t *testing.T, url string) *sqlx.DB {
	t.Helper()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db, err := sqlx.Open("postgres", url+sep+"options=-c%20TimeZone%3DPacific/Kiritimati")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// want is one expected row: carrier "" is the total; the values are of one copy and
// are multiplied by 3. Omitted figures are 0.
type want struct {
	period, phase, carrier                               string
	active, opened, entered, consultations, fc, founders int
	hours                                                float64
	closed                                               map[string]int
}

func checkPhaseRows(t *testing.T, tab PhaseTable, f fixture, wants []want) {
	t.Helper()
	got := map[string]PhaseRow{}
	for _, r := range tab.Rows {
		carrier := "total"
		switch {
		case r.CarrierID == nil:
		case *r.CarrierID == f.carrierA:
			carrier = "A"
		case *r.CarrierID == f.carrierB:
			carrier = "B"
		}
		got[r.Period+"/"+r.Phase+"/"+carrier] = r
	}
	for _, w := range wants {
		carrier := w.carrier
		if carrier == "" {
			carrier = "total"
		}
		key := w.period + "/" + w.phase + "/" + carrier
		r, ok := got[key]
		if !ok {
			t.Errorf("%s: no row", key)
			continue
		}
		if len(r.Suppressed) > 0 {
			t.Errorf("%s: suppressed %v", key, r.Suppressed)
			continue
		}
		check := func(name string, v *int, w int) {
			t.Helper()
			if v == nil || *v != 3*w {
				t.Errorf("%s %s = %v, want %d", key, name, deref(v), 3*w)
			}
		}
		check("cases_active", r.CasesActive, w.active)
		check("cases_opened", r.CasesOpened, w.opened)
		check("entered", r.Entered, w.entered)
		total := 0
		for _, reason := range ClosingReasons {
			check("closed."+reason, r.Closed[reason], w.closed[reason])
			total += w.closed[reason]
		}
		check("closed.total", r.Closed["total"], total)
		check("consultations", r.Consultations, w.consultations)
		check("first_contacts", r.FirstContacts, w.fc)
		check("founders", r.Founders, w.founders)
		if r.ConsultationHours == nil || math.Abs(*r.ConsultationHours-3*w.hours) > 1e-9 {
			t.Errorf("%s consultation_hours = %v, want %v", key, r.ConsultationHours, 3*w.hours)
		}
	}
}

func deref(v *int) any {
	if v == nil {
		return nil
	}
	return *v
}

func TestPhasesFixture(t *testing.T) {
	tdb := testdb.New(t)
	f := insertFixture(t, berlinDB(t, tdb.URL))
	ctx := context.Background()
	db := tdb.Store.DB
	both := []uuid.UUID{f.carrierA, f.carrierB}
	tests := []struct {
		name     string
		q        Query
		rows     int
		wants    []want
		zeroRows []string // period/phase/carrier keys whose figures are all 0
	}{
		{"quarters", Query{From: date("2025-01-01"), To: date("2025-06-30"), Period: Quarter, Carriers: both, MinimumCell: 3}, 2 * 3 * 3,
			[]want{
				// Q1: C1 moved to consolidation mid-quarter, so it is active there only;
				// C5 opened and closed; C2 opened at 23:30 on the quarter's last day.
				{period: "2025-Q1", phase: "founding", carrier: "A", active: 1, opened: 3, entered: 3, consultations: 1, hours: 1, fc: 1, founders: 1, closed: map[string]int{"no_contact": 1}},
				{period: "2025-Q1", phase: "consolidation", carrier: "A", active: 1, entered: 1, consultations: 1, hours: 1.5, founders: 1},
				{period: "2025-Q1", phase: "handover", carrier: "A"},
				{period: "2025-Q1", phase: "founding", carrier: "B", active: 1, opened: 1, entered: 1, consultations: 1, hours: 1, fc: 1, founders: 1},
				{period: "2025-Q1", phase: "founding", active: 2, opened: 4, entered: 4, consultations: 2, hours: 2, fc: 2, founders: 2, closed: map[string]int{"no_contact": 1}},
				{period: "2025-Q1", phase: "consolidation", active: 1, entered: 1, consultations: 1, hours: 1.5, founders: 1},
				// Q2: C2 closed and reopened counts as active; C3 opened at 00:30 on 1 April
				// (31 March in UTC) counts here; C4 moved to handover.
				{period: "2025-Q2", phase: "founding", carrier: "A", active: 2, opened: 1, entered: 1, consultations: 1, hours: 0.75, fc: 1, founders: 1, closed: map[string]int{"abandoned": 1}},
				{period: "2025-Q2", phase: "consolidation", carrier: "A", active: 1},
				{period: "2025-Q2", phase: "founding", carrier: "B", active: 1, opened: 1, entered: 1},
				{period: "2025-Q2", phase: "handover", carrier: "B", active: 1, entered: 1, consultations: 1, hours: 0.5, founders: 1},
				{period: "2025-Q2", phase: "founding", active: 3, opened: 2, entered: 2, consultations: 1, hours: 0.75, fc: 1, founders: 1, closed: map[string]int{"abandoned": 1}},
				{period: "2025-Q2", phase: "handover", active: 1, entered: 1, consultations: 1, hours: 0.5, founders: 1},
			}, []string{"2025-Q1/handover/B", "2025-Q2/consolidation/B", "2025-Q2/handover/A"}},
		{"months", Query{From: date("2025-02-01"), To: date("2025-04-30"), Period: Month, MinimumCell: 3}, 3 * 3 * 3,
			[]want{
				{period: "2025-02", phase: "founding", carrier: "A", active: 1, opened: 1, entered: 1},
				{period: "2025-02", phase: "consolidation", carrier: "A", active: 1, entered: 1},
				{period: "2025-02", phase: "founding", carrier: "B", active: 1, opened: 1, entered: 1, consultations: 1, hours: 1, fc: 1, founders: 1},
				{period: "2025-03", phase: "founding", carrier: "A", active: 1, opened: 1, entered: 1, closed: map[string]int{"no_contact": 1}},
				{period: "2025-03", phase: "consolidation", carrier: "A", active: 1, consultations: 1, hours: 1.5, founders: 1},
				{period: "2025-04", phase: "founding", carrier: "A", active: 1, consultations: 1, hours: 0.75, fc: 1, founders: 1},
				{period: "2025-04", phase: "founding", carrier: "B", active: 2, opened: 1, entered: 1},
			}, nil},
		{"year", Query{From: date("2025-03-03"), To: date("2025-03-03"), Period: Year, Carriers: both, MinimumCell: 3}, 3 * 3,
			[]want{
				{period: "2025", phase: "founding", carrier: "A", active: 2, opened: 4, entered: 4, consultations: 2, hours: 1.75, fc: 2, founders: 2, closed: map[string]int{"no_contact": 1, "abandoned": 1}},
				{period: "2025", phase: "consolidation", carrier: "A", active: 1, entered: 1, consultations: 1, hours: 1.5, founders: 1},
				// C3's closing at 00:30 on 1 July counts in the year, in founding.
				{period: "2025", phase: "founding", carrier: "B", opened: 2, entered: 2, consultations: 1, hours: 1, fc: 1, founders: 1, closed: map[string]int{"consolidated": 1}},
				{period: "2025", phase: "handover", carrier: "B", active: 1, entered: 1, consultations: 1, hours: 0.5, founders: 1},
				// F1 counts once in A and once in B: the total is the sum of the rows.
				{period: "2025", phase: "founding", active: 2, opened: 6, entered: 6, consultations: 3, hours: 2.75, fc: 3, founders: 3, closed: map[string]int{"no_contact": 1, "abandoned": 1, "consolidated": 1}},
			}, []string{"2025/handover/A", "2025/consolidation/B"}},
		{"one_carrier", Query{From: date("2025-04-01"), To: date("2025-06-30"), Period: Quarter, Carriers: []uuid.UUID{f.carrierB}, MinimumCell: 3}, 2 * 3,
			[]want{
				{period: "2025-Q2", phase: "founding", carrier: "B", active: 1, opened: 1, entered: 1},
				{period: "2025-Q2", phase: "founding", active: 1, opened: 1, entered: 1},
			}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Phases(ctx, db, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(tab.Rows) != tt.rows {
				t.Fatalf("%d rows, want %d", len(tab.Rows), tt.rows)
			}
			checkPhaseRows(t, tab, f, tt.wants)
			var zero []want
			for _, k := range tt.zeroRows {
				p := strings.Split(k, "/")
				zero = append(zero, want{period: p[0], phase: p[1], carrier: p[2]})
			}
			checkPhaseRows(t, tab, f, zero)
			if tab.MinimumCell != 3 || tab.Period != tt.q.Period {
				t.Errorf("minimum %d, period %s", tab.MinimumCell, tab.Period)
			}
		})
	}
	t.Run("all_carriers_by_default", func(t *testing.T) {
		tab, err := Phases(ctx, db, Query{From: date("2025-01-01"), To: date("2025-03-31"), Period: Quarter})
		if err != nil {
			t.Fatal(err)
		}
		if len(tab.Rows) != 3*3 || tab.MinimumCell != DefaultMinimumCell {
			t.Fatalf("%d rows, minimum %d", len(tab.Rows), tab.MinimumCell)
		}
		if tab.Rows[0].Carrier != "AAA" || tab.Rows[1].Carrier != "BBB" || tab.Rows[2].Carrier != "" || tab.Rows[2].CarrierID != nil {
			t.Errorf("rows %q %q %q", tab.Rows[0].Carrier, tab.Rows[1].Carrier, tab.Rows[2].Carrier)
		}
		if leaks := auditPhases(tab); len(leaks) > 0 {
			t.Errorf("leaks: %v", leaks)
		}
	})
	t.Run("unknown_carrier", func(t *testing.T) {
		_, err := Phases(ctx, db, Query{From: date("2025-01-01"), To: date("2025-03-31"), Period: Quarter, Carriers: []uuid.UUID{f.carrierA, uuid.New()}})
		var e *domain.Error
		if !asError(err, &e) || e.Code != domain.ErrInvalid || e.Fields[0].Field != "carriers[1]" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad_query", func(t *testing.T) {
		_, err := Phases(ctx, db, Query{From: date("2025-01-01"), To: date("2025-03-31"), Period: "week"})
		if domain.ErrorCode(err) != domain.ErrInvalid {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no_carriers", func(t *testing.T) {
		tab, err := Phases(ctx, db, Query{From: date("2025-01-01"), To: date("2025-03-31"), Period: Quarter, Carriers: []uuid.UUID{}})
		if err != nil || len(tab.Rows) != 3 || tab.Rows[0].CarrierID != nil || *tab.Rows[0].Founders != 0 {
			t.Fatalf("%v %+v", err, tab.Rows)
		}
	})
}

func asError(err error, e **domain.Error) bool {
	x, ok := err.(*domain.Error)
	*e = x
	return ok
}

// esfWant is one expected ESF row of one copy: female, male, diverse, unspecified.
type esfWant struct {
	period, indicator, carrier string
	f, m, d, u                 int
}

func TestESFFixture(t *testing.T) {
	tdb := testdb.New(t)
	f := insertFixture(t, tdb.Store.DB)
	ctx := context.Background()
	tab, err := ESF(ctx, tdb.Store.DB, Query{From: date("2025-01-01"), To: date("2025-12-31"), Period: Year, MinimumCell: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != len(Indicators)*3 {
		t.Fatalf("%d rows", len(tab.Rows))
	}
	// F1 (A and B): female, 35, unemployed, ISCED 3-4, Syrian, foreign background.
	// F2 (A, two cases: once): male, 17, long-term unemployed, ISCED 0-2, German and
	// Syrian (not a third-country national), disability.
	// F4 (A): unspecified, no birth year, inactive, Turkish.
	// F3 (B): diverse, 60, self-employed, ISCED 5-8, no nationality recorded (not a
	// third-country national), foreign background, homeless.
	wants := []esfWant{
		{"2025", "participants", "A", 1, 1, 0, 1}, {"2025", "participants", "B", 1, 0, 1, 0}, {"2025", "participants", "", 2, 1, 1, 1},
		{"2025", "unemployed", "A", 1, 1, 0, 0}, {"2025", "unemployed", "B", 1, 0, 0, 0},
		{"2025", "long_term_unemployed", "A", 0, 1, 0, 0}, {"2025", "long_term_unemployed", "B", 0, 0, 0, 0},
		{"2025", "inactive", "A", 0, 0, 0, 1}, {"2025", "employed", "B", 0, 0, 1, 0}, {"2025", "employed", "A", 0, 0, 0, 0},
		{"2025", "under_18", "A", 0, 1, 0, 0}, {"2025", "age_18_29", "", 0, 0, 0, 0}, {"2025", "age_55_plus", "B", 0, 0, 1, 0},
		{"2025", "isced_0_2", "A", 0, 1, 0, 0}, {"2025", "isced_3_4", "", 2, 0, 0, 0}, {"2025", "isced_5_8", "B", 0, 0, 1, 0},
		{"2025", "disability", "A", 0, 1, 0, 0}, {"2025", "disability", "B", 0, 0, 0, 0},
		{"2025", "third_country_nationals", "A", 1, 0, 0, 1}, {"2025", "third_country_nationals", "B", 1, 0, 0, 0},
		{"2025", "foreign_background", "B", 1, 0, 1, 0}, {"2025", "homeless", "", 0, 0, 1, 0},
	}
	checkESF(t, tab, f, wants)
	t.Run("quarters", func(t *testing.T) {
		tab, err := ESF(ctx, tdb.Store.DB, Query{From: date("2025-01-01"), To: date("2025-06-30"), Period: Quarter, MinimumCell: 3})
		if err != nil {
			t.Fatal(err)
		}
		checkESF(t, tab, f, []esfWant{
			// C2 and C5 of F2 both opened in Q1 in A: F2 once.
			{"2025-Q1", "participants", "A", 1, 1, 0, 0}, {"2025-Q1", "participants", "B", 1, 0, 0, 0},
			{"2025-Q2", "participants", "A", 0, 0, 0, 1}, {"2025-Q2", "participants", "B", 0, 0, 1, 0},
		})
		if leaks := auditESF(tab); len(leaks) > 0 {
			t.Errorf("leaks: %v", leaks)
		}
	})
}

func checkESF(t *testing.T, tab ESFTable, f fixture, wants []esfWant) {
	t.Helper()
	for _, w := range wants {
		found := false
		for _, r := range tab.Rows {
			carrier := ""
			if r.CarrierID != nil {
				carrier = map[uuid.UUID]string{f.carrierA: "A", f.carrierB: "B"}[*r.CarrierID]
			}
			if r.Period != w.period || r.Indicator != w.indicator || carrier != w.carrier {
				continue
			}
			found = true
			got := []any{deref(r.Female), deref(r.Male), deref(r.Diverse), deref(r.Unspecified), deref(r.Total)}
			exp := []any{3 * w.f, 3 * w.m, 3 * w.d, 3 * w.u, 3 * (w.f + w.m + w.d + w.u)}
			if fmt.Sprint(got) != fmt.Sprint(exp) {
				t.Errorf("%s %s %q: %v, want %v (suppressed %v)", w.period, w.indicator, w.carrier, got, exp, r.Suppressed)
			}
		}
		if !found {
			t.Errorf("%s %s %q: no row", w.period, w.indicator, w.carrier)
		}
	}
}

// TestNoPersonalDataInAnswers: the JSON of both answers holds no name, contact data,
// text, founder id or case id.
func TestNoPersonalDataInAnswers(t *testing.T) {
	tdb := testdb.New(t)
	f := insertFixture(t, tdb.Store.DB)
	ctx := context.Background()
	forbidden := append([]string{}, canaries...)
	for _, x := range append(f.founders, f.cases...) {
		forbidden = append(forbidden, x.String())
	}
	for _, period := range []Period{Month, Quarter, Year} {
		q := Query{From: date("2025-01-01"), To: date("2025-12-31"), Period: period, MinimumCell: 3}
		ph, err := Phases(ctx, tdb.Store.DB, q)
		if err != nil {
			t.Fatal(err)
		}
		esf, err := ESF(ctx, tdb.Store.DB, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, answer := range []any{ph, esf} {
			b, err := json.Marshal(answer)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range forbidden {
				if strings.Contains(strings.ToLower(string(b)), strings.ToLower(s)) {
					t.Errorf("%s answer contains %q", period, s)
				}
			}
		}
	}
}

// TestSuppressionOnFixture: with the default minimum the fixture's 3s are hidden,
// and the answers pass the attacker's audit; the total row of a one-carrier answer
// hides exactly what the carrier row hides.
func TestSuppressionOnFixture(t *testing.T) {
	tdb := testdb.New(t)
	f := insertFixture(t, tdb.Store.DB)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		carriers []uuid.UUID
	}{{"two_carriers", []uuid.UUID{f.carrierA, f.carrierB}}, {"one_carrier", []uuid.UUID{f.carrierA}}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, period := range []Period{Month, Quarter, Year} {
				q := Query{From: date("2025-01-01"), To: date("2025-12-31"), Period: period, Carriers: tc.carriers, MinimumCell: 5}
				ph, err := Phases(ctx, tdb.Store.DB, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range ph.Rows {
					for _, v := range phaseRowValues(r) {
						if v != nil && *v == 3 {
							t.Errorf("%s %s %s: a 3 is shown", r.Period, r.Phase, r.Carrier)
						}
					}
				}
				if leaks := auditPhases(ph); len(leaks) > 0 {
					t.Errorf("%s phases: %v", period, leaks)
				}
				if period == Month {
					continue // twelve ESF audits add little but time
				}
				esf, err := ESF(ctx, tdb.Store.DB, q)
				if err != nil {
					t.Fatal(err)
				}
				if leaks := auditESF(esf); len(leaks) > 0 {
					t.Errorf("%s esf: %v", period, leaks)
				}
				if len(tc.carriers) == 1 {
					for i := 0; i < len(ph.Rows); i += 2 {
						if !slices.Equal(ph.Rows[i].Suppressed, ph.Rows[i+1].Suppressed) {
							t.Errorf("%s %s: carrier hides %v, total %v", ph.Rows[i].Period, ph.Rows[i].Phase, ph.Rows[i].Suppressed, ph.Rows[i+1].Suppressed)
						}
					}
					for i := 0; i < len(esf.Rows); i += 2 {
						if !slices.Equal(esf.Rows[i].Suppressed, esf.Rows[i+1].Suppressed) {
							t.Errorf("%s %s: carrier hides %v, total %v", esf.Rows[i].Period, esf.Rows[i].Indicator, esf.Rows[i].Suppressed, esf.Rows[i+1].Suppressed)
						}
					}
				}
			}
		})
	}
}
