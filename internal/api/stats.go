package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/export"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/internal/stats"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Statistics and exports: figures about people leave the server only through package
// stats (aggregated, small cells suppressed) or the activity export (one row per
// consultation, no founder data, pseudonymous case numbers). Programme managers reach
// every carrier, coordinators their own (stats:read); answers are JSON, CSV for German
// Excel or XLSX (?format=), headers in ?lang=.

// statsQuery reads the query and resolves its carriers within the caller's stats:read
// scope: a carrier outside it is the same 404 as an unknown one.
func (a *API) statsQuery(c *gin.Context) (stats.Query, httpx.ReportQuery, error) {
	rq, err := httpx.ReadReportQuery(c, a.Store.Today())
	if err != nil {
		return stats.Query{}, rq, err
	}
	carriers, err := a.Store.ReportCarriers(c.Request.Context(), httpx.Actor(c), rq.CarrierID)
	if err != nil {
		return stats.Query{}, rq, err
	}
	q := stats.Query{From: rq.From, To: rq.To, Period: rq.Period, Carriers: carriers, MinimumCell: a.MinimumCell}
	return q, rq, q.Check()
}

// PhaseStats is GET /api/v1/stats/phases.
func (a *API) PhaseStats(c *gin.Context) error {
	return serveStats(a, c, "statistik-phasen", stats.Phases, func(label func(string) string) []export.Column {
		cols := append([]export.Column{
			{Key: "carrier", Label: label("stats.col.carrier"), Kind: export.Text, Width: 24},
			{Key: "period", Label: label("stats.col.period"), Kind: export.Text, Width: 10},
			{Key: "phase", Label: label("stats.col.phase"), Kind: export.Text, Width: 14},
			{Key: "cases_active", Label: label("stats.col.cases_active"), Kind: export.Int},
			{Key: "cases_opened", Label: label("stats.col.cases_opened"), Kind: export.Int},
			{Key: "entered", Label: label("stats.col.entered"), Kind: export.Int},
		}, closedColumns(label)...)
		return append(cols,
			export.Column{Key: "consultations", Label: label("stats.col.consultations"), Kind: export.Int},
			export.Column{Key: "consultation_hours", Label: label("stats.col.consultation_hours"), Kind: export.Decimal},
			export.Column{Key: "first_contacts", Label: label("stats.col.first_contacts"), Kind: export.Int},
			export.Column{Key: "founders", Label: label("stats.col.founders"), Kind: export.Int})
	}, func(t stats.PhaseTable, label func(string) string, w *export.Writer) error {
		for _, r := range t.Rows {
			cells := []export.Cell{carrierCell(r.Carrier, label), r.Period, label("phase." + r.Phase),
				intCell(r.CasesActive), intCell(r.CasesOpened), intCell(r.Entered)}
			for _, reason := range append(append([]string{}, stats.ClosingReasons...), "total") {
				cells = append(cells, intCell(r.Closed[reason]))
			}
			hours := export.Suppressed
			if r.ConsultationHours != nil {
				hours = *r.ConsultationHours
			}
			cells = append(cells, intCell(r.Consultations), hours, intCell(r.FirstContacts), intCell(r.Founders))
			if err := w.Row(cells...); err != nil {
				return err
			}
		}
		return nil
	})
}

func closedColumns(label func(string) string) []export.Column {
	var cols []export.Column
	for _, r := range stats.ClosingReasons {
		cols = append(cols, export.Column{Key: "closed." + r, Label: label("stats.col.closed") + ": " + label("closing_reason."+r), Kind: export.Int})
	}
	return append(cols, export.Column{Key: "closed.total", Label: label("stats.col.closed_total"), Kind: export.Int})
}

// ESFStats is GET /api/v1/stats/esf.
func (a *API) ESFStats(c *gin.Context) error {
	return serveStats(a, c, "statistik-esf", stats.ESF, func(label func(string) string) []export.Column {
		return []export.Column{
			{Key: "carrier", Label: label("stats.col.carrier"), Kind: export.Text, Width: 24},
			{Key: "period", Label: label("stats.col.period"), Kind: export.Text, Width: 10},
			{Key: "indicator", Label: label("stats.col.indicator"), Kind: export.Text, Width: 44},
			{Key: "female", Label: label("stats.col.female"), Kind: export.Int},
			{Key: "male", Label: label("stats.col.male"), Kind: export.Int},
			{Key: "diverse", Label: label("stats.col.diverse"), Kind: export.Int},
			{Key: "unspecified", Label: label("stats.col.unspecified"), Kind: export.Int},
			{Key: "total", Label: label("stats.col.total"), Kind: export.Int},
		}
	}, func(t stats.ESFTable, label func(string) string, w *export.Writer) error {
		for _, r := range t.Rows {
			if err := w.Row(carrierCell(r.Carrier, label), r.Period, label("esf."+r.Indicator),
				intCell(r.Female), intCell(r.Male), intCell(r.Diverse), intCell(r.Unspecified), intCell(r.Total)); err != nil {
				return err
			}
		}
		return nil
	})
}

