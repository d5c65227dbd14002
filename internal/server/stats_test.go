package server_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// statsEnv is a carrier with enough founders (with canary names, contact data and
// texts) that some figures are published, a programme manager and a coordinator.
type statsEnv struct {
	app                *testenv.App
	pm, coord          *testenv.Client
	carrier, other     uuid.UUID
	canaries           []string
	caseIDs, founderID []string
	advisorName        string
}

func newStatsEnv(t *testing.T) *statsEnv {
	app := testenv.NewApp(t)
	e := &statsEnv{app: app, carrier: app.Carrier(t, "Statistikträger"), other: app.Carrier(t, "Anderer Träger")}
	app.User(t, "berater.statistik@x.de", domain.RoleAdvisor, e.carrier)
	app.User(t, "koord@x.de", domain.RoleCoordinator, e.carrier)
	app.User(t, "pm@x.de", domain.RoleProgrammeManager, uuid.Nil)
	e.advisorName = "berater.statistik"
	adv := app.SignIn(t, "berater.statistik@x.de")
	e.pm, e.coord = app.SignIn(t, "pm@x.de"), app.SignIn(t, "koord@x.de")
	today := domain.DayOf(time.Now()).String()
	for i := range 7 {
		given, family := fmt.Sprintf("Kanarienvogel%d", i), fmt.Sprintf("Zwitscher%d", i)
		mail, phone := fmt.Sprintf("kanarie%d@example.org", i), fmt.Sprintf("+49 30 999%04d", i)
		summary, note := fmt.Sprintf("Geheimer Gesprächsinhalt %d", i), fmt.Sprintf("Vertraulicher Vermerk %d", i)
		e.canaries = append(e.canaries, given, family, mail, phone, summary, note)
		f := testenv.Founder(given, family)
		f["email"], f["phone"], f["gender"], f["birth_year"] = mail, phone, []string{"female", "male"}[i%2], 1980+i
		f["employment_status_at_entry"] = "unemployed"
		id, _ := adv.NewCase(map[string]any{"founder": f})
		e.caseIDs = append(e.caseIDs, id)
		adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+id+"/consultations", map[string]any{"date": today,
			"duration_minutes": 60, "mode": "in_person", "topics": []string{"financing"}, "summary": summary, "next_steps": "Nächster Schritt " + given})
		adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+id+"/notes", map[string]any{"body": note, "confidential": i%2 == 0})
		m := adv.Must(http.StatusOK, "GET", "/api/v1/cases/"+id, nil).Map(t)
		e.founderID = append(e.founderID, m["founder"].(map[string]any)["id"].(string))
	}
	return e
}

func (e *statsEnv) query(format string) string { return e.queryBy("quarter", format) }

func (e *statsEnv) queryBy(period, format string) string {
	y := domain.DayOf(time.Now()).Year()
	return fmt.Sprintf("from=%d-01-01&to=%d-12-31&period=%s&format=%s", y, y, period, format)
}

