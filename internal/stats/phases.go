package stats

import (
	"context"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// ClosingReasons are the keys of PhaseRow.Closed besides "total", in catalogue order.
var ClosingReasons = domain.Catalogue.ClosingReasons

// nReasons is len(ClosingReasons), which the migration's columns spell out.
const nReasons = 7

// PhaseRow is one carrier's (or the total's) figures of one phase in one period. A
// nil figure is suppressed; Suppressed names the suppressed fields.
type PhaseRow struct {
	// CarrierID is nil on the total row, which is the sum of the carrier rows above it.
	CarrierID *uuid.UUID `json:"carrier_id"`
	// Carrier is the carrier's short name, "" on the total row.
	Carrier string `json:"carrier"`
	// Period is "2026-01", "2026-Q1" or "2026".
	Period string `json:"period"`
	Phase  string `json:"phase"`
	// CasesActive are the cases open in this phase at the end of the period's last day.
	CasesActive *int `json:"cases_active"`
	// CasesOpened are the cases opened in the period in this phase.
	CasesOpened *int `json:"cases_opened"`
	// Entered are the phase transitions into this phase, openings included.
	Entered *int `json:"entered"`
	// Closed are the closings in the period while in this phase, per reason, and
	// their sum under "total". Every key is present.
	Closed map[string]*int `json:"closed"`
	// Consultations and ConsultationHours are the consultations logged in this phase
	// with a date in the period and their duration in hours (two decimals).
	Consultations     *int     `json:"consultations"`
	ConsultationHours *float64 `json:"consultation_hours"`
	// FirstContacts are the cases whose first consultation lies in the period and phase.
	FirstContacts *int `json:"first_contacts"`
	// Founders are the distinct founders with a consultation in the period and phase.
	Founders   *int     `json:"founders"`
	Suppressed []string `json:"suppressed"`
}

// PhaseTable is the answer of Phases: for each period and phase, one row per carrier
// in the answer and then the total row.
type PhaseTable struct {
	Rows        []PhaseRow  `json:"rows"`
	MinimumCell int         `json:"minimum_cell"`
	From        domain.Date `json:"from"`
	To          domain.Date `json:"to"`
	Period      Period      `json:"period"`
}

// The columns of a phase sub-table, in the order of phaseFields.
const (
	colActive = iota
	colOpened
	colEntered
	colClosed      // the seven reasons follow in catalogue order
	colClosedTotal = iota + nReasons - 1
	colConsultations
	colMinutes
	colFirstContacts
	colFounders
	phaseCols
)

// phaseFields names the columns as PhaseRow.Suppressed does.
var phaseFields = func() []string {
	f := []string{"cases_active", "cases_opened", "entered"}
	for _, r := range ClosingReasons {
		f = append(f, "closed."+r)
	}
	return append(f, "closed.total", "consultations", "consultation_hours", "first_contacts", "founders")
}()

// figures are the unsuppressed figures of one carrier, period and phase.
type figures [phaseCols]int64

// selectPhaseFigures reads the maintained tables: the months of the answer, the sum
// of "active" changes before it (the stock at its start), and the founder counts of
// its periods. $1, $2 first and last day, $3 carriers, $4 period kind.
const selectPhaseFigures = `
SELECT 'month' AS part, carrier_id, phase, month AS day, active, opened, entered, closed_consolidated,
       closed_handed_over, closed_abandoned, closed_referred, closed_business_closed, closed_no_contact,
       closed_other, consultations, minutes, first_contacts, 0 AS founders
FROM stats_phase_month WHERE month BETWEEN $1 AND $2 AND carrier_id = ANY ($3)
UNION ALL
SELECT 'before', carrier_id, phase, $1, sum(active), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM stats_phase_month WHERE month < $1 AND carrier_id = ANY ($3)
GROUP BY carrier_id, phase
UNION ALL
SELECT 'founders', carrier_id, phase, start, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, founders
FROM stats_founders WHERE kind = $4 AND start BETWEEN $1 AND $2 AND carrier_id = ANY ($3)`

type phaseFigureRow struct {
	Part      string      `db:"part"`
	CarrierID uuid.UUID   `db:"carrier_id"`
	Phase     string      `db:"phase"`
	Day       domain.Date `db:"day"`
	Values    [phaseCols]int64
}

// phaseFigures returns the unsuppressed figures by carrier, period and phase index.
func phaseFigures(ctx context.Context, db sqlx.QueryerContext, p prepared) ([][][]figures, error) {
	fig := make([][][]figures, len(p.carriers))
	carrierIndex := map[uuid.UUID]int{}
	for i, c := range p.carriers {
		carrierIndex[c.ID] = i
		fig[i] = make([][]figures, len(p.periods))
		for j := range fig[i] {
			fig[i][j] = make([]figures, len(domain.Catalogue.Phases))
		}
	}
	if len(p.carriers) == 0 {
		return fig, nil
	}
	rows, err := db.QueryContext(ctx, selectPhaseFigures, p.from, p.to, pq.Array(p.carrierIDs()), string(p.period))
	if err != nil {
		return nil, fmt.Errorf("stats phases: %w", err)
	}
	defer rows.Close()
	// before[carrier][phase]: cases open at the start of the answer
	before := make([][]int64, len(p.carriers))
	for i := range before {
		before[i] = make([]int64, len(domain.Catalogue.Phases))
	}
	for rows.Next() {
		var r phaseFigureRow
		v := &r.Values
		dest := []any{&r.Part, &r.CarrierID, &r.Phase, &r.Day}
		for _, col := range []int{colActive, colOpened, colEntered, colClosed, colClosed + 1, colClosed + 2,
			colClosed + 3, colClosed + 4, colClosed + 5, colClosed + 6, colConsultations, colMinutes,
			colFirstContacts, colFounders} {
			dest = append(dest, &v[col])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("stats phases: %w", err)
		}
		ci, ok := carrierIndex[r.CarrierID]
		ph := domain.PhaseRank(r.Phase)
		if !ok || ph < 0 {
			continue
		}
		if r.Part == "before" {
			before[ci][ph] = v[colActive]
			continue
		}
		pi := p.index(r.Day)
		if pi < 0 {
			continue
		}
		f := &fig[ci][pi][ph]
		for col := range phaseCols {
			f[col] += v[col]
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stats phases: %w", err)
	}
	for ci := range fig {
		for ph := range before[ci] {
			open := before[ci][ph]
			for pi := range fig[ci] {
				f := &fig[ci][pi][ph]
				open += f[colActive] // the changes within the period
				f[colActive] = open
				var closed int64
				for k := range nReasons {
					closed += f[colClosed+k]
				}
				f[colClosedTotal] = closed
			}
		}
	}
	return fig, nil
}

// Phases returns the phase statistics of q: per period and phase, one row per
// carrier and the total row, with small counts suppressed (see the package
// documentation). ErrInvalid for a bad query (see Query.Check) or an unknown carrier;
// database errors are wrapped ("stats phases: …").
func Phases(ctx context.Context, db sqlx.QueryerContext, q Query) (PhaseTable, error) {
	p, err := prepare(ctx, db, q)
	if err != nil {
		return PhaseTable{}, err
	}
	fig, err := phaseFigures(ctx, db, p)
	if err != nil {
		return PhaseTable{}, err
	}
	return phaseTable(p, fig), nil
}

// phaseTable suppresses the figures and lays out the answer.
func phaseTable(p prepared, fig [][][]figures) PhaseTable {
	t := PhaseTable{Rows: []PhaseRow{}, MinimumCell: p.minimum, From: p.from, To: p.to, Period: p.period}
	nph := len(domain.Catalogue.Phases)
	grids := make([]*grid, len(p.periods)*nph)
	for i := range grids {
		grids[i] = phaseGrid(fig, i/nph, i%nph, p.minimum)
	}
	protectAll(grids)
	for pi, per := range p.periods {
		for ph, phase := range domain.Catalogue.Phases {
			g := grids[pi*nph+ph]
			for r := 0; r <= len(p.carriers); r++ {
				row := PhaseRow{Period: per.label, Phase: phase, Suppressed: []string{}}
				if r < len(p.carriers) {
					id := p.carriers[r].ID
					row.CarrierID, row.Carrier = &id, p.carriers[r].ShortName
				}
				fillPhaseRow(&row, g, r)
				t.Rows = append(t.Rows, row)
			}
		}
	}
	return t
}

// phaseGrid lays out one period's and phase's sub-table: the carriers' rows, then the
// total row, each with the phaseCols columns.
func phaseGrid(fig [][][]figures, pi, ph, minimum int) *grid {
	nc := len(fig)
	g := newGrid((nc+1)*phaseCols, minimum)
	at := func(r, col int) int { return r*phaseCols + col }
	for r := 0; r <= nc; r++ {
		for col := range phaseCols {
			c := &g.cells[at(r, col)]
			if r < nc {
				c.value = float64(fig[r][pi][ph][col])
			} else {
				for k := range nc {
					c.value += float64(fig[k][pi][ph][col])
				}
			}
			c.people = col != colConsultations && col != colMinutes
			if col == colMinutes {
				c.unit = 60
			}
		}
		reasons := make([]int, nReasons)
		for k := range reasons {
			reasons[k] = at(r, colClosed+k)
		}
		g.eqs = append(g.eqs, sum(at(r, colClosedTotal), reasons...))
		// What the definitions imply within a row, known to anyone who reads them.
		g.les = append(g.les,
			relation{{at(r, colOpened), 1}, {at(r, colEntered), -1}},              // an opening is an entry
			relation{{at(r, colFirstContacts), 1}, {at(r, colConsultations), -1}}, // a first contact is a consultation
			relation{{at(r, colFounders), 1}, {at(r, colConsultations), -1}},      // a founder counted had one
			relation{{at(r, colConsultations), 1}, {at(r, colMinutes), -1}},       // at least 1 minute each
			relation{{at(r, colMinutes), 1}, {at(r, colConsultations), -600}},     // at most 600 minutes each
		)
		// The activity of fewer founders than the minimum is theirs: hidden with them.
		g.links = append(g.links, [2]int{at(r, colFounders), at(r, colConsultations)},
			[2]int{at(r, colFounders), at(r, colMinutes)})
	}
	if nc > 0 {
		for col := range phaseCols {
			parts := make([]int, nc)
			for r := range parts {
				parts[r] = at(r, col)
			}
			g.eqs = append(g.eqs, sum(at(nc, col), parts...))
		}
	}
	return g
}

func fillPhaseRow(row *PhaseRow, g *grid, r int) {
	cell := func(col int) *int {
		c := g.cells[r*phaseCols+col]
		if c.supp {
			row.Suppressed = append(row.Suppressed, phaseFields[col])
			return nil
		}
		v := int(c.value)
		return &v
	}
	row.CasesActive = cell(colActive)
	row.CasesOpened = cell(colOpened)
	row.Entered = cell(colEntered)
	row.Closed = make(map[string]*int, nReasons+1)
	for k, reason := range ClosingReasons {
		row.Closed[reason] = cell(colClosed + k)
	}
	row.Closed["total"] = cell(colClosedTotal)
	row.Consultations = cell(colConsultations)
	if c := g.cells[r*phaseCols+colMinutes]; c.supp {
		row.Suppressed = append(row.Suppressed, phaseFields[colMinutes])
	} else {
		h := math.Round(c.value/60*100) / 100
		row.ConsultationHours = &h
	}
	row.FirstContacts = cell(colFirstContacts)
	row.Founders = cell(colFounders)
}
