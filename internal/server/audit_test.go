package server_test

import (
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
	"github.com/iq-migrantenoekonomie/lotse/web"
)

// auditFixture: carriers C1 and C2. In C1 the advisor anna takes in Amina Yusuf (case
// K1), logs a consultation, writes a note and opens the case; the coordinator kora
// reviews C1. In C2 the advisor dora takes in and opens case K3; kai coordinates C2.
// Someone fails to sign in as anna; the administrator changes emil's roles.
type auditFixture struct {
	app                                          *testenv.App
	c1, c2, anna, dora, kora, emil               uuid.UUID
	k1, k3, consultation, note                   uuid.UUID
	annaCl, doraCl, koraCl, kaiCl, pmCl, adminCl *testenv.Client
}

func newAuditFixture(t *testing.T) *auditFixture {
	t.Helper()
	app := testenv.NewApp(t)
	x := &auditFixture{app: app}
	x.c1, x.c2 = app.Carrier(t, "Gründungswerkstatt"), app.Carrier(t, "Nord")
	x.anna = app.User(t, "anna@c1.de", domain.RoleAdvisor, x.c1)
	x.kora = app.User(t, "kora@c1.de", domain.RoleCoordinator, x.c1)
	x.emil = app.User(t, "emil@c1.de", domain.RoleAdvisor, x.c1)
	x.dora = app.User(t, "dora@c2.de", domain.RoleAdvisor, x.c2)
	app.User(t, "kai@c2.de", domain.RoleCoordinator, x.c2)
	app.User(t, "pm@x.de", domain.RoleProgrammeManager, uuid.Nil)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	x.annaCl, x.doraCl, x.koraCl = app.SignIn(t, "anna@c1.de"), app.SignIn(t, "dora@c2.de"), app.SignIn(t, "kora@c1.de")
	x.kaiCl, x.pmCl, x.adminCl = app.SignIn(t, "kai@c2.de"), app.SignIn(t, "pm@x.de"), app.SignIn(t, "admin@x.de")

	k1, _ := x.annaCl.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})
	x.k1 = uuid.MustParse(k1)
	r := x.annaCl.Must(http.StatusCreated, "POST", "/api/v1/cases/"+k1+"/consultations", map[string]any{
		"date": today().String(), "duration_minutes": 60, "mode": "in_person", "topics": []string{"business_plan"}, "summary": "Erstgespräch"})
	x.consultation = uuid.MustParse(r.Map(t)["id"].(string))
	r = x.annaCl.Must(http.StatusCreated, "POST", "/api/v1/cases/"+k1+"/notes", map[string]any{"body": "Vermerk", "confidential": false})
	x.note = uuid.MustParse(r.Map(t)["id"].(string))
	x.annaCl.Must(http.StatusOK, "GET", "/api/v1/cases/"+k1, nil)
	k3, _ := x.doraCl.NewCase(map[string]any{"founder": testenv.Founder("Lina", "Haddad")})
	x.k3 = uuid.MustParse(k3)
	x.doraCl.Must(http.StatusOK, "GET", "/api/v1/cases/"+k3, nil)

	app.Anonymous(t).Must(http.StatusUnauthorized, "POST", "/api/v1/session", map[string]string{"email": "anna@c1.de", "password": "falsch-falsch-falsch"})
	x.adminCl.Must(http.StatusOK, "PUT", "/api/v1/users/"+x.emil.String()+"/roles", map[string]any{"roles": []map[string]any{
		{"role": domain.RoleAdvisor, "carrier_id": x.c1}, {"role": domain.RoleCoordinator, "carrier_id": x.c1}}})
	return x
}

// auditPage is one answer of GET /api/v1/audit.
type auditPage struct {
	Items      []domain.AuditEvent `json:"items"`
	NextCursor *string             `json:"next_cursor"`
}

func auditList(t *testing.T, cl *testenv.Client, query string) auditPage {
	t.Helper()
	var p auditPage
	cl.Must(http.StatusOK, "GET", "/api/v1/audit?"+query, nil).JSON(t, &p)
	return p
}