// text is what a download says, whatever its format: XLSX cells are read back.
func downloadText(t *testing.T, r testenv.Response, format string) string {
	t.Helper()
	if format != "xlsx" {
		return string(r.Body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("XLSX does not open: %v", err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, row := range rows {
		b.WriteString(strings.Join(row, "\t") + "\n")
	}
	return b.String()
}

// No name, contact field, note or consultation text, founder id or case id appears in
// any statistics answer or export, in any format.
func TestStatisticsCarryNoPersonalData(t *testing.T) {
	e := newStatsEnv(t)
	for _, path := range []string{"/api/v1/stats/phases", "/api/v1/stats/esf", "/api/v1/exports/consultations"} {
		for _, format := range []string{"json", "csv", "xlsx"} {
			for name, cl := range map[string]*testenv.Client{"programme_manager": e.pm, "coordinator": e.coord} {
				t.Run(strings.ReplaceAll(path[8:], "/", "_")+"_"+format+"_"+name, func(t *testing.T) {
					r := cl.Must(http.StatusOK, "GET", path+"?"+e.query(format), nil)
					text := downloadText(t, r, format)
					for _, s := range append(append(append([]string{}, e.canaries...), e.caseIDs...), e.founderID...) {
						if strings.Contains(text, s) {
							t.Errorf("%q appears in the answer", s)
						}
					}
					if format != "json" && !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
						t.Errorf("not a download: %v", r.Header)
					}
				})
			}
		}
	}
}

func TestActivityExport(t *testing.T) {
	e := newStatsEnv(t)
	t.Run("coordinators_see_advisor_names_programme_managers_pseudonyms", func(t *testing.T) {
		coord := string(e.coord.Must(http.StatusOK, "GET", "/api/v1/exports/consultations?"+e.query("csv"), nil).Body)
		pm := string(e.pm.Must(http.StatusOK, "GET", "/api/v1/exports/consultations?"+e.query("csv"), nil).Body)
		if !strings.Contains(coord, e.advisorName) {
			t.Errorf("coordinator's export lacks the advisor's name")
		}
		if strings.Contains(pm, e.advisorName) || !strings.Contains(pm, ";B-") {
			t.Errorf("programme manager's export does not pseudonymise advisors:\n%.400s", pm)
		}
	})
	t.Run("one_row_per_consultation_with_stable_case_numbers", func(t *testing.T) {
		read := func() [][]string {
			b := e.coord.Must(http.StatusOK, "GET", "/api/v1/exports/consultations?"+e.query("csv"), nil).Body
			rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
			rd.Comma = ';'
			rows, err := rd.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		first, second := read(), read()
		if len(first) != 1+len(e.caseIDs) {
			t.Fatalf("%d rows, want header + %d", len(first), len(e.caseIDs))
		}
		for i := range first {
			if first[i][5] != second[i][5] {
				t.Errorf("case number changed between exports: %q, %q", first[i][5], second[i][5])
			}
		}
	})
	t.Run("coordinator_of_another_carrier_cannot_name_it", func(t *testing.T) {
		r := e.coord.Do("GET", "/api/v1/exports/consultations?"+e.query("csv")+"&carrier_id="+e.other.String(), nil)
		if r.Status != http.StatusNotFound {
			t.Errorf("status %d", r.Status)
		}
	})
	t.Run("bad_period_is_a_clear_error", func(t *testing.T) {
		r := e.pm.Do("GET", "/api/v1/exports/consultations?from=2026-12-01&to=2026-01-01", nil)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"field":"to"`) {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})
}

// The statistics answer in the caller's scope: a coordinator's total row is their
// carrier's; the programme manager's covers every carrier.
func TestStatisticsScope(t *testing.T) {
	e := newStatsEnv(t)
	var coord, pm struct {
		Rows []struct {
			CarrierID *string `json:"carrier_id"`
			Indicator string  `json:"indicator"`
			Total     *int    `json:"total"`
		} `json:"rows"`
		MinimumCell int `json:"minimum_cell"`
	}
	e.coord.Must(http.StatusOK, "GET", "/api/v1/stats/esf?"+e.queryBy("year", "json"), nil).JSON(t, &coord)
	e.pm.Must(http.StatusOK, "GET", "/api/v1/stats/esf?"+e.queryBy("year", "json"), nil).JSON(t, &pm)
	carriersIn := func(rows []struct {
		CarrierID *string `json:"carrier_id"`
		Indicator string  `json:"indicator"`
		Total     *int    `json:"total"`
	}) map[string]bool {
		m := map[string]bool{}
		for _, r := range rows {
			if r.CarrierID != nil {
				m[*r.CarrierID] = true
			}
		}
		return m
	}
	if c := carriersIn(coord.Rows); len(c) != 1 || !c[e.carrier.String()] {
		t.Errorf("coordinator sees carriers %v", c)
	}
	if c := carriersIn(pm.Rows); !c[e.carrier.String()] || !c[e.other.String()] {
		t.Errorf("programme manager sees carriers %v", c)
	}
	for _, r := range pm.Rows {
		if r.CarrierID == nil && r.Indicator == "participants" && (r.Total == nil || *r.Total != len(e.caseIDs)) {
			t.Errorf("participants total %v, want %d", r.Total, len(e.caseIDs))
		}
	}
	if pm.MinimumCell != 5 {
		t.Errorf("minimum_cell %d", pm.MinimumCell)
	}
}

// The JSON answers of statistics and exports are what the served OpenAPI file says.
func TestStatisticsMatchOpenAPI(t *testing.T) {
	e := newStatsEnv(t)
	v := newAPIChecker(t, e.app)
	for _, path := range []string{"/api/v1/stats/phases", "/api/v1/stats/esf", "/api/v1/exports/consultations"} {
		v.do(e.pm, http.StatusOK, "GET", path+"?"+e.query("json"), nil)
		v.do(e.coord, http.StatusOK, "GET", path+"?"+e.query("json"), nil)
		v.do(e.pm, http.StatusUnprocessableEntity, "GET", path+"?from=2026-12-01&to=2026-01-01", nil)
	}
}
