package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

func TestLPBounds(t *testing.T) {
	tests := []struct {
		name   string
		p      lpProblem
		j      int
		lo, hi float64
	}{
		{"two_unknowns_with_a_known_sum", lpProblem{n: 2, eq: [][]float64{{1, 1}}, eqB: []float64{10}}, 0, 0, 10},
		{"a_bound_from_an_inequality", lpProblem{n: 2, eq: [][]float64{{1, 1}}, eqB: []float64{10}, le: [][]float64{{-1, 0}}, leB: []float64{-4}}, 1, 0, 6},
		{"unbounded_above", lpProblem{n: 2, eq: [][]float64{{1, -1}}, eqB: []float64{3}}, 0, 3, math.Inf(1)},
		{"dependent_equations", lpProblem{n: 3, eq: [][]float64{{1, 1, 0}, {0, 1, 1}, {1, 2, 1}}, eqB: []float64{5, 7, 12}}, 1, 0, 5},
		{"determined", lpProblem{n: 2, eq: [][]float64{{1, 1}, {1, -1}}, eqB: []float64{10, 2}}, 0, 6, 6},
		{"in_no_relation", lpProblem{n: 2, eq: [][]float64{{0, 1}}, eqB: []float64{3}}, 0, 0, math.Inf(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, err := tt.p.bounds(tt.j)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(lo-tt.lo) > 1e-6 || (math.IsInf(tt.hi, 1) != math.IsInf(hi, 1)) || !math.IsInf(tt.hi, 1) && math.Abs(hi-tt.hi) > 1e-6 {
				t.Errorf("bounds = [%v, %v], want [%v, %v]", lo, hi, tt.lo, tt.hi)
			}
		})
	}
	t.Run("inconsistent_equations", func(t *testing.T) {
		p := lpProblem{n: 2, eq: [][]float64{{1, 1}, {2, 2}}, eqB: []float64{1, 3}}
		if _, _, err := p.bounds(0); err == nil {
			t.Error("no error for inconsistent equations")
		}
	})
}

// ---- the attacker: the model of a published answer, built from the answer alone ----

// attacker is what anyone reading one answer knows: the published cells, the sums the
// table states (carriers → total row, genders → total, closing reasons → closed
// total), the inequalities the definitions imply, that a suppressed cell is ≥ 1 (0 is
// always shown) and that cells are whole numbers.
type attacker struct {
	cells    []attCell
	eqs, les []relation
	minimum  float64
}

type attCell struct {
	known bool
	value float64 // minutes for consultation hours
	unit  float64
	name  string
}

func (a *attacker) add(name string, v *int, unit float64) int {
	c := attCell{unit: unit, name: name}
	if v != nil {
		c.known, c.value = true, float64(*v)
	}
	a.cells = append(a.cells, c)
	return len(a.cells) - 1
}

// gonumCheckSize is the largest audit that gonum's simplex repeats.
const gonumCheckSize = 25

