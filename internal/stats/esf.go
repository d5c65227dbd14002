package stats

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Indicators are the ESF+ common output indicators of ESFTable, in the order of the
// table.
var Indicators = []string{
	"participants",
	"unemployed",
	"long_term_unemployed",
	"inactive",
	"employed",
	"under_18",
	"age_18_29",
	"age_55_plus",
	"isced_0_2",
	"isced_3_4",
	"isced_5_8",
	"disability",
	"third_country_nationals",
	"foreign_background",
	"homeless",
}

// EUMemberStates are the 27 EU member states (ISO 3166-1 alpha-2): a founder with at
// least one nationality and none of these is a third-country national.
var EUMemberStates = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR",
	"HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}

// The gender columns of an ESF row; a founder's gender outside the catalogue counts
// as unspecified.
const (
	genderFemale = iota
	genderMale
	genderDiverse
	genderUnspecified
	genderTotal
	genderCols
)

var genderFields = []string{"female", "male", "diverse", "unspecified", "total"}

// ESFRow is one indicator of one carrier (or the total) in one period, by gender. A
// nil figure is suppressed; Suppressed names the suppressed columns.
type ESFRow struct {
	// CarrierID is nil on the total row, the sum of the carrier rows.
	CarrierID   *uuid.UUID `json:"carrier_id"`
	Carrier     string     `json:"carrier"`
	Period      string     `json:"period"`
	Indicator   string     `json:"indicator"`
	Female      *int       `json:"female"`
	Male        *int       `json:"male"`
	Diverse     *int       `json:"diverse"`
	Unspecified *int       `json:"unspecified"`
	Total       *int       `json:"total"`
	Suppressed  []string   `json:"suppressed"`
}

// ESFTable is the answer of ESF: for each period and indicator, one row per carrier in
// the answer and then the total row.
type ESFTable struct {
	Rows        []ESFRow    `json:"rows"`
	MinimumCell int         `json:"minimum_cell"`
	From        domain.Date `json:"from"`
	To          domain.Date `json:"to"`
	Period      Period      `json:"period"`
}

// selectESF counts the participants of each carrier and period (a founder once, with
// the attributes stored on the founder) by gender. $1, $2 first and last day, $3
// period kind, $4 carriers, $5 the EU member states.
const selectESF = `
WITH p AS (
    SELECT DISTINCT c.carrier_id, date_trunc($3, c.opened_on::timestamp)::date AS start, c.founder_id
    FROM cases c WHERE c.opened_on BETWEEN $1 AND $2 AND c.carrier_id = ANY ($4)
), a AS (
    SELECT p.carrier_id, p.start, f.employment_status_at_entry AS employment, f.education_isced AS isced,
           extract(year FROM p.start)::integer - f.birth_year AS age, f.disability, f.foreign_background,
           f.homeless, cardinality(f.nationalities) > 0 AND NOT f.nationalities && $5::text[] AS third_country,
           CASE WHEN f.gender IN ('female', 'male', 'diverse') THEN f.gender ELSE 'unspecified' END AS gender
    FROM p JOIN founders f ON f.id = p.founder_id
)
SELECT carrier_id, start, gender, count(*),
       count(*) FILTER (WHERE employment IN ('unemployed', 'long_term_unemployed')),
       count(*) FILTER (WHERE employment = 'long_term_unemployed'),
       count(*) FILTER (WHERE employment = 'inactive'),
       count(*) FILTER (WHERE employment IN ('employed', 'self_employed')),
       count(*) FILTER (WHERE age < 18),
       count(*) FILTER (WHERE age BETWEEN 18 AND 29),
       count(*) FILTER (WHERE age >= 55),
       count(*) FILTER (WHERE isced = 'isced_0_2'),
       count(*) FILTER (WHERE isced = 'isced_3_4'),
       count(*) FILTER (WHERE isced = 'isced_5_8'),
       count(*) FILTER (WHERE disability = 'yes'),
       count(*) FILTER (WHERE third_country),
       count(*) FILTER (WHERE foreign_background = 'yes'),
       count(*) FILTER (WHERE homeless = 'yes')
FROM a GROUP BY carrier_id, start, gender`

// esfFigures[carrier][period][indicator][gender], the total column included.
type esfFigures [][][][genderCols]int64