// has reports whether events hold one with action (by actor, when actor is set).
func has(events []domain.AuditEvent, action string, actor *uuid.UUID) bool {
	return slices.ContainsFunc(events, func(e domain.AuditEvent) bool {
		return e.Action == action && (actor == nil || (e.ActorID != nil && *e.ActorID == *actor))
	})
}

func actions(events []domain.AuditEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

func TestAuditTrailReading(t *testing.T) {
	x := newAuditFixture(t)

	t.Run("coordinator_sees_who_opened_and_changed_a_case", func(t *testing.T) {
		p := auditList(t, x.koraCl, "object_id="+x.k1.String())
		var read *domain.AuditEvent
		for i, e := range p.Items {
			if e.CarrierID == nil || *e.CarrierID != x.c1 || (e.CaseID == nil || *e.CaseID != x.k1) && (e.ObjectID == nil || *e.ObjectID != x.k1) {
				t.Errorf("event %d (%s) is not about K1 of C1: %+v", e.ID, e.Action, e)
			}
			if e.Action == "case.read" && read == nil {
				read = &p.Items[i]
			}
		}
		if read == nil || read.ActorName == nil || *read.ActorName != "anna" || *read.ActorID != x.anna || read.Outcome != "success" {
			t.Fatalf("no case.read by anna among %v: %+v", actions(p.Items), read)
		}
		// The events on the case's parts name the case.
		for _, part := range []uuid.UUID{x.consultation, x.note} {
			if !slices.ContainsFunc(p.Items, func(e domain.AuditEvent) bool { return e.ObjectID != nil && *e.ObjectID == part }) {
				t.Errorf("the event on %s is missing from the case's events %v", part, actions(p.Items))
			}
		}
		if !has(p.Items, "case.create", &x.anna) || !has(p.Items, "consultation.create", &x.anna) || !has(p.Items, "note.create", &x.anna) {
			t.Errorf("K1's events %v lack the intake, the consultation or the note", actions(p.Items))
		}
	})

	t.Run("coordinator_filters_by_actor_and_action", func(t *testing.T) {
		p := auditList(t, x.koraCl, "actor_id="+x.anna.String())
		if len(p.Items) == 0 || !has(p.Items, "case.read", &x.anna) {
			t.Fatalf("anna's events: %v", actions(p.Items))
		}
		for _, e := range p.Items {
			if e.ActorID == nil || *e.ActorID != x.anna {
				t.Errorf("event %d by %v in anna's events", e.ID, e.ActorID)
			}
		}
		p = auditList(t, x.koraCl, "action=case.read")
		if len(p.Items) == 0 {
			t.Fatal("no case.read")
		}
		for _, e := range p.Items {
			if e.Action != "case.read" {
				t.Errorf("%s among the case.read events", e.Action)
			}
		}
	})

	t.Run("period_is_closed_in_berlin_days", func(t *testing.T) {
		// Events at the edges of 30 March 2025, the 23-hour day the clocks go forward.
		obj := uuid.New()
		at := func(day string, clock string) time.Time {
			tt, err := time.ParseInLocation("2006-01-02 15:04:05.999999", day+" "+clock, domain.Berlin)
			if err != nil {
				t.Fatal(err)
			}
			return tt
		}
		edges := []time.Time{at("2025-03-29", "23:59:59.999999"), at("2025-03-30", "00:00:00"),
			at("2025-03-30", "23:59:59.999999"), at("2025-03-31", "00:00:00")}
		var ids []int64
		for _, ts := range edges {
			var id int64
			if err := x.app.DB.Store.DB.Get(&id, `INSERT INTO audit_events (at, actor_id, action, object_type, object_id, carrier_id, outcome)
				VALUES ($1, $2, 'case.read', 'case', $3, $4, 'success') RETURNING id`, ts, x.anna, obj, x.c1); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		for _, c := range []struct {
			query string
			want  []int64 // newest first
		}{
			{"from=2025-03-30&to=2025-03-30", []int64{ids[2], ids[1]}},
			{"from=2025-03-31", []int64{ids[3]}},
			{"to=2025-03-29", []int64{ids[0]}},
			{"from=2025-03-29&to=2025-03-31", []int64{ids[3], ids[2], ids[1], ids[0]}},
			{"from=2025-04-01", nil},
		} {
			var got []int64
			for _, e := range auditList(t, x.koraCl, "object_id="+obj.String()+"&"+c.query).Items {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: events %v, want %v", c.query, got, c.want)
			}
		}
	})

	t.Run("pages_follow_each_other_without_duplicates_or_gaps", func(t *testing.T) {
		all := auditList(t, x.koraCl, "limit=200")
		if all.NextCursor != nil || len(all.Items) < 5 {
			t.Fatalf("want between 5 and 200 events, have %d (next %v)", len(all.Items), all.NextCursor)
		}
		var want []int64
		for _, e := range all.Items {
			want = append(want, e.ID)
		}
		for _, limit := range []string{"2", "3"} {
			var got []int64
			query := "limit=" + limit
			for pages := 0; ; pages++ {
				if pages > len(want) {
					t.Fatalf("limit %s: more pages than events", limit)
				}
				p := auditList(t, x.koraCl, query)
				for _, e := range p.Items {
					got = append(got, e.ID)
				}
				if p.NextCursor == nil {
					break
				}
				query = "limit=" + limit + "&cursor=" + url.QueryEscape(*p.NextCursor)
			}
			if !slices.Equal(got, want) {
				t.Errorf("limit %s: paged %v, want %v", limit, got, want)
			}
		}
		for i := 1; i < len(want); i++ {
			if want[i] >= want[i-1] {
				t.Fatalf("not newest first: %v", want)
			}
		}
	})

	t.Run("coordinator_never_sees_another_carrier_nor_security_events", func(t *testing.T) {
		p := auditList(t, x.koraCl, "limit=200")
		for _, e := range p.Items {
			if e.CarrierID == nil || *e.CarrierID != x.c1 || domain.IsSecurityAction(e.Action) {
				t.Errorf("C1's coordinator sees %s on carrier %v", e.Action, e.CarrierID)
			}
			if e.ObjectID != nil && *e.ObjectID == x.k3 {
				t.Errorf("C1's coordinator sees %s on K3", e.Action)
			}
		}
		for _, q := range []string{"object_id=" + x.k3.String(), "actor_id=" + x.dora.String(), "action=auth.login",
			"action=auth.login_failed", "object_id=" + x.anna.String(), "action=user.roles_change"} {
			if p := auditList(t, x.koraCl, q); len(p.Items) != 0 {
				t.Errorf("%s: C1's coordinator sees %v", q, actions(p.Items))
			}
		}
		// C2's coordinator sees dora's read of K3, and nothing of C1.
		p = auditList(t, x.kaiCl, "limit=200")
		if !has(p.Items, "case.read", &x.dora) || has(p.Items, "case.read", &x.anna) {
			t.Errorf("C2's coordinator sees %v", actions(p.Items))
		}
	})

	t.Run("admin_sees_security_events_only", func(t *testing.T) {
		p := auditList(t, x.adminCl, "limit=200")
		for _, e := range p.Items {
			if !domain.IsSecurityAction(e.Action) {
				t.Errorf("the administrator sees %s (carrier %v)", e.Action, e.CarrierID)
			}
		}
		if !has(p.Items, "user.roles_change", nil) || !has(p.Items, "auth.login", &x.anna) || has(p.Items, "case.read", nil) {
			t.Errorf("the administrator sees %v", actions(p.Items))
		}
		p = auditList(t, x.adminCl, "action=auth.login_failed")
		if len(p.Items) != 1 {
			t.Fatalf("failed sign-ins: %+v", p.Items)
		}
		if e := p.Items[0]; e.ActorID != nil || e.ObjectID == nil || *e.ObjectID != x.anna || !strings.HasPrefix(e.Outcome, "denied") {
			t.Errorf("the failed sign-in as anna reads %+v", e)
		}
		p = auditList(t, x.adminCl, "object_id="+x.emil.String())
		if len(p.Items) == 0 || !has(p.Items, "user.roles_change", nil) {
			t.Errorf("emil's account events: %v", actions(p.Items))
		}
		if p := auditList(t, x.adminCl, "object_id="+x.k1.String()); len(p.Items) != 0 {
			t.Errorf("the administrator sees the case's events %v", actions(p.Items))
		}
	})

	t.Run("advisor_and_programme_manager_are_refused", func(t *testing.T) {
		mustProblem(t, x.annaCl.Do("GET", "/api/v1/audit", nil), http.StatusForbidden)
		mustProblem(t, x.pmCl.Do("GET", "/api/v1/audit?object_id="+x.k1.String(), nil), http.StatusForbidden)
		mustProblem(t, x.app.Anonymous(t).Do("GET", "/api/v1/audit", nil), http.StatusUnauthorized)
		if r := x.annaCl.Do("GET", "/audit", nil); r.Status != http.StatusForbidden {
			t.Errorf("the page answers an advisor %d", r.Status)
		}
	})

	t.Run("invalid_filters_are_422_and_read_nothing", func(t *testing.T) {
		before := auditCount(t, x.app, "audit.read", nil)
		for _, c := range []struct{ query, field string }{
			{"object_id=nope", "object_id"},
			{"actor_id=123", "actor_id"},
			{"from=2025-02-30", "from"},
			{"to=gestern", "to"},
			{"from=2025-05-02&to=2025-05-01", "to"},
			{"cursor=!!!", "cursor"},
			{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("abc")), "cursor"},
			{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("0")), "cursor"},
			{"limit=201", "limit"},
			{"limit=zehn", "limit"},
		} {
			p := mustProblem(t, x.koraCl.Do("GET", "/api/v1/audit?"+c.query, nil), http.StatusUnprocessableEntity)
			if !slices.Contains(p.fields(), c.field) {
				t.Errorf("%s: fields %v, want %s", c.query, p.fields(), c.field)
			}
		}
		if r := x.koraCl.Do("GET", "/audit?from=2025-05-02&to=2025-05-01", nil); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(string(r.Body), "Das Ende des Zeitraums liegt vor seinem Anfang.") || strings.Contains(string(r.Body), `id="audit-events"`) {
			t.Errorf("the page answers an invalid period with %d", r.Status)
		}
		if after := auditCount(t, x.app, "audit.read", nil); after != before {
			t.Errorf("invalid filters wrote %d audit.read events", after-before)
		}
	})

	t.Run("each_read_is_audited_once", func(t *testing.T) {
		count := func() int {
			var n int
			if err := x.app.DB.Store.DB.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'audit.read' AND actor_id = $1
				AND object_id IS NULL AND carrier_id IS NULL`, x.kora); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		auditList(t, x.koraCl, "limit=2")
		x.koraCl.Must(http.StatusOK, "GET", "/audit?object_id="+x.k1.String(), nil)
		if n := count() - before; n != 2 {
			t.Errorf("two reads wrote %d audit.read events", n)
		}
	})

	t.Run("answers_match_openapi", func(t *testing.T) {
		v := newAPIChecker(t, x.app)
		r := v.do(x.koraCl, 200, "GET", "/api/v1/audit?object_id="+x.k1.String()+"&from=2025-01-01&to=2099-12-31&limit=2", nil)
		for _, it := range r.Map(t)["items"].([]any) {
			if at, _ := it.(map[string]any)["at"].(string); !strings.HasSuffix(at, "Z") {
				t.Errorf("timestamp %q is not in UTC", at)
			}
		}
		v.do(x.adminCl, 200, "GET", "/api/v1/audit?action=auth.login_failed", nil)
		v.do(x.annaCl, 403, "GET", "/api/v1/audit", nil)
		v.do(x.koraCl, 422, "GET", "/api/v1/audit?actor_id=x", nil)
	})
}

// The audit page answers "who opened or changed this case?" under the case's number,
// never its founder's name; the case page and the navigation link there only for those
// who may read the trail.
func TestAuditPage(t *testing.T) {
	x := newAuditFixture(t)
	body := string(x.koraCl.Must(http.StatusOK, "GET", "/cases/"+x.k1.String(), nil).Body)
	if !strings.Contains(body, `href="/audit?object_id=`+x.k1.String()+`"`) || !strings.Contains(body, `href="/audit"`) {
		t.Error("the coordinator's case page does not link to the case's audit trail")
	}
	body = string(x.annaCl.Must(http.StatusOK, "GET", "/cases/"+x.k1.String(), nil).Body)
	if strings.Contains(body, `/audit`) {
		t.Error("the advisor's case page links to the audit trail")
	}

	body = string(x.koraCl.Must(http.StatusOK, "GET", "/audit?object_id="+x.k1.String(), nil).Body)
	for _, want := range []string{"Wer hat Fall F-", "Fall geöffnet", "anna", "Beratungsgespräch erfasst", `href="/cases/` + x.k1.String() + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the case's audit page lacks %q", want)
		}
	}
	if strings.Contains(body, "Yusuf") || strings.Contains(body, "Amina") {
		t.Error("the audit page names the founder")
	}
	body = string(x.koraCl.Must(http.StatusOK, "GET", "/audit?lang=en&actor_id="+x.anna.String(), nil).Body)
	if !strings.Contains(body, "Case opened") || !strings.Contains(body, `<option value="`+x.anna.String()+`" selected>anna`) {
		t.Error("the English page filtered by anna does not show her case reads")
	}

	body = string(x.adminCl.Must(http.StatusOK, "GET", "/audit?action=auth.login_failed", nil).Body)
	for _, want := range []string{"Anmeldung fehlgeschlagen", "Konto: anna", "nicht angemeldet", "abgelehnt"} {
		if !strings.Contains(body, want) {
			t.Errorf("the administrator's audit page lacks %q", want)
		}
	}
	if strings.Contains(body, "/cases/") {
		t.Error("the administrator's audit page links to a case")
	}
	body = string(x.adminCl.Must(http.StatusOK, "GET", "/audit?object_id="+uuid.NewString(), nil).Body)
	if !strings.Contains(body, "Keine Einträge für diese Auswahl.") {
		t.Error("no empty state")
	}
}

