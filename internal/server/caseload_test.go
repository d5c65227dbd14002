package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// caseloadFixture is a carrier C1 built by hand, with its figures worked out by hand
// below, and a carrier C2 that must never show in C1's answers. The store's clock stands
// at noon of today (T), so no midnight can move a date under the test. N = 60.
//
//	case  lead   phase          status  opened  consultations (author, day, minutes)        stalled
//	K1    anna   founding       active  T-100   anna T-29 45, anna T-30 60, ben T 30 (co)   no
//	K2    anna   consolidation  active  T-100   anna T-60 50                                no: exactly N
//	K3    anna   founding       active  T-100   anna T-61 40                                yes: N+1
//	K4    anna   handover       paused  T-100   –                                           no: not active
//	K5    cem    founding       active  T-70    –                                           yes (cem deactivated)
//	K6    emil   consolidation  active  T-60    –                                           no: exactly N (emil no advisor any more)
//	K7    ben    founding       closed  T-100   ben T-5 20                                  no: closed
//	K8    ben    handover       active  T-10    ben T-1 90                                  no
//	K9    dora   founding       active  T-100   –                 (carrier C2)              yes
//
// Open follow-ups: F1 K1 anna T-1, F2 K1 anna T, F3 K3 anna T-20, F4 K5 cem T-3, F5 K7 ben
// T-2 (closed case), F7 K8 kora T-4, F8 K9 dora T-2; F6 K8 ben T-1 is done.
type caseloadFixture struct {
	app                                *testenv.App
	st                                 *store.Store
	ctx                                context.Context
	t                                  *testing.T
	today                              domain.Date
	c1, c2                             uuid.UUID
	anna, ben, cem, emil, fatma, kora  uuid.UUID
	dora                               uuid.UUID
	k, f                               map[string]uuid.UUID // cases K1 … K9, follow-ups F1 … F8
	annaCl, benCl, koraCl, kaiCl, pmCl *testenv.Client
	adminCl, multiCl, fatmaCl          *testenv.Client
}

// noon is 12:00 in Berlin on day d.
func noon(d domain.Date) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, domain.Berlin)
}

