package stats

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Period is the length of the periods of an answer.
type Period string

// The periods: Berlin calendar months, quarters and years.
const (
	Month   Period = "month"
	Quarter Period = "quarter"
	Year    Period = "year"
)

// DefaultMinimumCell is the smallest number of people a published cell may count
// (other than 0) when a query names none.
const DefaultMinimumCell = 5

// LowestMinimumCell is the lowest minimum a query may ask for.
const LowestMinimumCell = 3

// maxYears is the longest span a query may cover.
const maxYears = 10

// Query asks for statistics of the periods from From to To (both widened to whole
// periods) for some carriers.
type Query struct {
	From   domain.Date `json:"from"`
	To     domain.Date `json:"to"`
	Period Period      `json:"period"`
	// Carriers are the carriers in the answer: nil means all carriers, an empty list
	// none (the answer then has its total rows only, all 0).
	Carriers []uuid.UUID `json:"carriers"`
	// MinimumCell is the suppression threshold: 0 means DefaultMinimumCell.
	MinimumCell int `json:"minimum_cell"`
}

// Check reports every problem of the query at once as one domain ErrInvalid error:
// period not month, quarter or year ("period", validation.oneof); From or To missing
// ("from"/"to", error.required); From after To ("to", error.from_after_to); a span of
// more than ten years ("to", error.span_too_long, Param "10"); MinimumCell below 3
// ("minimum_cell", validation.gte, Param "3"). It returns nil for a good query.
func (q Query) Check() error {
	var p domain.Problems
	switch q.Period {
	case Month, Quarter, Year:
	default:
		p = append(p, domain.FieldError{Field: "period", Message: "validation.oneof", Param: "month quarter year"})
	}
	if q.From.IsZero() {
		p.Add("from", "error.required")
	}
	if q.To.IsZero() {
		p.Add("to", "error.required")
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		switch {
		case q.From.After(q.To):
			p.Add("to", "error.from_after_to")
		case q.To.Time.After(q.From.AddDate(maxYears, 0, -1)):
			p = append(p, domain.FieldError{Field: "to", Message: "error.span_too_long", Param: strconv.Itoa(maxYears)})
		}
	}
	if q.MinimumCell != 0 && q.MinimumCell < LowestMinimumCell {
		p = append(p, domain.FieldError{Field: "minimum_cell", Message: "validation.gte", Param: strconv.Itoa(LowestMinimumCell)})
	}
	return p.Err()
}

// prepared is a checked query widened to whole periods, with its carriers resolved.
type prepared struct {
	from, to domain.Date // first day of the first period, last day of the last
	period   Period
	minimum  int
	periods  []period
	carriers []carrier
}

// period is one period of an answer: [start, end], both Berlin calendar days.
type period struct {
	start, end domain.Date
	label      string
}

type carrier struct {
	ID        uuid.UUID `db:"id"`
	ShortName string    `db:"short_name"`
}

// prepare checks q, applies the defaults, widens it to whole periods and reads its
// carriers. Unknown carriers are ErrInvalid ("carriers[i]", error.unknown_carrier).
func prepare(ctx context.Context, db sqlx.QueryerContext, q Query) (prepared, error) {
	if err := q.Check(); err != nil {
		return prepared{}, err
	}
	p := prepared{period: q.Period, minimum: q.MinimumCell}
	if p.minimum == 0 {
		p.minimum = DefaultMinimumCell
	}
	for s := periodStart(q.Period, q.From); !s.After(q.To); s = nextStart(q.Period, s) {
		next := nextStart(q.Period, s)
		p.periods = append(p.periods, period{start: s, end: next.AddDays(-1), label: periodLabel(q.Period, s)})
	}
	p.from, p.to = p.periods[0].start, p.periods[len(p.periods)-1].end
	var err error
	p.carriers, err = readCarriers(ctx, db, q.Carriers)
	return p, err
}

const selectCarriers = `
SELECT id, short_name FROM carriers WHERE $1::uuid[] IS NULL OR id = ANY ($1) ORDER BY lower(short_name), id`

func readCarriers(ctx context.Context, db sqlx.QueryerContext, ids []uuid.UUID) ([]carrier, error) {
	var arg any // NULL: all carriers
	if ids != nil {
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = id.String()
		}
		arg = pq.Array(s)
	}
	var cs []carrier
	if err := sqlx.SelectContext(ctx, db, &cs, selectCarriers, arg); err != nil {
		return nil, fmt.Errorf("stats carriers: %w", err)
	}
	var p domain.Problems
	for i, id := range ids {
		if !slices.ContainsFunc(cs, func(c carrier) bool { return c.ID == id }) {
			p.Add(fmt.Sprintf("carriers[%d]", i), "error.unknown_carrier")
		}
	}
	return cs, p.Err()
}

func (p prepared) carrierIDs() []string {
	s := make([]string, len(p.carriers))
	for i, c := range p.carriers {
		s[i] = c.ID.String()
	}
	return s
}

// index returns the index of the period holding day d, -1 outside the answer.
func (p prepared) index(d domain.Date) int {
	i, found := slices.BinarySearchFunc(p.periods, d, func(e period, d domain.Date) int {
		return e.start.Compare(d.Time)
	})
	if found {
		return i
	}
	if i == 0 || d.After(p.periods[i-1].end) {
		return -1
	}
	return i - 1
}

func periodStart(kind Period, d domain.Date) domain.Date {
	m := d.Month()
	switch kind {
	case Year:
		m = time.January
	case Quarter:
		m = time.Month((int(m)-1)/3*3 + 1)
	}
	return domain.Date{Time: time.Date(d.Year(), m, 1, 0, 0, 0, 0, time.UTC)}
}

func nextStart(kind Period, start domain.Date) domain.Date {
	switch kind {
	case Year:
		return domain.Date{Time: start.AddDate(1, 0, 0)}
	case Quarter:
		return domain.Date{Time: start.AddDate(0, 3, 0)}
	}
	return domain.Date{Time: start.AddDate(0, 1, 0)}
}

// periodLabel names a period: "2026-01", "2026-Q1", "2026".
func periodLabel(kind Period, start domain.Date) string {
	switch kind {
	case Year:
		return strconv.Itoa(start.Year())
	case Quarter:
		return fmt.Sprintf("%d-Q%d", start.Year(), (int(start.Month())+2)/3)
	}
	return start.Format("2006-01")
}
