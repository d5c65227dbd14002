package domain

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// DateLayout is the API's date format.
const DateLayout = "2006-01-02"

// Date is a calendar day without time zone: "YYYY-MM-DD" in JSON, date in SQL.
type Date struct{ time.Time }

// NewDate returns the day of t (its year, month and day in t's location).
func NewDate(t time.Time) Date {
	return Date{time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}
}

// The days Lotse takes from outside, wherever a date comes in (JSON, forms, queries,
// cursors, the environment): 1900-01-01 to 2100-12-31. Nothing Lotse records — a
// founding, a consultation, a follow-up, a period of statistics or of the audit trail —
// lies outside, and PostgreSQL refuses some days that time.Parse takes (year 0), which
// would be a 500 instead of a 422 on the field.
const (
	FirstYear = 1900
	LastYear  = 2100
)

// ErrDateRange is the error of ParseDate for a well-formed day outside FirstYear–LastYear.
var ErrDateRange = errors.New("date must be between 1900-01-01 and 2100-12-31")

// ParseDate parses "YYYY-MM-DD" of a day from FirstYear to LastYear (else ErrDateRange).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, err
	}
	if t.Year() < FirstYear || t.Year() > LastYear {
		return Date{}, ErrDateRange
	}
	return Date{t}, nil
}

// DateProblem is the field message (an i18n ID) for a date ParseDate (or Date's
// UnmarshalJSON) refused with err: out of range, or not a date at all.
func DateProblem(err error) string {
	if errors.Is(err, ErrDateRange) {
		return "validation.date_range"
	}
	return "validation.format"
}

// DayOf is the day of t in Germany, where every carrier works: "today", "overdue" and
// "not in the future" are judged by it. The clock is passed in (Store.Now), so date
// rules are tested at midnight and at year ends.
func DayOf(t time.Time) Date { return NewDate(t.In(Berlin)) }

// Berlin is the time zone of the programme; "today" and "overdue" are judged in it.
var Berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return loc
}()

func (d Date) String() string { return d.Format(DateLayout) }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.Time.After(o.Time) }

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Time.Before(o.Time) }

// AddDays returns the day n days after d.
func (d Date) AddDays(n int) Date { return Date{d.AddDate(0, 0, n)} }

// MarshalJSON writes "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads "YYYY-MM-DD"; a day outside FirstYear–LastYear is ErrDateRange.
func (d *Date) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("date must be a string YYYY-MM-DD")
	}
	p, err := ParseDate(string(b[1 : len(b)-1]))
	if errors.Is(err, ErrDateRange) {
		return err
	}
	if err != nil {
		return fmt.Errorf("date must be YYYY-MM-DD")
	}
	*d = p
	return nil
}

// Scan reads a SQL date.
func (d *Date) Scan(v any) error {
	switch t := v.(type) {
	case time.Time:
		*d = NewDate(t)
		return nil
	case nil:
		*d = Date{}
		return nil
	}
	return fmt.Errorf("cannot scan %T into Date", v)
}

// Value writes a SQL date.
func (d Date) Value() (driver.Value, error) { return d.String(), nil }