// leaks solves, for every suppressed cell, its minimum and maximum over everything
// published, and reports each cell narrower than minimum·unit, and every published
// relation that does not hold.
func (a *attacker) leaks() []string {
	var out []string
	// The unknowns fall apart into components (relations linking unknowns): each
	// component's LP is independent of the others, so each is solved on its own.
	comp := make([]int, len(a.cells))
	for i := range comp {
		comp[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if comp[i] != i {
			comp[i] = find(comp[i])
		}
		return comp[i]
	}
	for _, rels := range [][]relation{a.eqs, a.les} {
		for _, r := range rels {
			first := -1
			for _, t := range r {
				if a.cells[t.cell].known {
					continue
				}
				if first < 0 {
					first = t.cell
				} else {
					comp[find(t.cell)] = find(first)
				}
			}
		}
	}
	groups := map[int][]int{}
	for i, c := range a.cells {
		if !c.known {
			groups[find(i)] = append(groups[find(i)], i)
		}
	}
	// every relation without unknowns must hold as published
	for k, rels := range [][]relation{a.eqs, a.les} {
		for _, r := range rels {
			rhs, used := 0.0, false
			for _, t := range r {
				if a.cells[t.cell].known {
					rhs -= t.coef * a.cells[t.cell].value
				} else {
					used = true
				}
			}
			if !used && (k == 0 && math.Abs(rhs) > 1e-9 || k == 1 && rhs < -1e-9) {
				out = append(out, fmt.Sprintf("published relation does not hold: %v", a.names(r)))
			}
		}
	}
	for _, unknown := range groups {
		out = append(out, a.componentLeaks(unknown)...)
	}
	slices.Sort(out)
	return out
}

func (a *attacker) componentLeaks(unknown []int) []string {
	var out []string
	col := map[int]int{}
	for j, i := range unknown {
		col[i] = j
	}
	var p lpProblem
	p.n = len(unknown)
	for k, rels := range [][]relation{a.eqs, a.les} {
		for _, r := range rels {
			row := make([]float64, p.n)
			rhs, used := 0.0, false
			for _, t := range r {
				if j, ok := col[t.cell]; ok {
					row[j] += t.coef
					rhs -= t.coef
					used = true
				} else if a.cells[t.cell].known {
					rhs -= t.coef * a.cells[t.cell].value
				}
			}
			switch {
			case used && k == 0:
				p.eq, p.eqB = append(p.eq, row), append(p.eqB, rhs)
			case used:
				p.le, p.leB = append(p.le, row), append(p.leB, rhs)
			}
		}
	}
	for j, i := range unknown {
		lo, hi, err := p.bounds(j)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: solver: %v", a.cells[i].name, err))
			continue
		}
		// gonum's simplex checks the answer where it is fast enough.
		if p.n <= gonumCheckSize {
			if glo, ghi, err := p.boundsGonum(j); err == nil &&
				(math.Abs(lo-glo) > 1e-5 || math.IsInf(hi, 1) != math.IsInf(ghi, 1) || !math.IsInf(hi, 1) && math.Abs(hi-ghi) > 1e-5) {
				out = append(out, fmt.Sprintf("%s: own simplex [%v, %v], gonum [%v, %v]", a.cells[i].name, lo, hi, glo, ghi))
			}
		}
		lo, hi = math.Ceil(1+lo-1e-6), math.Floor(1+hi+1e-6)
		if hi-lo < a.minimum*a.cells[i].unit {
			out = append(out, fmt.Sprintf("%s: narrowed to [%v, %v]", a.cells[i].name, lo, hi))
		}
	}
	return out
}

func (a *attacker) names(r relation) string {
	var s []string
	for _, t := range r {
		s = append(s, fmt.Sprintf("%+g·%s", t.coef, a.cells[t.cell].name))
	}
	return strings.Join(s, " ")
}

