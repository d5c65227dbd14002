package export

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// The activity export is the carriers' proof of the use of funds: one row per
// consultation with who (carrier, advisor), when, how long and about what, and a case
// number that lets the reader count cases without knowing them. It has no founder
// data, no texts of the consultation (summary, next steps) and no case or founder ids.

// ActivityQuery selects the consultations of the activity export.
type ActivityQuery struct {
	// From and To are the first and the last day, both included.
	From, To domain.Date
	// Carriers limits the export to these carriers; nil means all carriers, an empty
	// slice none. The caller decides what the user may see.
	Carriers []uuid.UUID
	// PseudonymiseAdvisors leaves advisor_id empty and writes a pseudonym ("B-…") as
	// advisor: what programme managers get. Coordinators get id and name.
	PseudonymiseAdvisors bool
	// Label translates catalogue codes ("phase.founding", "mode.phone",
	// "topic.financing") for CSV and XLSX; nil writes the codes, as JSON clients want.
	Label func(key string) string
}

// MaxActivityYears is the longest span of one activity export.
const MaxActivityYears = 10

// Check returns a domain.ErrInvalid error naming each problem: "from" or "to" missing
// (error.required), "to" before "from" (error.export_range_reversed), a span of more
// than MaxActivityYears years (error.export_range_too_long).
func (q ActivityQuery) Check() error {
	var p domain.Problems
	if q.From.IsZero() {
		p.Add("from", "error.required")
	}
	if q.To.IsZero() {
		p.Add("to", "error.required")
	}
	if len(p) == 0 {
		if q.From.After(q.To) {
			p.Add("to", "error.export_range_reversed")
		} else if !q.To.Before(domain.NewDate(q.From.AddDate(MaxActivityYears, 0, 0))) {
			p.Add("to", "error.export_range_too_long")
		}
	}
	return p.Err()
}

// activityColumns are the columns of the activity export; their label keys are
// "export.activity." + key.
var activityColumns = []Column{
	{Key: "date", Kind: Date, Width: 12},
	{Key: "carrier_id", Kind: Text, Width: 38},
	{Key: "carrier", Kind: Text, Width: 30},
	{Key: "advisor_id", Kind: Text, Width: 38},
	{Key: "advisor", Kind: Text, Width: 24},
	{Key: "case_number", Kind: Text, Width: 16},
	{Key: "phase", Kind: Text, Width: 16},
	{Key: "mode", Kind: Text, Width: 14},
	{Key: "topics", Kind: Text, Width: 40},
	{Key: "duration_minutes", Kind: Int, Width: 12},
	{Key: "prep_minutes", Kind: Int, Width: 12},
	{Key: "interpreter", Kind: Bool, Width: 12},
}

// ActivityColumns returns the columns of the activity export with their headings
// label("export.activity." + key); label nil leaves the keys as headings.
func ActivityColumns(label func(key string) string) []Column {
	cols := make([]Column, len(activityColumns))
	for i, c := range activityColumns {
		c.Label = c.Key
		if label != nil {
			c.Label = label("export.activity." + c.Key)
		}
		cols[i] = c
	}
	return cols
}

// activitySQL selects the consultations of an export. $1, $2: the days; $3: the
// carriers (NULL for all). Fewer values per row is what makes a million rows fast:
// carrier and advisor names are read once beforehand (carrierNamesSQL, userNamesSQL),
// and phase, mode and topics come as one text, "founding in_person financing,legal_form"
// (codes have neither spaces nor commas), whose few variants are turned into cells
// once. Ordered by date, then id, so two exports of the same data are the same file.
const activitySQL = `
SELECT k.date, c.carrier_id, k.advisor_id, k.case_id,
       concat_ws(' ', k.phase, k.mode, array_to_string(k.topics, ',')),
       k.duration_minutes, k.prep_minutes, k.interpreter
FROM consultations k
JOIN cases c ON c.id = k.case_id
WHERE k.date BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR c.carrier_id = ANY ($3))
ORDER BY k.date, k.id`

// activityArgs are the arguments of activitySQL.
func activityArgs(q ActivityQuery) []any {
	var carriers pq.StringArray // nil: NULL, all carriers
	if q.Carriers != nil {
		carriers = make(pq.StringArray, len(q.Carriers))
		for i, id := range q.Carriers {
			carriers[i] = id.String()
		}
	}
	return []any{q.From, q.To, carriers}
}