func newCaseloadFixture(t *testing.T) *caseloadFixture {
	t.Helper()
	db := testdb.New(t)
	today := domain.DayOf(time.Now())
	db.Store.Now = func() time.Time { return noon(today) } // before the server starts
	app := testenv.StartApp(t, db)
	x := &caseloadFixture{app: app, today: today, ctx: context.Background(), st: app.DB.Store, t: t,
		k: map[string]uuid.UUID{}, f: map[string]uuid.UUID{}}
	x.c1, x.c2 = app.Carrier(t, "Gründungswerkstatt"), app.Carrier(t, "Nord")
	x.anna = app.User(t, "anna@c1.de", domain.RoleAdvisor, x.c1)
	x.ben = app.User(t, "ben@c1.de", domain.RoleAdvisor, x.c1)
	x.cem = app.User(t, "cem@c1.de", domain.RoleAdvisor, x.c1)
	x.emil = app.User(t, "emil@c1.de", domain.RoleAdvisor, x.c1)
	x.fatma = app.User(t, "fatma@c1.de", domain.RoleAdvisor, x.c1)
	x.kora = app.User(t, "kora@c1.de", domain.RoleCoordinator, x.c1)
	x.dora = app.User(t, "dora@c2.de", domain.RoleAdvisor, x.c2)
	app.User(t, "kai@c2.de", domain.RoleCoordinator, x.c2)
	multi := app.User(t, "multi@x.de", domain.RoleCoordinator, x.c1)
	app.User(t, "pm@x.de", domain.RoleProgrammeManager, uuid.Nil)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	x.annaCl, x.benCl, x.koraCl = app.SignIn(t, "anna@c1.de"), app.SignIn(t, "ben@c1.de"), app.SignIn(t, "kora@c1.de")
	x.kaiCl, x.pmCl, x.adminCl = app.SignIn(t, "kai@c2.de"), app.SignIn(t, "pm@x.de"), app.SignIn(t, "admin@x.de")
	x.fatmaCl = app.SignIn(t, "fatma@c1.de")
	x.adminCl.Must(http.StatusOK, "PUT", "/api/v1/users/"+multi.String()+"/roles", map[string]any{"roles": []map[string]any{
		{"role": domain.RoleCoordinator, "carrier_id": x.c1}, {"role": domain.RoleCoordinator, "carrier_id": x.c2}}})
	x.multiCl = app.SignIn(t, "multi@x.de")

	x.openCase("K1", x.anna, x.c1, "founding", 100)
	x.openCase("K2", x.anna, x.c1, "consolidation", 100)
	x.openCase("K3", x.anna, x.c1, "founding", 100)
	x.openCase("K4", x.anna, x.c1, "handover", 100)
	x.openCase("K5", x.cem, x.c1, "founding", 70)
	x.openCase("K6", x.emil, x.c1, "consolidation", 60)
	x.openCase("K7", x.ben, x.c1, "founding", 100)
	x.openCase("K8", x.ben, x.c1, "handover", 10)
	x.openCase("K9", x.dora, x.c2, "founding", 100)
	// Ben co-advises K1, so he may log a consultation there.
	x.koraCl.Must(http.StatusOK, "PUT", x.casePath("K1", "/advisors"),
		map[string]any{"lead_advisor_id": x.anna, "co_advisor_ids": []uuid.UUID{x.ben}}, "If-Match", x.etag("K1"))

	x.consult(x.annaCl, "K1", 29, 45)
	x.consult(x.annaCl, "K1", 30, 60)
	x.consult(x.benCl, "K1", 0, 30)
	x.consult(x.annaCl, "K2", 60, 50)
	x.consult(x.annaCl, "K3", 61, 40)
	x.consult(x.benCl, "K7", 5, 20)
	x.consult(x.benCl, "K8", 1, 90)

	x.followUp("F1", "K1", x.anna, -1)
	x.followUp("F2", "K1", x.anna, 0)
	x.followUp("F3", "K3", x.anna, -20)
	x.followUp("F4", "K5", x.cem, -3)
	x.followUp("F5", "K7", x.ben, -2)
	x.followUp("F6", "K8", x.ben, -1)
	x.followUp("F7", "K8", x.kora, -4)
	x.followUp("F8", "K9", x.dora, -2)
	x.koraCl.Must(http.StatusOK, "PATCH", "/api/v1/follow-ups/"+x.f["F6"].String(), map[string]any{"done": true}, "If-Match", `"2"`)

	x.koraCl.Must(http.StatusOK, "PATCH", x.casePath("K4", ""), map[string]any{"status": "paused"}, "If-Match", x.etag("K4"))
	x.koraCl.Must(http.StatusOK, "POST", x.casePath("K7", "/close"), map[string]any{"reason": "abandoned"}, "If-Match", x.etag("K7"))
	// Cem leaves the organisation; Emil stops advising in C1. Both still lead a case.
	x.adminCl.Must(http.StatusOK, "POST", "/api/v1/users/"+x.cem.String()+"/deactivate", nil)
	x.adminCl.Must(http.StatusOK, "PUT", "/api/v1/users/"+x.emil.String()+"/roles", map[string]any{"roles": []any{}})
	return x
}

// openCase takes in a founder with a case opened days ago, through the store as it was
// then (the API opens cases today).
func (x *caseloadFixture) openCase(name string, lead, carrier uuid.UUID, phase string, days int) {
	x.t.Helper()
	then := *x.st
	opened := x.today.AddDays(-days)
	then.Now = func() time.Time { return noon(opened) }
	fd := domain.DefaultFounderData()
	fd.GivenName, fd.FamilyName = "Fall", name
	cs, err := then.CreateCase(x.ctx, domain.Actor{UserID: lead, System: true},
		domain.Intake{CarrierID: &carrier, LeadAdvisorID: &lead, Founder: &fd, Phase: phase}, nil)
	if err != nil {
		x.t.Fatalf("case %s: %v", name, err)
	}
	if cs.OpenedOn != opened {
		x.t.Fatalf("case %s opened on %s, want %s", name, cs.OpenedOn, opened)
	}
	x.k[name] = cs.ID
}

func (x *caseloadFixture) casePath(name, rest string) string {
	return "/api/v1/cases/" + x.k[name].String() + rest
}

func (x *caseloadFixture) etag(name string) string {
	x.t.Helper()
	return x.koraCl.Must(http.StatusOK, "GET", x.casePath(name, ""), nil).Header.Get("ETag")
}

// consult logs a consultation daysAgo days ago through the API, as its author.
func (x *caseloadFixture) consult(author *testenv.Client, name string, daysAgo, minutes int) {
	x.t.Helper()
	author.Must(http.StatusCreated, "POST", x.casePath(name, "/consultations"), map[string]any{
		"date": x.today.AddDays(-daysAgo).String(), "duration_minutes": minutes, "mode": "in_person",
		"topics": []string{"business_plan"}, "summary": "Gespräch"})
}