// auditPhases returns the leaks of a phase answer, sub-table by sub-table.
func auditPhases(t PhaseTable) []string {
	type key struct{ period, phase string }
	groups := map[key][]PhaseRow{}
	var order []key
	for _, r := range t.Rows {
		k := key{r.Period, r.Phase}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out []string
	for _, k := range order {
		a := &attacker{minimum: float64(t.MinimumCell)}
		var rows [][]int
		for _, r := range groups[k] {
			label := fmt.Sprintf("%s/%s/%s", k.period, k.phase, r.Carrier)
			var minutes *int
			if r.ConsultationHours != nil {
				m := int(math.Round(*r.ConsultationHours * 60))
				minutes = &m
			}
			cells := []int{a.add(label+"/cases_active", r.CasesActive, 1), a.add(label+"/cases_opened", r.CasesOpened, 1),
				a.add(label+"/entered", r.Entered, 1)}
			for _, reason := range ClosingReasons {
				cells = append(cells, a.add(label+"/closed."+reason, r.Closed[reason], 1))
			}
			cells = append(cells, a.add(label+"/closed.total", r.Closed["total"], 1),
				a.add(label+"/consultations", r.Consultations, 1), a.add(label+"/minutes", minutes, 60),
				a.add(label+"/first_contacts", r.FirstContacts, 1), a.add(label+"/founders", r.Founders, 1))
			rows = append(rows, cells)
			const opened, entered, closedTotal, cons, mins, fc, founders = 1, 2, 10, 11, 12, 13, 14
			a.eqs = append(a.eqs, sum(cells[closedTotal], cells[3:closedTotal]...))
			a.les = append(a.les,
				relation{{cells[opened], 1}, {cells[entered], -1}},
				relation{{cells[fc], 1}, {cells[cons], -1}},
				relation{{cells[founders], 1}, {cells[cons], -1}},
				relation{{cells[cons], 1}, {cells[mins], -1}},
				relation{{cells[mins], 1}, {cells[cons], -600}})
		}
		total := rows[len(rows)-1]
		if len(rows) > 1 {
			for c := range total {
				var parts []int
				for _, r := range rows[:len(rows)-1] {
					parts = append(parts, r[c])
				}
				a.eqs = append(a.eqs, sum(total[c], parts...))
			}
		}
		out = append(out, a.leaks()...)
	}
	return out
}

// auditESF returns the leaks of an ESF answer, period by period.
func auditESF(t ESFTable) []string {
	var order []string
	groups := map[string][]ESFRow{}
	for _, r := range t.Rows {
		if _, ok := groups[r.Period]; !ok {
			order = append(order, r.Period)
		}
		groups[r.Period] = append(groups[r.Period], r)
	}
	var out []string
	for _, period := range order {
		a := &attacker{minimum: float64(t.MinimumCell)}
		// cell[carrier label][indicator][gender]
		cell := map[string]map[string][]int{}
		var carriers []string
		for _, r := range groups[period] {
			label := r.Carrier
			if r.CarrierID == nil {
				label = "TOTAL"
			}
			if cell[label] == nil {
				cell[label] = map[string][]int{}
				carriers = append(carriers, label)
			}
			name := fmt.Sprintf("%s/%s/%s/", period, label, r.Indicator)
			cs := []int{a.add(name+"female", r.Female, 1), a.add(name+"male", r.Male, 1), a.add(name+"diverse", r.Diverse, 1),
				a.add(name+"unspecified", r.Unspecified, 1), a.add(name+"total", r.Total, 1)}
			cell[label][r.Indicator] = cs
			a.eqs = append(a.eqs, sum(cs[4], cs[:4]...))
		}
		for _, label := range carriers {
			for g := range 5 {
				at := func(ind string) int { return cell[label][ind][g] }
				part := func(whole string, parts ...string) relation {
					r := relation{{at(whole), -1}}
					for _, p := range parts {
						r = append(r, term{at(p), 1})
					}
					return r
				}
				a.les = append(a.les, part("unemployed", "long_term_unemployed"),
					part("participants", "unemployed", "inactive", "employed"),
					part("participants", "under_18", "age_18_29", "age_55_plus"),
					part("participants", "isced_0_2", "isced_3_4", "isced_5_8"),
					part("participants", "disability"), part("participants", "third_country_nationals"),
					part("participants", "foreign_background"), part("participants", "homeless"))
			}
		}
		if len(carriers) > 1 {
			for _, ind := range Indicators {
				for g := range 5 {
					var parts []int
					for _, label := range carriers[:len(carriers)-1] {
						parts = append(parts, cell[label][ind][g])
					}
					a.eqs = append(a.eqs, sum(cell["TOTAL"][ind][g], parts...))
				}
			}
		}
		out = append(out, a.leaks()...)
	}
	return out
}

// ---- generated tables ----

func testPrepared(nCarriers, nPeriods, minimum int) prepared {
	p := prepared{period: Quarter, minimum: minimum}
	s := domain.Date{Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	for range nPeriods {
		next := nextStart(Quarter, s)
		p.periods = append(p.periods, period{start: s, end: next.AddDays(-1), label: periodLabel(Quarter, s)})
		s = next
	}
	for i := range nCarriers {
		p.carriers = append(p.carriers, carrier{ID: uuid.New(), ShortName: fmt.Sprintf("T%02d", i)})
	}
	return p
}

// smallCount draws mostly small counts: 0, 1 to 6, sometimes up to 60.
func smallCount(r *rand.Rand) int64 {
	switch x := r.IntN(10); {
	case x < 4:
		return 0
	case x < 8:
		return 1 + r.Int64N(6)
	}
	return 1 + r.Int64N(60)
}

// randomPhaseFigures draws figures that obey the definitions' inequalities.
func randomPhaseFigures(r *rand.Rand, p prepared) [][][]figures {
	fig := make([][][]figures, len(p.carriers))
	for c := range fig {
		fig[c] = make([][]figures, len(p.periods))
		for pi := range fig[c] {
			fig[c][pi] = make([]figures, 3)
			for ph := range 3 {
				f := &fig[c][pi][ph]
				f[colActive] = smallCount(r)
				f[colEntered] = smallCount(r)
				f[colOpened] = min(smallCount(r), f[colEntered])
				for k := range nReasons {
					if r.IntN(3) == 0 {
						f[colClosed+k] = smallCount(r)
					}
					f[colClosedTotal] += f[colClosed+k]
				}
				f[colFounders] = smallCount(r)
				f[colFirstContacts] = smallCount(r)
				if f[colFounders] > 0 || f[colFirstContacts] > 0 {
					f[colConsultations] = max(f[colFounders], f[colFirstContacts]) + smallCount(r)
				}
				f[colMinutes] = f[colConsultations] * (15 + r.Int64N(90))
			}
		}
	}
	return fig
}

func randomESFFigures(r *rand.Rand, p prepared) esfFigures {
	fig := make(esfFigures, len(p.carriers))
	at := func(name string) int { return indicatorIndex[name] }
	for c := range fig {
		fig[c] = make([][][genderCols]int64, len(p.periods))
		for pi := range fig[c] {
			fig[c][pi] = make([][genderCols]int64, len(Indicators))
			f := fig[c][pi]
			for g := range genderTotal {
				n := smallCount(r)
				f[at("participants")][g] = n
				// disjoint groups: draw each from what is left
				left := n
				draw := func() int64 {
					v := r.Int64N(left + 1)
					left -= v
					return v
				}
				f[at("unemployed")][g] = draw()
				f[at("inactive")][g] = draw()
				f[at("employed")][g] = draw()
				f[at("long_term_unemployed")][g] = r.Int64N(f[at("unemployed")][g] + 1)
				left = n
				f[at("under_18")][g], f[at("age_18_29")][g], f[at("age_55_plus")][g] = draw(), draw(), draw()
				left = n
				f[at("isced_0_2")][g], f[at("isced_3_4")][g], f[at("isced_5_8")][g] = draw(), draw(), draw()
				for _, name := range []string{"disability", "third_country_nationals", "foreign_background", "homeless"} {
					f[at(name)][g] = r.Int64N(n + 1)
				}
			}
			for i := range f {
				f[i][genderTotal] = 0
				for g := range genderTotal {
					f[i][genderTotal] += f[i][g]
				}
			}
		}
	}
	return fig
}

// checkPrimary checks that every small count of people is hidden, every zero shown,
// and every published figure true.
func checkPhasePublication(t *testing.T, p prepared, fig [][][]figures, tab PhaseTable) {
	t.Helper()
	nc := len(p.carriers)
	i := 0
	for pi := range p.periods {
		for ph := range 3 {
			for r := 0; r <= nc; r++ {
				row := tab.Rows[i]
				i++
				var want figures
				if r < nc {
					want = fig[r][pi][ph]
				} else {
					for c := range nc {
						for col := range phaseCols {
							want[col] += fig[c][pi][ph][col]
						}
					}
				}
				got := phaseRowValues(row)
				for col, v := range got {
					w := want[col]
					people := col != colConsultations && col != colMinutes
					switch {
					case v == nil && w == 0:
						t.Errorf("%s %s %s: %s = 0 suppressed", row.Period, row.Phase, row.Carrier, phaseFields[col])
					case v == nil:
					case people && w >= 1 && w < int64(p.minimum):
						t.Errorf("%s %s %s: %s = %d published", row.Period, row.Phase, row.Carrier, phaseFields[col], w)
					case col == colMinutes && math.Abs(float64(*v)-float64(w)) > 0.5, col != colMinutes && int64(*v) != w:
						t.Errorf("%s %s %s: %s = %d, want %d", row.Period, row.Phase, row.Carrier, phaseFields[col], *v, w)
					}
				}
			}
		}
	}
}

// phaseRowValues returns a row's cells in column order (minutes for hours), nil when
// suppressed, and checks Suppressed against them.
func phaseRowValues(row PhaseRow) []*int {
	v := []*int{row.CasesActive, row.CasesOpened, row.Entered}
	for _, r := range ClosingReasons {
		v = append(v, row.Closed[r])
	}
	var minutes *int
	if row.ConsultationHours != nil {
		m := int(math.Round(*row.ConsultationHours * 60))
		minutes = &m
	}
	return append(v, row.Closed["total"], row.Consultations, minutes, row.FirstContacts, row.Founders)
}

func TestSuppressionGeneratedPhaseTables(t *testing.T) {
	for _, tc := range []struct {
		name              string
		carriers, minimum int
		seeds             int
	}{
		{"one_carrier", 1, 5, 10},
		{"two_carriers", 2, 5, 8},
		{"three_carriers_minimum_3", 3, 3, 8},
		{"five_carriers", 5, 5, 6},
		{"eleven_carriers", 11, 5, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range tc.seeds {
				r := rand.New(rand.NewPCG(uint64(seed), uint64(tc.carriers)))
				p := testPrepared(tc.carriers, 2, tc.minimum)
				fig := randomPhaseFigures(r, p)
				tab := phaseTable(p, fig)
				checkPhasePublication(t, p, fig, tab)
				if leaks := auditPhases(tab); len(leaks) > 0 {
					t.Fatalf("seed %d: %d leaks, first: %s", seed, len(leaks), strings.Join(leaks[:min(5, len(leaks))], "; "))
				}
				if tc.carriers == 1 {
					for i := 0; i < len(tab.Rows); i += 2 {
						if !slices.Equal(tab.Rows[i].Suppressed, tab.Rows[i+1].Suppressed) {
							t.Errorf("single carrier: carrier row hides %v, total row %v", tab.Rows[i].Suppressed, tab.Rows[i+1].Suppressed)
						}
					}
				}
			}
		})
	}
}

func TestSuppressionGeneratedESFTables(t *testing.T) {
	for _, tc := range []struct {
		name              string
		carriers, minimum int
		seeds             int
	}{
		{"one_carrier", 1, 5, 3},
		{"two_carriers", 2, 5, 2},
		{"four_carriers_minimum_3", 4, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range tc.seeds {
				r := rand.New(rand.NewPCG(uint64(seed), 99))
				p := testPrepared(tc.carriers, 1, tc.minimum)
				tab := esfTable(p, randomESFFigures(r, p))
				if leaks := auditESF(tab); len(leaks) > 0 {
					t.Fatalf("seed %d: %d leaks, first: %s", seed, len(leaks), strings.Join(leaks[:min(5, len(leaks))], "; "))
				}
			}
		})
	}
}