// Every security action the code records is listed in domain.AuditActions — the
// security events are read one listed action at a time, so an unlisted one would never
// be shown — and every listed action has a label in every language.
func TestAuditActionsAreListedAndLabelled(t *testing.T) {
	var alts []string
	for _, p := range domain.SecurityActionPrefixes {
		alts = append(alts, regexp.QuoteMeta(p))
	}
	// Events are recorded as Event{Action: "…"}: other strings (message ids such as
	// "audit.title") are not actions.
	literal := regexp.MustCompile(`Action:\s*"((?:` + strings.Join(alts, "|") + `)[a-z_.]+)"`)
	security := domain.SecurityActions()
	root := filepath.Join("..", "..")
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") ||
				strings.HasSuffix(p, filepath.Join("domain", "audit.go")) {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
				if !slices.Contains(security, m[1]) {
					t.Errorf("%s records the security action %s, which domain.AuditActions does not list", p, m[1])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range []string{"de", "en"} {
		b, err := fs.ReadFile(web.Locales, "locales/audit."+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, a := range domain.AuditActions {
			if m["audit_action."+a] == "" {
				t.Errorf("audit_action.%s has no %s label", a, lang)
			}
		}
	}
	if len(security) < 10 || slices.ContainsFunc(security, func(a string) bool { return !domain.IsSecurityAction(a) }) {
		t.Errorf("security actions %v", security)
	}
}