// followUp adds a follow-up for assignee due dueDays from today. The API takes no past
// date, so an overdue one is set today and moved back in the table, as if it had been
// set when its day lay ahead.
func (x *caseloadFixture) followUp(name, caseName string, assignee uuid.UUID, dueDays int) {
	x.t.Helper()
	coordinator := x.koraCl
	if assignee == x.dora {
		coordinator = x.kaiCl
	}
	r := coordinator.Must(http.StatusCreated, "POST", x.casePath(caseName, "/follow-ups"),
		map[string]any{"due_on": x.today.String(), "title": "Wiedervorlage " + name, "assignee_id": assignee})
	id := uuid.MustParse(fmt.Sprint(r.Map(x.t)["id"]))
	if _, err := x.st.DB.ExecContext(x.ctx, `UPDATE follow_ups SET due_on = $2, version = version + 1 WHERE id = $1`,
		id, x.today.AddDays(dueDays)); err != nil {
		x.t.Fatal(err)
	}
	x.f[name] = id
}

// getCaseload answers GET /api/v1/caseload with query as cl.
func getCaseload(t *testing.T, cl *testenv.Client, query string) domain.Caseload {
	t.Helper()
	var out domain.Caseload
	cl.Must(http.StatusOK, "GET", "/api/v1/caseload"+query, nil).JSON(t, &out)
	return out
}

// caseloadRowOf is someone's row of a caseload.
func caseloadRowOf(t *testing.T, cl domain.Caseload, id uuid.UUID) domain.AdvisorCaseload {
	t.Helper()
	for _, a := range cl.Advisors {
		if a.AdvisorID == id {
			return a
		}
	}
	t.Fatalf("no row for %s in %+v", id, cl.Advisors)
	return domain.AdvisorCaseload{}
}

func (x *caseloadFixture) stalledNames(cl domain.Caseload) []string {
	var out []string
	for _, c := range cl.Stalled {
		out = append(out, c.FounderName)
	}
	return out
}

func (x *caseloadFixture) caseNames(t *testing.T, cl *testenv.Client, query string) []string {
	t.Helper()
	var l struct{ Items []domain.CaseSummary }
	cl.Must(http.StatusOK, "GET", "/api/v1/cases?limit=200&"+query, nil).JSON(t, &l)
	var out []string
	for _, it := range l.Items {
		out = append(out, it.FounderName)
	}
	slices.Sort(out)
	return out
}