// The names of the carriers and of the users (advisor names are not read when they
// are pseudonymised). A few thousand rows at most.
const (
	carrierNamesSQL = `SELECT id, name FROM carriers`
	userNamesSQL    = `SELECT id, name FROM users`
)

// noDeadlineTimeout bounds the export's query when ctx has no deadline; the pool's
// statement timeout (15 s) is too short for a million rows sent to a slow client.
const noDeadlineTimeout = 30 * time.Minute

// WriteActivity writes the rows of the activity export to w, which the caller made
// with ActivityColumns and closes. It streams: rows are read from PostgreSQL as they
// come and written at once. It returns the number of rows written and the error of
// q.Check, of the database (ctx's error when ctx ends first) or of w. The query may run
// as long as ctx allows, without ctx's deadline at most 30 minutes.
func WriteActivity(ctx context.Context, db *sqlx.DB, q ActivityQuery, w *Writer) (rows int, err error) {
	if err := q.Check(); err != nil {
		return 0, err
	}
	// One snapshot for the names and the rows: every carrier and advisor of a row is
	// among the names read before.
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return 0, fmt.Errorf("activity export: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	timeout := noDeadlineTimeout
	if dl, ok := ctx.Deadline(); ok {
		// A little past the deadline: ctx's end cancels the query and is the error.
		timeout = max(time.Until(dl)+5*time.Second, time.Second)
	}
	if _, err := tx.ExecContext(ctx, `SELECT set_config('statement_timeout', $1, true)`,
		fmt.Sprint(timeout.Milliseconds())); err != nil {
		return 0, fmt.Errorf("activity export: %w", err)
	}
	key, err := loadPseudonymKey(ctx, tx)
	if err != nil {
		return 0, err
	}
	a := newActivityRow(key, q, w.Format())
	if err := a.loadNames(ctx, tx); err != nil {
		return 0, fmt.Errorf("activity export: %w", err)
	}
	res, err := tx.QueryContext(ctx, activitySQL, activityArgs(q)...)
	if err != nil {
		return 0, fmt.Errorf("activity export: %w", err)
	}
	defer res.Close()
	for res.Next() {
		if err := res.Scan(&a.date, &a.carrierID, &a.advisorID, &a.caseID, &a.codes,
			&a.duration, &a.prep, &a.interpreter); err != nil {
			return rows, fmt.Errorf("activity export: %w", err)
		}
		cells, err := a.cells()
		if err != nil {
			return rows, fmt.Errorf("activity export: %w", err)
		}
		if err := w.Row(cells...); err != nil {
			return rows, err
		}
		rows++
		if rows%1024 == 0 && ctx.Err() != nil {
			return rows, ctx.Err()
		}
	}
	if err := res.Err(); err != nil {
		if ctx.Err() != nil {
			return rows, ctx.Err()
		}
		return rows, fmt.Errorf("activity export: %w", err)
	}
	return rows, ctx.Err()
}

// activityRow scans one row and turns it into cells. Most values repeat (carriers,
// advisors, codes, a case's ten consultations, the day of rows in date order), so
// their cells are made once and kept: a million rows then cost few allocations.
type activityRow struct {
	date        time.Time
	carrierID   sql.RawBytes // uuids as text: uuid.UUID's Scan would allocate
	advisorID   sql.RawBytes
	caseID      sql.RawBytes
	codes       sql.RawBytes // "phase mode topic,topic"
	duration    int64
	prep        sql.NullInt64
	interpreter bool

	pseudonymise bool
	label        func(string) string
	lists        bool // topics as []string (JSON) rather than one text
	cases        *pseudonymiser
	advisors     *pseudonymiser
	carriers     map[uuid.UUID][2]Cell // id, name
	users        map[uuid.UUID][2]Cell // id, name; nil when pseudonymised
	codeCells    map[string][3]Cell    // the codes text → phase, mode and topics cells
	day          time.Time
	dayCell      Cell
	ints         [1024]Cell
	out          [12]Cell
}

func newActivityRow(key []byte, q ActivityQuery, f Format) *activityRow {
	a := &activityRow{
		pseudonymise: q.PseudonymiseAdvisors,
		label:        q.Label,
		lists:        f == JSON,
		cases:        newPseudonymiser(key, CasePrefix, casePurpose),
		advisors:     newPseudonymiser(key, AdvisorPrefix, advisorPurpose),
		codeCells:    make(map[string][3]Cell),
	}
	for i := range a.ints {
		a.ints[i] = int64(i)
	}
	return a
}

// loadNames reads the names of the carriers and, unless they are pseudonymised, of
// the users.
func (a *activityRow) loadNames(ctx context.Context, tx *sqlx.Tx) error {
	var err error
	if a.carriers, err = names(ctx, tx, carrierNamesSQL); err != nil {
		return err
	}
	if !a.pseudonymise {
		a.users, err = names(ctx, tx, userNamesSQL)
	}
	return err
}

func names(ctx context.Context, tx *sqlx.Tx, query string) (map[uuid.UUID][2]Cell, error) {
	res, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	m := make(map[uuid.UUID][2]Cell)
	for res.Next() {
		var id uuid.UUID
		var name string
		if err := res.Scan(&id, &name); err != nil {
			return nil, err
		}
		m[id] = [2]Cell{id.String(), name}
	}
	return m, res.Err()
}

// maxCachedCodes bounds the codes cache (phase, mode and topic combinations); past
// it the cache starts afresh.
const maxCachedCodes = 10_000

// labelled is the label of a catalogue code of group ("phase", "mode", "topic"), the
// code itself without Label.
func (a *activityRow) labelled(group, code string) string {
	if a.label == nil {
		return code
	}
	return a.label(group + "." + code)
}

// codesCells returns the phase, mode and topics cells of the codes text as read.
func (a *activityRow) codesCells(b []byte) ([3]Cell, error) {
	if c, ok := a.codeCells[string(b)]; ok {
		return c, nil
	}
	phase, rest, ok1 := strings.Cut(string(b), " ")
	mode, topics, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return [3]Cell{}, fmt.Errorf("codes %q are not phase, mode and topics", b)
	}
	var list []string
	if topics != "" {
		list = strings.Split(topics, ",")
	}
	for i, t := range list {
		list[i] = a.labelled("topic", t)
	}
	c := [3]Cell{a.labelled("phase", phase), a.labelled("mode", mode), strings.Join(list, listSeparator)}
	if a.lists {
		c[2] = list
	}
	if len(a.codeCells) >= maxCachedCodes {
		clear(a.codeCells)
	}
	a.codeCells[string(b)] = c
	return c, nil
}