// serveStats answers one statistics request: the query within the caller's scope, the
// table read from the reporting database, then JSON or a file named base with the
// columns and rows the table's two functions lay out.
func serveStats[T any](a *API, c *gin.Context, base string, read func(context.Context, sqlx.QueryerContext, stats.Query) (T, error),
	columns func(label func(string) string) []export.Column, rows func(T, func(string) string, *export.Writer) error) error {
	q, rq, err := a.statsQuery(c)
	if err != nil {
		return err
	}
	t, err := read(c.Request.Context(), a.Store.Reporting(c.Request.Context()), q)
	if err != nil {
		return err
	}
	if rq.Format == export.JSON {
		c.JSON(http.StatusOK, t)
		return nil
	}
	label := a.label(c)
	return a.download(c, rq, base, columns(label), func(w *export.Writer) error { return rows(t, label, w) })
}

// ActivityExport is GET /api/v1/exports/consultations: one row per consultation for the
// proof of use of funds. Coordinators get their carrier with advisor names; programme
// managers (global scope) every carrier with advisors pseudonymised too. The export is
// audited (export.activity), never its content.
func (a *API) ActivityExport(c *gin.Context) error {
	rq, err := httpx.ReadReportQuery(c, a.Store.Today())
	if err != nil {
		return err
	}
	actor := httpx.Actor(c)
	scope := a.Store.Scope(actor, domain.ActStatsRead)
	carriers, err := a.Store.ReportCarriers(c.Request.Context(), actor, rq.CarrierID)
	if err != nil {
		return err
	}
	q := export.ActivityQuery{From: rq.From, To: rq.To, Carriers: carriers, PseudonymiseAdvisors: scope.All}
	if err := q.Check(); err != nil {
		return err
	}
	label := a.label(c)
	if rq.Format != export.JSON {
		q.Label = label
	}
	if err := a.Store.Audit(c.Request.Context(), actor, store.Event{Action: "export.activity", ObjectType: "export"}); err != nil {
		return err
	}
	base := fmt.Sprintf("aktivitaet_%s_%s", rq.From, rq.To)
	return a.download(c, rq, base, export.ActivityColumns(label), func(w *export.Writer) error {
		_, err := export.WriteActivity(c.Request.Context(), a.Store.Reporting(c.Request.Context()), q, w)
		return err
	})
}

// download streams one table as a file. Until the first row is sent an error is an
// ordinary answer; after it, the connection is cut (a failed download, never a file
// that looks complete but is short).
func (a *API) download(c *gin.Context, rq httpx.ReportQuery, base string, cols []export.Column, rows func(w *export.Writer) error) error {
	if dl, ok := c.Request.Context().Deadline(); ok {
		// The server's write timeout is for ordinary answers; a download may take the
		// route's deadline.
		_ = http.NewResponseController(c.Writer).SetWriteDeadline(dl.Add(5 * time.Second))
	}
	label := a.label(c)
	c.Header("Content-Type", export.ContentType(rq.Format))
	c.Header("Content-Disposition", `attachment; filename="`+export.FileName(base, rq.Format)+`"`)
	w, err := export.NewWriter(c.Writer, rq.Format, cols, export.Options{True: label("yes_no.yes"), False: label("yes_no.no"),
		Sheet: "Lotse", SuppressedKey: "suppressed", Meta: map[string]any{"minimum_cell": a.minimumCell()}})
	if err != nil {
		return err
	}
	if err := rows(w); err != nil {
		w.Abort()
		if w.Started() {
			panic(http.ErrAbortHandler)
		}
		var e *domain.Error
		if errors.As(err, &e) {
			return err
		}
		return fmt.Errorf("download %s: %w", base, err)
	}
	if err := w.Close(); err != nil {
		if w.Started() {
			panic(http.ErrAbortHandler)
		}
		return err
	}
	return nil
}

func (a *API) minimumCell() int {
	if a.MinimumCell == 0 {
		return stats.DefaultMinimumCell
	}
	return a.MinimumCell
}

// label translates a key in the request's language.
func (a *API) label(c *gin.Context) func(string) string {
	return func(key string) string { return a.T(c, key, nil) }
}

// carrierCell is the carrier column: its short name, or "Gesamt"/"Total" on total rows.
func carrierCell(name string, label func(string) string) export.Cell {
	if name == "" {
		return label("stats.total")
	}
	return name
}

// intCell is a figure, or the suppression mark for a suppressed one.
func intCell(n *int) export.Cell {
	if n == nil {
		return export.Suppressed
	}
	return *n
}