func TestCaseloadFiguresPerAdvisor(t *testing.T) {
	x := newCaseloadFixture(t)
	cl := getCaseload(t, x.koraCl, "") // one carrier: carrier_id may be left out

	t.Run("coordinator_sees_every_advisor_and_every_remaining_lead_by_name", func(t *testing.T) {
		var names []string
		for _, a := range cl.Advisors {
			names = append(names, a.Name)
		}
		if want := []string{"anna", "ben", "cem", "emil", "fatma"}; !slices.Equal(names, want) {
			t.Fatalf("rows %v, want %v", names, want)
		}
		if cl.CarrierID != x.c1 || cl.StalledAfterDays != 60 {
			t.Errorf("carrier %s, stalled after %d days", cl.CarrierID, cl.StalledAfterDays)
		}
	})
	want := map[uuid.UUID]domain.AdvisorCaseload{
		// K1, K3 founding, K2 consolidation (K4 paused); K1 T-29 45 min (T-30 is outside);
		// K3 stalled; F1 and F3 overdue (F2 is due today).
		x.anna: {AdvisorID: x.anna, Name: "anna", Active: true, ActiveCases: domain.PhaseCounts{Founding: 2, Consolidation: 1},
			Consultations30d: 1, Minutes30d: 45, StalledCases: 1, OverdueFollowUps: 2},
		// K8 (K7 closed); K1 T 30 + K7 T-5 20 (a closed case's work counts) + K8 T-1 90; F5 in
		// a closed case and F6 done are not overdue.
		x.ben: {AdvisorID: x.ben, Name: "ben", Active: true, ActiveCases: domain.PhaseCounts{Handover: 1},
			Consultations30d: 3, Minutes30d: 140},
		// deactivated, still leads K5 (stalled since opening T-70) with F4 overdue
		x.cem: {AdvisorID: x.cem, Name: "cem", ActiveCases: domain.PhaseCounts{Founding: 1}, StalledCases: 1, OverdueFollowUps: 1},
		// no advisor of C1 any more, still leads K6, opened exactly N days ago
		x.emil:  {AdvisorID: x.emil, Name: "emil", ActiveCases: domain.PhaseCounts{Consolidation: 1}},
		x.fatma: {AdvisorID: x.fatma, Name: "fatma", Active: true},
	}
	for id, w := range want {
		t.Run("figures_of_"+w.Name, func(t *testing.T) {
			if got := caseloadRowOf(t, cl, id); got != w {
				t.Errorf("row\n got %+v\nwant %+v", got, w)
			}
		})
	}
	t.Run("stalled_list_is_the_longest_without_contact_first", func(t *testing.T) {
		// K5 since its opening T-70, K3 since T-61; K2 (T-60) and K6 (opened T-60) are not
		// stalled yet, K9 belongs to C2.
		if got := x.stalledNames(cl); !slices.Equal(got, []string{"Fall K5", "Fall K3"}) {
			t.Fatalf("stalled %v", got)
		}
		k3 := cl.Stalled[1]
		if k3.ID != x.k["K3"] || k3.LastConsultationOn == nil || *k3.LastConsultationOn != x.today.AddDays(-61) ||
			k3.NextFollowUpOn == nil || *k3.NextFollowUpOn != x.today.AddDays(-20) || k3.LeadAdvisorID != x.anna {
			t.Errorf("K3 summary %+v", k3)
		}
		if cl.Stalled[0].LastConsultationOn != nil {
			t.Errorf("K5 has no consultation: %+v", cl.Stalled[0])
		}
	})
	t.Run("advisor_sees_their_own_row_and_their_stalled_cases_only", func(t *testing.T) {
		own := getCaseload(t, x.annaCl, "")
		if len(own.Advisors) != 1 || own.Advisors[0] != want[x.anna] || own.CarrierID != x.c1 {
			t.Errorf("anna's caseload %+v", own.Advisors)
		}
		if got := x.stalledNames(own); !slices.Equal(got, []string{"Fall K3"}) {
			t.Errorf("anna's stalled cases %v", got)
		}
		own = getCaseload(t, x.annaCl, "?carrier_id="+x.c1.String())
		if len(own.Advisors) != 1 {
			t.Errorf("with carrier_id: %+v", own.Advisors)
		}
	})
	t.Run("the_stalled_days_setting_moves_the_threshold", func(t *testing.T) {
		// A second instance on the same database, configured with 59 days: K2 (T-60) and
		// K6 (opened T-60) are stalled there.
		db := x.app.DB
		st := *db.Store
		st.StalledAfterDays = 59
		db.Store = &st
		app59 := testenv.StartApp(t, db)
		c := app59.SignIn(t, "kora@c1.de")
		cl59 := getCaseload(t, c, "")
		if cl59.StalledAfterDays != 59 {
			t.Errorf("stalled_after_days %d", cl59.StalledAfterDays)
		}
		if got := x.stalledNames(cl59); !slices.Equal(got, []string{"Fall K5", "Fall K3", "Fall K2", "Fall K6"}) &&
			!slices.Equal(got, []string{"Fall K5", "Fall K3", "Fall K6", "Fall K2"}) {
			t.Errorf("stalled after 59 days %v", got)
		}
		if r := caseloadRowOf(t, cl59, x.anna); r.StalledCases != 2 {
			t.Errorf("anna stalled after 59 days: %d", r.StalledCases)
		}
	})
	t.Run("the_read_is_audited", func(t *testing.T) {
		var n int
		if err := x.st.DB.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'caseload.read' AND object_id = $1 AND actor_id = $2`, x.c1, x.kora); err != nil || n == 0 {
			t.Errorf("%d caseload.read events of kora (%v)", n, err)
		}
	})
}

func TestCaseloadAccess(t *testing.T) {
	x := newCaseloadFixture(t)
	c1, c2 := x.c1.String(), x.c2.String()
	t.Run("coordinator_of_another_carrier_gets_404", func(t *testing.T) {
		nf := x.kaiCl.Must(http.StatusNotFound, "GET", "/api/v1/caseload?carrier_id="+c1, nil)
		none := x.kaiCl.Must(http.StatusNotFound, "GET", "/api/v1/caseload?carrier_id="+uuid.NewString(), nil)
		if string(nf.Body) != string(none.Body) {
			t.Errorf("404 for another carrier differs from 404 for none:\n%s\n%s", nf.Body, none.Body)
		}
		// their own carrier: Dora's row and K9 only
		own := getCaseload(t, x.kaiCl, "")
		if len(own.Advisors) != 1 || own.Advisors[0].AdvisorID != x.dora || !slices.Equal(x.stalledNames(own), []string{"Fall K9"}) {
			t.Errorf("C2's caseload %+v %v", own.Advisors, x.stalledNames(own))
		}
	})
	t.Run("advisor_gets_404_for_another_carrier", func(t *testing.T) {
		x.annaCl.Must(http.StatusNotFound, "GET", "/api/v1/caseload?carrier_id="+c2, nil)
	})
	t.Run("programme_manager_and_admin_get_403", func(t *testing.T) {
		x.pmCl.Must(http.StatusForbidden, "GET", "/api/v1/caseload?carrier_id="+c1, nil)
		x.adminCl.Must(http.StatusForbidden, "GET", "/api/v1/caseload", nil)
		x.pmCl.Must(http.StatusForbidden, "GET", "/caseload", nil)
	})
	t.Run("several_carriers_need_carrier_id", func(t *testing.T) {
		r := x.multiCl.Must(http.StatusUnprocessableEntity, "GET", "/api/v1/caseload", nil)
		if f := problemFields(t, r); !slices.Equal(f, []string{"carrier_id"}) {
			t.Errorf("fields %v", f)
		}
		if cl := getCaseload(t, x.multiCl, "?carrier_id="+c2); cl.CarrierID != x.c2 || len(cl.Advisors) != 1 {
			t.Errorf("multi's caseload of C2 %+v", cl)
		}
	})
	t.Run("malformed_carrier_id_is_422", func(t *testing.T) {
		r := x.koraCl.Must(http.StatusUnprocessableEntity, "GET", "/api/v1/caseload?carrier_id=C1", nil)
		if f := problemFields(t, r); !slices.Equal(f, []string{"carrier_id"}) {
			t.Errorf("fields %v", f)
		}
	})
	t.Run("a_refusal_is_audited", func(t *testing.T) {
		var n int
		if err := x.st.DB.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'authz.denied' AND object_id = $1`, x.c1); err != nil || n == 0 {
			t.Errorf("%d denials of C1 audited (%v)", n, err)
		}
	})
	t.Run("the_answer_matches_openapi", func(t *testing.T) {
		v := newAPIChecker(t, x.app)
		v.do(x.koraCl, 200, "GET", "/api/v1/caseload", nil)
		v.do(x.annaCl, 200, "GET", "/api/v1/caseload?carrier_id="+c1, nil)
		v.do(x.multiCl, 422, "GET", "/api/v1/caseload", nil)
		v.do(x.kaiCl, 404, "GET", "/api/v1/caseload?carrier_id="+c1, nil)
		v.do(x.pmCl, 403, "GET", "/api/v1/caseload", nil)
		v.do(x.koraCl, 200, "GET", "/api/v1/agenda/team", nil)
		v.do(x.annaCl, 403, "GET", "/api/v1/agenda/team", nil)
		v.do(x.koraCl, 200, "GET", "/api/v1/cases?stalled=true&overdue=1", nil)
		v.do(x.koraCl, 422, "GET", "/api/v1/cases?stalled=yes", nil)
	})
}