// TestAuditFindsLeaks shows that the attacker's audit is not vacuous: answers with
// too little suppression fail it.
func TestAuditFindsLeaks(t *testing.T) {
	v := func(n int) *int { return &n }
	t.Run("esf_cell_recomputable_from_its_row", func(t *testing.T) {
		// female hidden, but total − male − diverse − unspecified gives it back
		id := uuid.New()
		tab := ESFTable{MinimumCell: 5}
		for _, ind := range Indicators {
			row := ESFRow{CarrierID: &id, Carrier: "T", Period: "2025", Indicator: ind, Male: v(0), Diverse: v(0), Unspecified: v(0), Total: v(0)}
			if ind == "participants" {
				row.Male, row.Total, row.Suppressed = v(10), v(12), []string{"female"}
			} else {
				row.Female = v(0)
			}
			tab.Rows = append(tab.Rows, row)
		}
		if leaks := auditESF(tab); len(leaks) == 0 {
			t.Fatal("no leak found")
		}
	})
	t.Run("phase_cell_narrowed_by_two_sums", func(t *testing.T) {
		// closed.abandoned (2) and closed.referred (3) of carrier A are hidden and add
		// up to 5 in A's closed total: each lies in [1, 4], narrower than 5.
		p := testPrepared(2, 1, 5)
		fig := make([][][]figures, 2)
		for c := range fig {
			fig[c] = [][]figures{make([]figures, 3)}
			for ph := range 3 {
				f := &fig[c][0][ph]
				f[colActive], f[colEntered], f[colOpened] = 40, 30, 20
				f[colConsultations], f[colMinutes], f[colFirstContacts], f[colFounders] = 90, 5400, 20, 30
			}
		}
		fig[0][0][0][colClosed+2], fig[0][0][0][colClosed+3] = 2, 3
		fig[1][0][0][colClosed+2], fig[1][0][0][colClosed+3] = 20, 20
		for c := range fig {
			fig[c][0][0][colClosedTotal] = fig[c][0][0][colClosed+2] + fig[c][0][0][colClosed+3]
		}
		tab := phaseTable(p, fig)
		if leaks := auditPhases(tab); len(leaks) > 0 {
			t.Fatalf("the protected table leaks: %v", leaks)
		}
		// primary suppression only: the secondary cells shown again
		primaryOnly := tab
		primaryOnly.Rows = slices.Clone(tab.Rows)
		for i := range 3 {
			r := &primaryOnly.Rows[i]
			r.Closed = map[string]*int{}
			r.Suppressed = nil
			c := min(i, 1)
			var f figures
			if i < 2 {
				f = fig[c][0][0]
			} else {
				for k := range phaseCols {
					f[k] = fig[0][0][0][k] + fig[1][0][0][k]
				}
			}
			for k, reason := range ClosingReasons {
				if n := f[colClosed+k]; n >= 1 && n < 5 {
					r.Suppressed = append(r.Suppressed, "closed."+reason)
				} else {
					r.Closed[reason] = v(int(n))
				}
			}
			r.Closed["total"] = v(int(f[colClosedTotal]))
		}
		primaryOnly.Rows = primaryOnly.Rows[:3]
		leaks := auditPhases(primaryOnly)
		if len(leaks) != 2 {
			t.Fatalf("leaks %v, want the two hidden cells of A", leaks)
		}
	})
	t.Run("secondary_suppression_removed_from_generated_tables", func(t *testing.T) {
		found := 0
		for seed := range 10 {
			r := rand.New(rand.NewPCG(uint64(seed), 5))
			p := testPrepared(3, 1, 5)
			fig := randomPhaseFigures(r, p)
			tab := phaseTable(p, fig)
			// show every hidden cell that is not a small count of people
			for i := range tab.Rows {
				row := &tab.Rows[i]
				c, ph := i%4, i/4
				var f figures
				if c < 3 {
					f = fig[c][0][ph]
				} else {
					for k := range 3 {
						for col := range phaseCols {
							f[col] += fig[k][0][ph][col]
						}
					}
				}
				var keep []string
				for _, name := range row.Suppressed {
					col := slices.Index(phaseFields, name)
					if n := f[col]; col != colConsultations && col != colMinutes && n >= 1 && n < 5 {
						keep = append(keep, name)
						continue
					}
					n := int(f[col])
					switch {
					case col == colMinutes:
						h := float64(n) / 60
						row.ConsultationHours = &h
					case col >= colClosed && col <= colClosedTotal:
						row.Closed[strings.TrimPrefix(name, "closed.")] = v(n)
					default:
						*[]**int{&row.CasesActive, &row.CasesOpened, &row.Entered, nil, nil, nil, nil, nil, nil, nil, nil,
							&row.Consultations, nil, &row.FirstContacts, &row.Founders}[col] = v(n)
					}
				}
				row.Suppressed = keep
			}
			if len(auditPhases(tab)) > 0 {
				found++
			}
		}
		if found < 8 {
			t.Fatalf("the audit found leaks in %d of 10 under-suppressed tables", found)
		}
	})
}

