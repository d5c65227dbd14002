package domain

import (
	"database/sql/driver"
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

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, err
	}
	return Date{t}, nil
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

// UnmarshalJSON reads "YYYY-MM-DD".
func (d *Date) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("date must be a string YYYY-MM-DD")
	}
	p, err := ParseDate(string(b[1 : len(b)-1]))
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