func TestCaseloadCaseListFilters(t *testing.T) {
	x := newCaseloadFixture(t)
	tests := []struct {
		name  string
		cl    *testenv.Client
		query string
		want  []string
	}{
		{"stalled_are_the_active_cases_without_contact_for_more_than_n_days", x.koraCl, "stalled=true", []string{"Fall K3", "Fall K5"}},
		{"overdue_are_open_cases_with_a_follow_up_due_before_today", x.koraCl, "overdue=1", []string{"Fall K1", "Fall K3", "Fall K5", "Fall K8"}},
		{"both_filters_together", x.koraCl, "stalled=true&overdue=true", []string{"Fall K3", "Fall K5"}},
		{"filters_combine_with_the_advisor", x.koraCl, "overdue=true&advisor_id=" + x.anna.String(), []string{"Fall K1", "Fall K3"}},
		{"a_deactivated_lead_can_be_filtered_by", x.koraCl, "advisor_id=" + x.cem.String(), []string{"Fall K5"}},
		{"off_is_no_filter", x.koraCl, "stalled=false&overdue=0&status=active&phase=founding", []string{"Fall K1", "Fall K3", "Fall K5"}},
		{"an_advisor_filters_within_their_own_cases", x.annaCl, "stalled=true", []string{"Fall K3"}},
		{"a_co_advisor_sees_the_case_level_overdue", x.benCl, "overdue=true", []string{"Fall K1", "Fall K8"}},
		{"another_carrier_stays_out", x.kaiCl, "stalled=true", []string{"Fall K9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := x.caseNames(t, tt.cl, tt.query); !slices.Equal(got, tt.want) {
				t.Errorf("?%s: %v, want %v", tt.query, got, tt.want)
			}
		})
	}
	t.Run("a_bad_value_is_422_naming_it", func(t *testing.T) {
		r := x.koraCl.Must(http.StatusUnprocessableEntity, "GET", "/api/v1/cases?stalled=ja&overdue=1", nil)
		if f := problemFields(t, r); !slices.Equal(f, []string{"stalled"}) {
			t.Errorf("fields %v", f)
		}
	})
	t.Run("paging_keeps_the_filter", func(t *testing.T) {
		var p1 struct {
			Items      []domain.CaseSummary
			NextCursor *string `json:"next_cursor"`
		}
		x.koraCl.Must(http.StatusOK, "GET", "/api/v1/cases?limit=1&overdue=true", nil).JSON(t, &p1)
		if len(p1.Items) != 1 || p1.NextCursor == nil {
			t.Fatalf("first page %+v", p1)
		}
		seen := []string{p1.Items[0].FounderName}
		for cursor := p1.NextCursor; cursor != nil; {
			var p struct {
				Items      []domain.CaseSummary
				NextCursor *string `json:"next_cursor"`
			}
			x.koraCl.Must(http.StatusOK, "GET", "/api/v1/cases?limit=1&overdue=true&cursor="+url.QueryEscape(*cursor), nil).JSON(t, &p)
			for _, it := range p.Items {
				seen = append(seen, it.FounderName)
			}
			cursor = p.NextCursor
		}
		slices.Sort(seen)
		if !slices.Equal(seen, []string{"Fall K1", "Fall K3", "Fall K5", "Fall K8"}) {
			t.Errorf("pages %v", seen)
		}
	})
	t.Run("the_page_offers_both_checkboxes_and_the_departed_leads", func(t *testing.T) {
		body := string(x.koraCl.Must(http.StatusOK, "GET", "/cases?stalled=true", nil).Body)
		for _, want := range []string{`id="stalled" name="stalled" value="true" checked`, `id="overdue" name="overdue" value="true">`,
			`>cem (deaktiviert)</option>`, `>emil (deaktiviert)</option>`, `>anna</option>`, "Alle Fälle des Trägers Gründungswerkstatt.",
			"Fall K3", "Fall K5"} {
			if !strings.Contains(body, want) {
				t.Errorf("the case list lacks %s", want)
			}
		}
		if strings.Contains(body, "Fall K1<") {
			t.Errorf("the stalled list shows K1")
		}
		adv := string(x.annaCl.Must(http.StatusOK, "GET", "/cases", nil).Body)
		if strings.Contains(adv, "Alle Fälle des Trägers") || strings.Contains(adv, `id="advisor_id"`) {
			t.Errorf("an advisor's list claims the whole carrier or offers the advisor filter")
		}
	})
}