// TestSuppressionEdgeCases: one small cell, a single carrier, nothing small.
func TestSuppressionEdgeCases(t *testing.T) {
	big := func(nc int) [][][]figures {
		fig := make([][][]figures, nc)
		for c := range fig {
			fig[c] = [][]figures{make([]figures, 3)}
			for ph := range 3 {
				f := &fig[c][0][ph]
				f[colActive], f[colEntered], f[colOpened] = 40, 30, 20
				for k := range nReasons {
					f[colClosed+k] = 10 + int64(k)
					f[colClosedTotal] += f[colClosed+k]
				}
				f[colConsultations], f[colMinutes], f[colFirstContacts], f[colFounders] = 90, 5400, 20, 30
			}
		}
		return fig
	}
	count := func(tab PhaseTable) int {
		n := 0
		for _, r := range tab.Rows {
			n += len(r.Suppressed)
		}
		return n
	}
	t.Run("nothing_small_nothing_hidden", func(t *testing.T) {
		p := testPrepared(3, 1, 5)
		if n := count(phaseTable(p, big(3))); n != 0 {
			t.Fatalf("%d cells hidden", n)
		}
	})
	t.Run("one_small_cell", func(t *testing.T) {
		p := testPrepared(3, 1, 5)
		fig := big(3)
		fig[1][0][0][colClosed+3] = 2 // referred
		fig[1][0][0][colClosedTotal] -= 13 - 2
		tab := phaseTable(p, fig)
		if leaks := auditPhases(tab); len(leaks) > 0 {
			t.Fatal(leaks)
		}
		if !slices.Contains(tab.Rows[1].Suppressed, "closed.referred") {
			t.Fatalf("the small cell is shown: %v", tab.Rows[1].Suppressed)
		}
		// a rectangle: the cell, one more in its row, the same two in another carrier
		if n := count(tab); n != 4 {
			t.Errorf("%d cells hidden, want 4", n)
		}
	})
	t.Run("one_small_cell_single_carrier", func(t *testing.T) {
		p := testPrepared(1, 1, 5)
		fig := big(1)
		fig[0][0][2][colFounders] = 2
		fig[0][0][2][colFirstContacts] = 2
		tab := phaseTable(p, fig)
		if leaks := auditPhases(tab); len(leaks) > 0 {
			t.Fatal(leaks)
		}
		carrier, total := tab.Rows[4], tab.Rows[5]
		if !slices.Equal(carrier.Suppressed, total.Suppressed) {
			t.Fatalf("carrier hides %v, total %v", carrier.Suppressed, total.Suppressed)
		}
		// the founders' activity goes with them
		for _, f := range []string{"founders", "consultations", "consultation_hours"} {
			if !slices.Contains(carrier.Suppressed, f) {
				t.Errorf("%s shown: %v", f, carrier.Suppressed)
			}
		}
	})
	t.Run("zero_is_shown", func(t *testing.T) {
		p := testPrepared(2, 1, 5)
		fig := big(2)
		fig[0][0][1][colActive] = 0
		tab := phaseTable(p, fig)
		if r := tab.Rows[3]; r.CasesActive == nil || *r.CasesActive != 0 {
			t.Fatalf("cases_active %v", r.CasesActive)
		}
	})
}
