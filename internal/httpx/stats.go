package httpx

import (
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/export"
	"github.com/iq-migrantenoekonomie/lotse/internal/stats"
)

// ReportQuery is the query of the statistics and exports: ?from=&to=&period=&carrier_id=
// &format=. From and To default to the current year up to today, Period to quarter,
// Format to json; every value that cannot be read is reported at once (422).
type ReportQuery struct {
	From, To  domain.Date
	Period    stats.Period
	CarrierID *uuid.UUID
	Format    export.Format
}

// ReadReportQuery reads a ReportQuery; today fills the defaults.
func ReadReportQuery(c *gin.Context, today domain.Date) (ReportQuery, error) {
	q := ReportQuery{From: domain.NewDate(today.AddDate(0, 0, 1-today.YearDay())), To: today,
		Period: stats.Quarter, Format: export.JSON}
	var p domain.Problems
	if d := QueryDate(c, "from", &p); d != nil {
		q.From = *d
	}
	if d := QueryDate(c, "to", &p); d != nil {
		q.To = *d
	}
	if v := c.Query("period"); v != "" {
		q.Period = stats.Period(v)
	}
	if v := c.Query("carrier_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			p.Add("carrier_id", "validation.format")
		} else {
			q.CarrierID = &id
		}
	}
	if v := c.Query("format"); v != "" {
		f, err := export.ParseFormat(v)
		if err != nil {
			p.Add("format", "validation.format")
		}
		q.Format = f
	}
	return q, p.Err()
}

// QueryDate reads the calendar day of the query parameter key ("YYYY-MM-DD", a day
// domain.ParseDate takes): nil when it is absent, and when it cannot be read, which is
// added to p (validation.format, or validation.date_range out of range).
func QueryDate(c *gin.Context, key string, p *domain.Problems) *domain.Date {
	v := c.Query(key)
	if v == "" {
		return nil
	}
	day, err := domain.ParseDate(v)
	if err != nil {
		p.Add(key, domain.DateProblem(err))
		return nil
	}
	return &day
}