// intCell returns the cell of n, made once for the small numbers minutes are.
func (a *activityRow) intCell(n int64) Cell {
	if n >= 0 && n < int64(len(a.ints)) {
		return a.ints[n]
	}
	return n
}

// cells returns the cells of the row scanned last, valid until the next call.
func (a *activityRow) cells() ([]Cell, error) {
	o := &a.out
	if !a.date.Equal(a.day) || a.dayCell == nil {
		a.day, a.dayCell = a.date, Cell(domain.NewDate(a.date))
	}
	o[0] = a.dayCell
	carrierID, err1 := uuid.ParseBytes(a.carrierID)
	advisorID, err2 := uuid.ParseBytes(a.advisorID)
	caseID, err3 := uuid.ParseBytes(a.caseID)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	carrier, ok := a.carriers[carrierID]
	if !ok {
		return nil, fmt.Errorf("carrier %s not found", carrierID)
	}
	o[1], o[2] = carrier[0], carrier[1]
	if a.pseudonymise {
		o[3], o[4] = nil, a.advisors.code(advisorID)
	} else {
		advisor, ok := a.users[advisorID]
		if !ok {
			return nil, fmt.Errorf("advisor %s not found", advisorID)
		}
		o[3], o[4] = advisor[0], advisor[1]
	}
	o[5] = a.cases.code(caseID)
	codes, err := a.codesCells(a.codes)
	if err != nil {
		return nil, err
	}
	o[6], o[7], o[8] = codes[0], codes[1], codes[2]
	o[9] = a.intCell(a.duration)
	o[10] = nil
	if a.prep.Valid {
		o[10] = a.intCell(a.prep.Int64)
	}
	o[11] = a.interpreter
	return o[:], nil
}