func readESF(ctx context.Context, db sqlx.QueryerContext, p prepared) (esfFigures, error) {
	fig := make(esfFigures, len(p.carriers))
	carrierIndex := map[uuid.UUID]int{}
	for i, c := range p.carriers {
		carrierIndex[c.ID] = i
		fig[i] = make([][][genderCols]int64, len(p.periods))
		for j := range fig[i] {
			fig[i][j] = make([][genderCols]int64, len(Indicators))
		}
	}
	if len(p.carriers) == 0 {
		return fig, nil
	}
	rows, err := db.QueryContext(ctx, selectESF, p.from, p.to, string(p.period), pq.Array(p.carrierIDs()), pq.Array(EUMemberStates))
	if err != nil {
		return nil, fmt.Errorf("stats esf: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id     uuid.UUID
			start  domain.Date
			gender string
			counts = make([]int64, len(Indicators))
		)
		dest := []any{&id, &start, &gender}
		for i := range counts {
			dest = append(dest, &counts[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("stats esf: %w", err)
		}
		ci, ok := carrierIndex[id]
		pi := p.index(start)
		g := genderIndex(gender)
		if !ok || pi < 0 {
			continue
		}
		for i, n := range counts {
			fig[ci][pi][i][g] += n
			fig[ci][pi][i][genderTotal] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stats esf: %w", err)
	}
	return fig, nil
}

func genderIndex(g string) int {
	for i, f := range genderFields[:genderTotal] {
		if f == g {
			return i
		}
	}
	return genderUnspecified
}

// ESF returns the ESF+ common output indicators of q: per period and indicator, one
// row per carrier and the total row, by gender, with small counts suppressed (see the
// package documentation). ErrInvalid for a bad query (see Query.Check) or an unknown
// carrier; database errors are wrapped ("stats esf: …").
func ESF(ctx context.Context, db sqlx.QueryerContext, q Query) (ESFTable, error) {
	p, err := prepare(ctx, db, q)
	if err != nil {
		return ESFTable{}, err
	}
	fig, err := readESF(ctx, db, p)
	if err != nil {
		return ESFTable{}, err
	}
	return esfTable(p, fig), nil
}

// esfTable suppresses the figures and lays out the answer.
func esfTable(p prepared, fig esfFigures) ESFTable {
	t := ESFTable{Rows: []ESFRow{}, MinimumCell: p.minimum, From: p.from, To: p.to, Period: p.period}
	nc := len(p.carriers)
	grids := make([]*grid, len(p.periods))
	for pi := range grids {
		grids[pi] = esfGrid(fig, pi, p.minimum)
	}
	protectAll(grids)
	for pi, per := range p.periods {
		g := grids[pi]
		for ind, name := range Indicators {
			for r := 0; r <= nc; r++ {
				row := ESFRow{Period: per.label, Indicator: name, Suppressed: []string{}}
				if r < nc {
					id := p.carriers[r].ID
					row.CarrierID, row.Carrier = &id, p.carriers[r].ShortName
				}
				cols := []**int{&row.Female, &row.Male, &row.Diverse, &row.Unspecified, &row.Total}
				for gi, dst := range cols {
					c := g.cells[esfCell(r, ind, gi)]
					if c.supp {
						row.Suppressed = append(row.Suppressed, genderFields[gi])
						continue
					}
					v := int(c.value)
					*dst = &v
				}
				t.Rows = append(t.Rows, row)
			}
		}
	}
	return t
}

// esfCell is the index of a cell in a period's grid: row r (carriers, then the total),
// indicator, gender column.
func esfCell(r, ind, gender int) int {
	return (r*len(Indicators)+ind)*genderCols + gender
}

// The indicators' positions, for the inequalities between them.
var indicatorIndex = func() map[string]int {
	m := map[string]int{}
	for i, name := range Indicators {
		m[name] = i
	}
	return m
}()

// esfGrid lays out one period's sub-table. The inequalities between indicators link
// all of a period's indicators, so the period is the unit of suppression.
func esfGrid(fig esfFigures, pi, minimum int) *grid {
	nc := len(fig)
	g := newGrid((nc+1)*len(Indicators)*genderCols, minimum)
	for r := 0; r <= nc; r++ {
		for ind := range Indicators {
			for gi := range genderCols {
				c := &g.cells[esfCell(r, ind, gi)]
				c.people = true
				if r < nc {
					c.value = float64(fig[r][pi][ind][gi])
				} else {
					for k := range nc {
						c.value += float64(fig[k][pi][ind][gi])
					}
				}
			}
			genders := make([]int, genderTotal)
			for gi := range genders {
				genders[gi] = esfCell(r, ind, gi)
			}
			g.eqs = append(g.eqs, sum(esfCell(r, ind, genderTotal), genders...))
		}
		for gi := range genderCols {
			at := func(name string) int { return esfCell(r, indicatorIndex[name], gi) }
			within := func(whole string, parts ...string) relation {
				rel := relation{{at(whole), -1}}
				for _, p := range parts {
					rel = append(rel, term{at(p), 1})
				}
				return rel
			}
			// What the definitions imply: sub-groups and disjoint groups of the participants.
			g.les = append(g.les,
				within("unemployed", "long_term_unemployed"),
				within("participants", "unemployed", "inactive", "employed"),
				within("participants", "under_18", "age_18_29", "age_55_plus"),
				within("participants", "isced_0_2", "isced_3_4", "isced_5_8"),
				within("participants", "disability"),
				within("participants", "third_country_nationals"),
				within("participants", "foreign_background"),
				within("participants", "homeless"),
			)
		}
	}
	if nc > 0 {
		for ind := range Indicators {
			for gi := range genderCols {
				parts := make([]int, nc)
				for r := range parts {
					parts[r] = esfCell(r, ind, gi)
				}
				g.eqs = append(g.eqs, sum(esfCell(nc, ind, gi), parts...))
			}
		}
	}
	return g
}
