package pages

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/internal/stats"
)

// statsView is the data of the statistics page: the query as chosen, the carriers to
// choose from, the phase funnel and the consultations per period (each a chart with a
// table beside it for screen readers), and the download links.
type statsView struct {
	Query     httpx.ReportQuery
	Carriers  []domain.Carrier // offered in the carrier select ("" = all of the scope)
	Periods   []stats.Period
	Funnel    chart // the total row's entries into each phase, summed over the periods
	Activity  chart // consultations of the total row per period
	ByCarrier []carrierFigures
	Downloads []download
	Problem   formProblem
	Minimum   int
}

// download is one table offered for download, with a link per format.
type download struct {
	Key   string // stats.download.<key> names it
	Links []downloadLink
}

type downloadLink struct {
	Format string
	// Href is built here from the checked query (dates, a period, a UUID, a language):
	// nothing in it comes from the request unchecked.
	Href template.URL
}

// carrierFigures are one carrier's consultations and first contacts over the range.
type carrierFigures struct {
	Name          string
	Consultations string // a number, or "." when suppressed
	FirstContacts string
}

// chart is a server-rendered bar chart: bars scaled to the largest value; a suppressed
// value has no bar and shows ".".
type chart struct {
	Bars   []bar
	Height int
}

type bar struct {
	Label string
	Value string // as shown: a number or "."
	X, Y  int
	W, H  int
}

const chartHeight, barWidth, barGap = 160, 56, 24

// newChart lays out bars for values (nil = suppressed).
func newChart(labels []string, values []*int) chart {
	peak := 1
	for _, v := range values {
		if v != nil && *v > peak {
			peak = *v
		}
	}
	ch := chart{Height: chartHeight}
	for i, v := range values {
		b := bar{Label: labels[i], Value: ".", X: i*(barWidth+barGap) + barGap, W: barWidth}
		if v != nil {
			b.Value = strconv.Itoa(*v)
			b.H = *v * (chartHeight - 20) / peak
		}
		b.Y = chartHeight - b.H
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}

// Width is the chart's width in SVG units.
func (c chart) Width() int { return len(c.Bars)*(barWidth+barGap) + barGap }

// Stats is GET /stats: the programme manager's landing page, also for coordinators.
func (s *Pages) Stats(c *gin.Context) error {
	httpx.SetLang(c)
	actor := httpx.Actor(c)
	v := statsView{Periods: []stats.Period{stats.Month, stats.Quarter, stats.Year}, Minimum: stats.DefaultMinimumCell}
	if s.MinimumCell != 0 {
		v.Minimum = s.MinimumCell
	}
	scope := s.Store.Scope(actor, domain.ActStatsRead)
	all, err := s.Store.Carriers(c.Request.Context())
	if err != nil {
		return err
	}
	for _, cr := range all {
		if scope.All || scope.InCarrier(cr.ID) {
			v.Carriers = append(v.Carriers, cr)
		}
	}
	rq, err := httpx.ReadReportQuery(c, s.Store.Today())
	v.Query = rq
	status := http.StatusOK
	if err == nil {
		ids, rerr := s.Store.ReportCarriers(c.Request.Context(), actor, rq.CarrierID)
		err = rerr
		if err == nil {
			q := stats.Query{From: rq.From, To: rq.To, Period: rq.Period, Carriers: ids, MinimumCell: s.MinimumCell}
			if err = q.Check(); err == nil {
				err = s.fillStats(c, &v, q)
			}
		}
	}
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		v.Problem, status = p, p.Status
	}
	qs := url.Values{"from": {rq.From.String()}, "to": {rq.To.String()}, "period": {string(rq.Period)}, "lang": {httpx.Lang(c)}}
	if rq.CarrierID != nil {
		qs.Set("carrier_id", rq.CarrierID.String())
	}
	for _, d := range []struct{ key, path string }{{"phases", "/api/v1/stats/phases"}, {"esf", "/api/v1/stats/esf"},
		{"activity", "/api/v1/exports/consultations"}} {
		dl := download{Key: d.key}
		for _, f := range []string{"csv", "xlsx", "json"} {
			qs.Set("format", f)
			dl.Links = append(dl.Links, downloadLink{Format: strings.ToUpper(f), Href: template.URL(d.path + "?" + qs.Encode())}) //nolint:gosec // built from checked values only
		}
		v.Downloads = append(v.Downloads, dl)
	}
	c.Set(ctxPagePath, "/stats")
	return s.render(c, status, "stats", "stats.title", v)
}

// fillStats reads the phase figures and lays out the charts and tables.
func (s *Pages) fillStats(c *gin.Context, v *statsView, q stats.Query) error {
	t, err := stats.Phases(c.Request.Context(), s.Store.Reporting(c.Request.Context()), q)
	if err != nil {
		return err
	}
	entered := map[string]*int{}
	perPeriod := map[string]*int{}
	var periods []string
	type sums struct{ consultations, firstContacts *int }
	byCarrier := map[string]*sums{}
	var carrierOrder []string
	for _, p := range domain.Catalogue.Phases {
		zero := 0
		entered[p] = &zero
	}
	for _, r := range t.Rows {
		if r.CarrierID == nil {
			entered[r.Phase] = addFigure(entered[r.Phase], r.Entered)
			if _, seen := perPeriod[r.Period]; !seen {
				zero := 0
				perPeriod[r.Period] = &zero
				periods = append(periods, r.Period)
			}
			perPeriod[r.Period] = addFigure(perPeriod[r.Period], r.Consultations)
			continue
		}
		sm, ok := byCarrier[r.Carrier]
		if !ok {
			zero1, zero2 := 0, 0
			sm = &sums{&zero1, &zero2}
			byCarrier[r.Carrier] = sm
			carrierOrder = append(carrierOrder, r.Carrier)
		}
		sm.consultations = addFigure(sm.consultations, r.Consultations)
		sm.firstContacts = addFigure(sm.firstContacts, r.FirstContacts)
	}
	var labels []string
	var values []*int
	for _, p := range domain.Catalogue.Phases {
		labels = append(labels, s.T(c, "phase."+p, nil))
		values = append(values, entered[p])
	}
	v.Funnel = newChart(labels, values)
	values = nil
	for _, p := range periods {
		values = append(values, perPeriod[p])
	}
	v.Activity = newChart(periods, values)
	for _, name := range carrierOrder {
		sm := byCarrier[name]
		v.ByCarrier = append(v.ByCarrier, carrierFigures{Name: name, Consultations: shown(sm.consultations), FirstContacts: shown(sm.firstContacts)})
	}
	return nil
}

// addFigure adds a figure to a sum; a suppressed figure makes the sum unknown too
// (publishing it would let a reader recompute the suppressed cell).
func addFigure(sum, n *int) *int {
	if sum == nil || n == nil {
		return nil
	}
	v := *sum + *n
	return &v
}

func shown(n *int) string {
	if n == nil {
		return "."
	}
	return strconv.Itoa(*n)
}