// teamGroups is the team agenda as assignee name → follow-up titles.
func teamGroups(t *testing.T, cl *testenv.Client) (domain.TeamAgenda, map[string][]string, []string) {
	t.Helper()
	var ag domain.TeamAgenda
	cl.Must(http.StatusOK, "GET", "/api/v1/agenda/team", nil).JSON(t, &ag)
	groups := map[string][]string{}
	var order []string
	for _, g := range ag.Assignees {
		order = append(order, g.Name)
		for _, it := range g.Items {
			groups[g.Name] = append(groups[g.Name], it.Title)
		}
	}
	return ag, groups, order
}

func TestTeamAgenda(t *testing.T) {
	x := newCaseloadFixture(t)
	t.Run("every_open_follow_up_of_the_carrier_by_assignee_overdue_first", func(t *testing.T) {
		ag, groups, order := teamGroups(t, x.koraCl)
		if !slices.Equal(order, []string{"anna", "cem", "kora"}) {
			t.Fatalf("groups %v", order)
		}
		if got := groups["anna"]; !slices.Equal(got, []string{"Wiedervorlage F3", "Wiedervorlage F1", "Wiedervorlage F2"}) {
			t.Errorf("anna's follow-ups %v", got)
		}
		if got := groups["cem"]; !slices.Equal(got, []string{"Wiedervorlage F4"}) {
			t.Errorf("cem's follow-ups %v", got)
		}
		anna, cem := ag.Assignees[0], ag.Assignees[1]
		if anna.Overdue != 2 || !anna.Active || cem.Overdue != 1 || cem.Active {
			t.Errorf("anna %+v, cem %+v", anna, cem)
		}
		it := anna.Items[0]
		if it.CaseID != x.k["K3"] || it.FounderName != "Fall K3" || it.CasePhase != "founding" || it.DueOn != x.today.AddDays(-20) {
			t.Errorf("item %+v", it)
		}
		if ag.Today != x.today {
			t.Errorf("today %s", ag.Today)
		}
	})
	t.Run("no_other_carrier_and_no_closed_case", func(t *testing.T) {
		_, groups, _ := teamGroups(t, x.koraCl)
		for name, titles := range groups {
			if slices.Contains(titles, "Wiedervorlage F8") || slices.Contains(titles, "Wiedervorlage F5") || slices.Contains(titles, "Wiedervorlage F6") {
				t.Errorf("%s: %v holds another carrier's, a closed case's or a done follow-up", name, titles)
			}
		}
		_, other, order := teamGroups(t, x.kaiCl)
		if !slices.Equal(order, []string{"dora"}) || !slices.Equal(other["dora"], []string{"Wiedervorlage F8"}) {
			t.Errorf("C2's team agenda %v", other)
		}
	})
	t.Run("only_coordinators", func(t *testing.T) {
		x.annaCl.Must(http.StatusForbidden, "GET", "/api/v1/agenda/team", nil)
		x.pmCl.Must(http.StatusForbidden, "GET", "/api/v1/agenda/team", nil)
		x.adminCl.Must(http.StatusForbidden, "GET", "/agenda/team", nil)
	})
	t.Run("done_from_the_team_page_returns_there", func(t *testing.T) {
		r := postForm(x.koraCl, "/follow-ups/"+x.f["F2"].String()+"/done", url.Values{"version": {"2"}, "back": {"team"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/agenda/team" {
			t.Fatalf("status %d location %q", r.Status, r.Header.Get("Location"))
		}
		_, groups, _ := teamGroups(t, x.koraCl)
		if slices.Contains(groups["anna"], "Wiedervorlage F2") {
			t.Errorf("F2 is still open: %v", groups["anna"])
		}
		page := string(x.koraCl.Must(http.StatusOK, "GET", "/agenda/team", nil).Body)
		for _, want := range []string{"Team-Wiedervorlagen", "Die Wiedervorlage ist erledigt.", `name="back" value="team"`, "Fall K3", "deaktiviert"} {
			if !strings.Contains(page, want) {
				t.Errorf("the team agenda page lacks %q", want)
			}
		}
		if strings.Contains(page, "Fall K9") {
			t.Errorf("the team agenda page shows C2's founder")
		}
	})
	t.Run("the_read_is_audited_per_carrier", func(t *testing.T) {
		var n int
		if err := x.st.DB.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'agenda.team_read' AND carrier_id = $1 AND actor_id = $2`, x.c1, x.kora); err != nil || n == 0 {
			t.Errorf("%d agenda.team_read events (%v)", n, err)
		}
	})
}

// A stalled case of a deactivated advisor is reassigned through the API: its open
// follow-up moves to the new lead's agenda, the team agenda and the caseload follow,
// and the administrators' note about the old lead disappears.
func TestCaseloadReassigningAStalledCaseMovesItsFollowUp(t *testing.T) {
	x := newCaseloadFixture(t)
	userPage := func() string {
		return string(x.adminCl.Must(http.StatusOK, "GET", "/admin/users/"+x.cem.String(), nil).Body)
	}
	t.Run("the_admin_page_counts_the_open_cases_without_case_details", func(t *testing.T) {
		page := userPage()
		for _, want := range []string{"Offene Fälle mit Federführung", "Gründungswerkstatt: 1", "Koordination"} {
			if !strings.Contains(page, want) {
				t.Errorf("the account page lacks %q", want)
			}
		}
		if strings.Contains(page, "Fall K5") || strings.Contains(page, x.k["K5"].String()) {
			t.Errorf("the account page shows counselling content")
		}
		// the confirmation of another, active lead names the count too
		anna := string(x.adminCl.Must(http.StatusOK, "GET", "/admin/users/"+x.anna.String(), nil).Body)
		if !strings.Contains(anna, "Offene Fälle mit dieser Federführung: 4.") || !strings.Contains(anna, "Gründungswerkstatt: 4") {
			t.Errorf("anna's account page does not count her 4 open cases")
		}
		fatma := string(x.adminCl.Must(http.StatusOK, "GET", "/admin/users/"+x.fatma.String(), nil).Body)
		if strings.Contains(fatma, "Offene Fälle mit") {
			t.Errorf("fatma leads nothing, yet her page says so")
		}
	})
	if agenda := x.fatmaCl.Must(http.StatusOK, "GET", "/api/v1/agenda", nil).Map(t); len(agenda["overdue"].([]any)) != 0 {
		t.Fatalf("fatma's agenda before: %v", agenda)
	}
	x.koraCl.Must(http.StatusOK, "PUT", x.casePath("K5", "/advisors"),
		map[string]any{"lead_advisor_id": x.fatma, "co_advisor_ids": []uuid.UUID{}}, "If-Match", x.etag("K5"))

	t.Run("the_follow_up_is_on_the_new_leads_agenda", func(t *testing.T) {
		agenda := x.fatmaCl.Must(http.StatusOK, "GET", "/api/v1/agenda", nil).Map(t)
		overdue := agenda["overdue"].([]any)
		if len(overdue) != 1 || overdue[0].(map[string]any)["id"] != x.f["F4"].String() || overdue[0].(map[string]any)["founder_name"] != "Fall K5" {
			t.Fatalf("fatma's agenda %v", agenda)
		}
	})
	t.Run("the_team_agenda_shows_it_under_the_new_lead", func(t *testing.T) {
		_, groups, order := teamGroups(t, x.koraCl)
		if slices.Contains(order, "cem") || !slices.Equal(groups["fatma"], []string{"Wiedervorlage F4"}) {
			t.Errorf("team agenda %v %v", order, groups)
		}
	})
	t.Run("the_caseload_drops_the_departed_lead", func(t *testing.T) {
		cl := getCaseload(t, x.koraCl, "")
		for _, a := range cl.Advisors {
			if a.AdvisorID == x.cem {
				t.Errorf("cem still has a row: %+v", a)
			}
		}
		w := domain.AdvisorCaseload{AdvisorID: x.fatma, Name: "fatma", Active: true, ActiveCases: domain.PhaseCounts{Founding: 1},
			StalledCases: 1, OverdueFollowUps: 1}
		if got := caseloadRowOf(t, cl, x.fatma); got != w {
			t.Errorf("fatma %+v", got)
		}
	})
	t.Run("the_admin_note_is_gone", func(t *testing.T) {
		if strings.Contains(userPage(), "Offene Fälle mit Federführung") {
			t.Errorf("cem leads nothing any more, yet the note stays")
		}
	})
}

// The caseload page: one table per carrier with header cells, a caption, one h1, the
// stalled list one click from each case; German by default, English on request.
func TestCaseloadPage(t *testing.T) {
	x := newCaseloadFixture(t)
	page := string(x.koraCl.Must(http.StatusOK, "GET", "/caseload", nil).Body)
	for _, want := range []string{"<h1>Fallbelastung</h1>", "<caption>Fallbelastung bei Gründungswerkstatt", `<th scope="col" class="num">Gründung</th>`,
		`<th scope="row"><a href="/cases?advisor_id=` + x.anna.String() + `">anna</a></th>`,
		`<a href="/cases?advisor_id=` + x.cem.String() + `">cem</a> <span class="badge inactive">deaktiviert</span>`,
		`<a href="/cases/` + x.k["K5"].String() + `" dir="auto">Fall K5</a>`, `<a href="/cases/` + x.k["K3"].String() + `" dir="auto">Fall K3</a>`,
		"2,3", // ben: 140 minutes
		"noch kein Gespräch", `href="/cases?stalled=true"`, `aria-current="page"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the caseload page lacks %s", want)
		}
	}
	if strings.Count(page, "<h1") != 1 || strings.Contains(page, "Fall K9") || strings.Contains(page, `id="carrier_id"`) {
		t.Errorf("one h1, no other carrier, no carrier choice for one carrier")
	}
	t.Run("english", func(t *testing.T) {
		en := string(x.koraCl.Must(http.StatusOK, "GET", "/caseload?lang=en", nil).Body)
		for _, want := range []string{"<h1>Caseload</h1>", "Stalled cases", "2.3", "deactivated"} {
			if !strings.Contains(en, want) {
				t.Errorf("the English page lacks %q", want)
			}
		}
		x.koraCl.Do("GET", "/caseload?lang=de", nil)
	})
	t.Run("several_carriers_offer_a_choice", func(t *testing.T) {
		p := string(x.multiCl.Must(http.StatusOK, "GET", "/caseload?carrier_id="+x.c2.String(), nil).Body)
		if !strings.Contains(p, `<select id="carrier_id" name="carrier_id">`) || !strings.Contains(p, "Fall K9") || strings.Contains(p, "Fall K5") {
			t.Errorf("the multi-carrier page does not offer the choice or shows the wrong carrier")
		}
		// without a choice: the first carrier by name (Gründungswerkstatt before Nord)
		if p := string(x.multiCl.Must(http.StatusOK, "GET", "/caseload", nil).Body); !strings.Contains(p, "Fall K5") {
			t.Errorf("the default carrier is not C1")
		}
	})
	t.Run("advisor_sees_their_own_row", func(t *testing.T) {
		p := string(x.annaCl.Must(http.StatusOK, "GET", "/caseload", nil).Body)
		if !strings.Contains(p, ">anna</a>") || strings.Contains(p, ">ben</a>") || strings.Contains(p, "Fall K5") {
			t.Errorf("anna's caseload page shows others")
		}
	})
	t.Run("another_carrier_is_404", func(t *testing.T) {
		x.kaiCl.Must(http.StatusNotFound, "GET", "/caseload?carrier_id="+x.c1.String(), nil)
		x.koraCl.Must(http.StatusNotFound, "GET", "/caseload?carrier_id=nonsense", nil)
	})
}
