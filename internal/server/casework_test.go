package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// casework is one case of carrier C1 led by "lead", co-advised by "co", with the people
// around it: a same-carrier advisor not on the case ("peer"), the coordinator, an
// advisor of another carrier, a programme manager and an admin.
type casework struct {
	app                              *testenv.App
	lead, co, peer, coord, other, pm *testenv.Client
	admin                            *testenv.Client
	leadID, coID, peerID, coordID    uuid.UUID
	caseID                           string
	carrier                          uuid.UUID
}

func newCasework(t *testing.T) *casework {
	t.Helper()
	app := testenv.NewApp(t)
	c1, c2 := app.Carrier(t, "C1"), app.Carrier(t, "C2")
	w := &casework{app: app, carrier: c1}
	w.leadID = app.User(t, "lead@x.de", domain.RoleAdvisor, c1)
	w.coID = app.User(t, "co@x.de", domain.RoleAdvisor, c1)
	w.peerID = app.User(t, "peer@x.de", domain.RoleAdvisor, c1)
	w.coordID = app.User(t, "coord@x.de", domain.RoleCoordinator, c1)
	app.User(t, "other@x.de", domain.RoleAdvisor, c2)
	app.User(t, "pm@x.de", domain.RoleProgrammeManager, uuid.Nil)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	w.lead, w.co, w.peer = app.SignIn(t, "lead@x.de"), app.SignIn(t, "co@x.de"), app.SignIn(t, "peer@x.de")
	w.coord, w.other = app.SignIn(t, "coord@x.de"), app.SignIn(t, "other@x.de")
	w.pm, w.admin = app.SignIn(t, "pm@x.de"), app.SignIn(t, "admin@x.de")
	for _, cl := range []*testenv.Client{w.lead, w.co, w.peer, w.coord, w.other, w.pm, w.admin} {
		cl.Header.Set("Accept-Language", "en")
	}
	var etag string
	w.caseID, etag = w.lead.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})
	w.coord.Must(http.StatusOK, "PUT", "/api/v1/cases/"+w.caseID+"/advisors",
		map[string]any{"lead_advisor_id": w.leadID, "co_advisor_ids": []uuid.UUID{w.coID}}, "If-Match", etag)
	return w
}

func (w *casework) path(rest string) string { return "/api/v1/cases/" + w.caseID + rest }

func (w *casework) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := w.app.DB.Store.DB.Get(&n, `SELECT count(*) FROM `+table); err != nil {
		t.Fatal(err)
	}
	return n
}

func today() domain.Date { return domain.DayOf(time.Now()) }

func consultation(overrides map[string]any) map[string]any {
	m := map[string]any{"date": today().String(), "duration_minutes": 60, "mode": "in_person",
		"topics": []string{"business_plan", "financing"}, "languages": []string{"de", "so"},
		"summary": "Businessplan besprochen.\nFinanzierungsbedarf geschätzt."}
	for k, v := range overrides {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// problemFields returns the field names of a problem+json answer.
func problemFields(t *testing.T, r testenv.Response) []string {
	t.Helper()
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	r.JSON(t, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func detail(t *testing.T, r testenv.Response) string {
	t.Helper()
	return fmt.Sprint(r.Map(t)["detail"])
}

func TestCatalogIsServedToEverySignedInUser(t *testing.T) {
	w := newCasework(t)
	m := w.pm.Must(http.StatusOK, "GET", "/api/v1/catalog", nil).Map(t)
	for _, k := range []string{"phases", "statuses", "closing_reasons", "topics", "modes", "milestone_types", "referral_sources"} {
		if m[k] == nil {
			t.Errorf("catalog without %s", k)
		}
	}
	if ms := m["milestone_types"].(map[string]any)["founding"].([]any); !slices.Contains(ms, any("business_registered")) {
		t.Errorf("founding milestones %v", ms)
	}
	w.app.Anonymous(t).Must(http.StatusUnauthorized, "GET", "/api/v1/catalog", nil)
}

func TestConsultationRules(t *testing.T) {
	w := newCasework(t)
	long := strings.Repeat("x", 20001)
	tests := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"valid_consultation_is_logged", consultation(nil), 201, ""},
		{"valid_with_prep_interpreter_next_steps", consultation(map[string]any{"prep_minutes": 0, "interpreter": true, "next_steps": "Bank anrufen", "mode": "outreach"}), 201, ""},
		{"date_in_future_is_refused", consultation(map[string]any{"date": today().AddDays(1).String()}), 422, "date"},
		{"date_missing_is_refused", consultation(map[string]any{"date": nil}), 422, "date"},
		// the shared decoder cannot name the field of a malformed date (bind.go): status only
		{"date_malformed_is_refused", consultation(map[string]any{"date": "01.02.2026"}), 422, "-"},
		{"duration_zero_is_refused", consultation(map[string]any{"duration_minutes": 0}), 422, "duration_minutes"},
		{"duration_over_600_is_refused", consultation(map[string]any{"duration_minutes": 601}), 422, "duration_minutes"},
		{"negative_prep_is_refused", consultation(map[string]any{"prep_minutes": -5}), 422, "prep_minutes"},
		{"no_topic_is_refused", consultation(map[string]any{"topics": []string{}}), 422, "topics"},
		{"unknown_topic_is_refused", consultation(map[string]any{"topics": []string{"astrology"}}), 422, "topics[0]"},
		{"duplicate_topic_is_refused", consultation(map[string]any{"topics": []string{"financing", "financing"}}), 422, "topics"},
		{"unknown_mode_is_refused", consultation(map[string]any{"mode": "telepathy"}), 422, "mode"},
		{"language_not_iso_639_1_is_refused", consultation(map[string]any{"languages": []string{"deu"}}), 422, "languages[0]"},
		{"missing_summary_is_refused", consultation(map[string]any{"summary": nil}), 422, "summary"},
		{"blank_summary_is_refused", consultation(map[string]any{"summary": "   "}), 422, "summary"},
		{"overlong_summary_is_refused", consultation(map[string]any{"summary": long}), 422, "summary"},
		{"follow_up_in_past_is_refused", consultation(map[string]any{"follow_up_on": today().AddDays(-1).String()}), 422, "follow_up_on"},
		{"unknown_field_is_refused", consultation(map[string]any{"phase": "handover"}), 400, "phase"},
	}
	created := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.lead.Must(tt.status, "POST", w.path("/consultations"), tt.body)
			if tt.status == 201 {
				created++
				m := r.Map(t)
				if m["phase"] != "founding" || m["advisor_id"] != w.leadID.String() || r.Header.Get("ETag") != `"1"` {
					t.Errorf("answer %v etag %s", m, r.Header.Get("ETag"))
				}
				return
			}
			if f := problemFields(t, r); tt.field != "-" && !slices.Contains(f, tt.field) {
				t.Errorf("fields %v, want %s: %s", f, tt.field, r.Body)
			}
		})
	}
	if n := w.count(t, "consultations"); n != created {
		t.Errorf("%d consultations stored, want %d: a refused one changed something", n, created)
	}
	t.Run("list_is_newest_first_and_in_scope_only", func(t *testing.T) {
		w.lead.Must(201, "POST", w.path("/consultations"), consultation(map[string]any{"date": today().AddDays(-20).String()}))
		items := w.coord.Must(200, "GET", w.path("/consultations"), nil).Map(t)["items"].([]any)
		if len(items) != created+1 || items[len(items)-1].(map[string]any)["date"] != today().AddDays(-20).String() {
			t.Errorf("items %v", items)
		}
		w.peer.Must(404, "GET", w.path("/consultations"), nil)
		w.other.Must(404, "GET", w.path("/consultations"), nil)
		w.pm.Must(403, "GET", w.path("/consultations"), nil)
		w.admin.Must(403, "POST", w.path("/consultations"), consultation(nil))
		w.other.Must(404, "POST", w.path("/consultations"), consultation(nil))
		w.peer.Must(404, "POST", w.path("/consultations"), consultation(nil))
		w.lead.Must(404, "POST", "/api/v1/cases/"+uuid.NewString()+"/consultations", consultation(nil))
	})
}

func TestConsultationFollowUpOnCreatesAFollowUpForTheLead(t *testing.T) {
	w := newCasework(t)
	due := today().AddDays(7).String()
	// logged by the co-advisor: the follow-up still goes to the lead advisor
	k := w.co.Must(201, "POST", w.path("/consultations"), consultation(map[string]any{
		"follow_up_on": due, "next_steps": "Unterlagen für die Bank zusammenstellen\nund Termin machen"}), "Idempotency-Key", "k-1").Map(t)
	// a retry must not create a second follow-up
	w.co.Must(201, "POST", w.path("/consultations"), consultation(map[string]any{
		"follow_up_on": due, "next_steps": "Unterlagen für die Bank zusammenstellen\nund Termin machen"}), "Idempotency-Key", "k-1")
	items := w.lead.Must(200, "GET", w.path("/follow-ups"), nil).Map(t)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("%d follow-ups: %v", len(items), items)
	}
	f := items[0].(map[string]any)
	if f["consultation_id"] != k["id"] || f["assignee_id"] != w.leadID.String() || f["due_on"] != due ||
		f["title"] != "Unterlagen für die Bank zusammenstellen" || f["created_by"] != w.coID.String() {
		t.Errorf("follow-up %v", f)
	}
	t.Run("title_falls_back_to_the_summary", func(t *testing.T) {
		w.lead.Must(201, "POST", w.path("/consultations"), consultation(map[string]any{"follow_up_on": due, "summary": strings.Repeat("ä", 100)}))
		items := w.lead.Must(200, "GET", w.path("/follow-ups"), nil).Map(t)["items"].([]any)
		titles := []string{}
		for _, it := range items {
			titles = append(titles, it.(map[string]any)["title"].(string))
		}
		if !slices.Contains(titles, strings.Repeat("ä", 79)+"…") {
			t.Errorf("titles %q", titles)
		}
	})
	t.Run("refused_consultation_leaves_no_follow_up", func(t *testing.T) {
		before := w.count(t, "follow_ups")
		w.lead.Must(422, "POST", w.path("/consultations"), consultation(map[string]any{"follow_up_on": due, "duration_minutes": 0}))
		if w.count(t, "follow_ups") != before {
			t.Error("a refused consultation created a follow-up")
		}
	})
	t.Run("editing_follow_up_on_moves_the_open_follow_up", func(t *testing.T) {
		later := today().AddDays(10).String()
		r := w.co.Must(200, "PATCH", "/api/v1/consultations/"+k["id"].(string), map[string]any{"follow_up_on": later}, "If-Match", `"1"`)
		if r.Map(t)["follow_up_on"] != later {
			t.Errorf("answer %s", r.Body)
		}
		var dues []string
		if err := w.app.DB.Store.DB.Select(&dues, `SELECT due_on::text FROM follow_ups WHERE consultation_id = $1`, k["id"]); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(dues, []string{later}) {
			t.Errorf("follow-ups of the consultation due %v", dues)
		}
	})
}

func TestConsultationStoresThePhaseAtItsDate(t *testing.T) {
	w := newCasework(t)
	etag := w.lead.Must(200, "GET", w.path(""), nil).Header.Get("ETag")
	w.lead.Must(200, "POST", w.path("/phase"), map[string]any{"phase": "consolidation"}, "If-Match", etag)
	// history: opened in founding 60 days ago, consolidation since 30 days ago
	db := w.app.DB.Store.DB
	if _, err := db.Exec(`UPDATE phase_transitions SET at = now() - interval '60 days' WHERE case_id = $1 AND from_phase IS NULL`, w.caseID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE phase_transitions SET at = now() - interval '30 days' WHERE case_id = $1 AND to_phase = 'consolidation'`, w.caseID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		days  int
		phase string
	}{
		{"before_the_first_transition_the_initial_phase", -90, "founding"},
		{"between_transitions_the_earlier_phase", -45, "founding"},
		{"after_the_change_the_new_phase", -10, "consolidation"},
		{"today_the_current_phase", 0, "consolidation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := w.lead.Must(201, "POST", w.path("/consultations"), consultation(map[string]any{"date": today().AddDays(tt.days).String()})).Map(t)
			if m["phase"] != tt.phase {
				t.Errorf("phase %v, want %s", m["phase"], tt.phase)
			}
		})
	}
	t.Run("moving_the_date_back_fixes_the_phase_anew", func(t *testing.T) {
		m := w.lead.Must(201, "POST", w.path("/consultations"), consultation(nil)).Map(t)
		r := w.lead.Must(200, "PATCH", "/api/v1/consultations/"+m["id"].(string),
			map[string]any{"date": today().AddDays(-45).String()}, "If-Match", `"1"`).Map(t)
		if r["phase"] != "founding" || r["version"] != float64(2) {
			t.Errorf("after edit %v", r)
		}
	})
}

func TestConsultationIsEditedByItsAuthorOnly(t *testing.T) {
	w := newCasework(t)
	r := w.lead.Must(201, "POST", w.path("/consultations"), consultation(nil))
	id := r.Map(t)["id"].(string)
	path := "/api/v1/consultations/" + id
	edit := map[string]any{"duration_minutes": 90, "topics": []string{"residence_law"}}
	t.Run("without_if_match_428", func(t *testing.T) { w.lead.Must(428, "PATCH", path, edit) })
	t.Run("non_author_co_advisor_gets_403_saying_why", func(t *testing.T) {
		r := w.co.Must(403, "PATCH", path, edit, "If-Match", `"1"`)
		if d := detail(t, r); !strings.Contains(d, "Only the author") {
			t.Errorf("detail %q", d)
		}
	})
	t.Run("coordinator_may_never_edit_403", func(t *testing.T) { w.coord.Must(403, "PATCH", path, edit, "If-Match", `"1"`) })
	t.Run("advisor_not_on_the_case_gets_404", func(t *testing.T) { w.peer.Must(404, "PATCH", path, edit, "If-Match", `"1"`) })
	t.Run("other_carrier_gets_404", func(t *testing.T) { w.other.Must(404, "PATCH", path, edit, "If-Match", `"1"`) })
	t.Run("programme_manager_gets_403", func(t *testing.T) { w.pm.Must(403, "PATCH", path, edit, "If-Match", `"1"`) })
	t.Run("unknown_id_404", func(t *testing.T) {
		w.lead.Must(404, "PATCH", "/api/v1/consultations/"+uuid.NewString(), edit, "If-Match", `"1"`)
	})
	t.Run("author_edits_with_if_match", func(t *testing.T) {
		r := w.lead.Must(200, "PATCH", path, edit, "If-Match", `"1"`)
		m := r.Map(t)
		if m["duration_minutes"] != float64(90) || m["mode"] != "in_person" || r.Header.Get("ETag") != `"2"` {
			t.Errorf("after edit %v, etag %s", m, r.Header.Get("ETag"))
		}
	})
	t.Run("stale_if_match_412", func(t *testing.T) { w.lead.Must(412, "PATCH", path, edit, "If-Match", `"1"`) })
	t.Run("invalid_edit_422_changes_nothing", func(t *testing.T) {
		w.lead.Must(422, "PATCH", path, map[string]any{"date": today().AddDays(3).String()}, "If-Match", `"2"`)
		if m := w.lead.Must(200, "GET", w.path("/consultations"), nil).Map(t)["items"].([]any)[0].(map[string]any); m["version"] != float64(2) {
			t.Errorf("changed: %v", m)
		}
	})
}

func TestClosedCaseRefusesCasework(t *testing.T) {
	w := newCasework(t)
	fu := w.lead.Must(201, "POST", w.path("/follow-ups"), map[string]any{"due_on": today().AddDays(3).String(), "title": "Anrufen"}).Map(t)
	k := w.lead.Must(201, "POST", w.path("/consultations"), consultation(nil)).Map(t)
	etag := w.lead.Must(200, "GET", w.path(""), nil).Header.Get("ETag")
	w.lead.Must(200, "POST", w.path("/close"), map[string]any{"reason": "abandoned"}, "If-Match", etag)
	before := w.count(t, "consultations") + w.count(t, "notes") + w.count(t, "milestones") + w.count(t, "follow_ups")
	creates := []struct {
		name, path string
		body       map[string]any
	}{
		{"consultation", "/consultations", consultation(map[string]any{"follow_up_on": today().AddDays(2).String()})},
		{"note", "/notes", map[string]any{"body": "x"}},
		{"milestone", "/milestones", map[string]any{"type": "business_plan_completed"}},
		{"follow_up", "/follow-ups", map[string]any{"due_on": today().String(), "title": "x"}},
	}
	for _, c := range creates {
		t.Run(c.name+"_is_refused_with_409", func(t *testing.T) {
			r := w.lead.Must(409, "POST", w.path(c.path), c.body)
			if d := detail(t, r); !strings.Contains(d, "The case is closed") {
				t.Errorf("detail %q", d)
			}
		})
	}
	if after := w.count(t, "consultations") + w.count(t, "notes") + w.count(t, "milestones") + w.count(t, "follow_ups"); after != before {
		t.Errorf("%d rows before, %d after", before, after)
	}
	t.Run("editing_a_consultation_is_refused_with_409", func(t *testing.T) {
		w.lead.Must(409, "PATCH", "/api/v1/consultations/"+k["id"].(string), map[string]any{"duration_minutes": 5}, "If-Match", `"1"`)
	})
	t.Run("a_follow_up_can_still_be_marked_done", func(t *testing.T) {
		w.lead.Must(200, "PATCH", "/api/v1/follow-ups/"+fu["id"].(string), map[string]any{"done": true}, "If-Match", `"1"`)
	})
}

func TestConfidentialNotesAreReadByTheirAuthorAlone(t *testing.T) {
	w := newCasework(t)
	secret := w.lead.Must(201, "POST", w.path("/notes"), map[string]any{"body": "Vertraulich: gesundheitliche Lage", "confidential": true}).Map(t)
	w.lead.Must(201, "POST", w.path("/notes"), map[string]any{"body": "Offener Vermerk", "confidential": false})
	secretID := secret["id"].(string)

	noteIDs := func(t *testing.T, r testenv.Response) []string {
		var ids []string
		for _, it := range r.Map(t)["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		return ids
	}
	t.Run("author_sees_it_in_list_and_timeline", func(t *testing.T) {
		if ids := noteIDs(t, w.lead.Must(200, "GET", w.path("/notes"), nil)); len(ids) != 2 || !slices.Contains(ids, secretID) {
			t.Errorf("notes %v", ids)
		}
		if ids := noteIDs(t, w.lead.Must(200, "GET", w.path("/timeline"), nil)); !slices.Contains(ids, secretID) {
			t.Errorf("timeline %v", ids)
		}
	})
	for _, tt := range []struct {
		name       string
		cl         *testenv.Client
		listStatus int
	}{
		{"co_advisor", w.co, 200},
		{"coordinator", w.coord, 200},
		{"other_carrier_advisor", w.other, 404},
		{"programme_manager", w.pm, 403},
	} {
		t.Run(tt.name+"_never_sees_it", func(t *testing.T) {
			r := tt.cl.Must(tt.listStatus, "GET", w.path("/notes"), nil)
			if tt.listStatus == 200 {
				ids := noteIDs(t, r)
				if len(ids) != 1 || slices.Contains(ids, secretID) || strings.Contains(string(r.Body), "Vertraulich") {
					t.Errorf("notes %s", r.Body)
				}
			}
			r = tt.cl.Do("GET", w.path("/timeline"), nil)
			if r.Status == 200 && strings.Contains(string(r.Body), secretID) {
				t.Errorf("timeline shows it: %s", r.Body)
			}
			if r.Status != tt.listStatus {
				t.Errorf("timeline status %d", r.Status)
			}
			want := 404
			if tt.listStatus == 403 {
				want = 403
			}
			tt.cl.Must(want, "PATCH", "/api/v1/notes/"+secretID, map[string]any{"body": "überschrieben"}, "If-Match", `"1"`)
		})
	}
	t.Run("store_leaves_the_note_out_for_others", func(t *testing.T) {
		has := func(user uuid.UUID) bool {
			ns, err := w.app.DB.Store.Notes(context.Background(), domain.Actor{UserID: user}, uuid.MustParse(w.caseID))
			if err != nil {
				t.Fatal(err)
			}
			return slices.ContainsFunc(ns, func(n domain.Note) bool { return n.ID.String() == secretID })
		}
		if has(w.coordID) {
			t.Error("the coordinator reads another's confidential note")
		}
		if !has(w.leadID) {
			t.Error("the author does not read their own confidential note")
		}
	})
	t.Run("others_confidential_notes_are_hidden_from_the_author_too", func(t *testing.T) {
		w.co.Must(201, "POST", w.path("/notes"), map[string]any{"body": "Notiz der Mitberatung", "confidential": true})
		r := w.lead.Must(200, "GET", w.path("/notes"), nil)
		if strings.Contains(string(r.Body), "Mitberatung") {
			t.Errorf("lead sees co-advisor's confidential note: %s", r.Body)
		}
	})
}

func TestNoteIsEditedByItsAuthorKeepingTheEarlierText(t *testing.T) {
	w := newCasework(t)
	n := w.lead.Must(201, "POST", w.path("/notes"), map[string]any{"body": "Erste Fassung", "confidential": false}).Map(t)
	path := "/api/v1/notes/" + n["id"].(string)
	t.Run("without_if_match_428", func(t *testing.T) { w.lead.Must(428, "PATCH", path, map[string]any{"body": "x"}) })
	t.Run("non_author_who_sees_it_gets_403", func(t *testing.T) {
		w.co.Must(403, "PATCH", path, map[string]any{"body": "x"}, "If-Match", `"1"`)
		w.coord.Must(403, "PATCH", path, map[string]any{"body": "x"}, "If-Match", `"1"`)
	})
	t.Run("blank_body_422", func(t *testing.T) { w.lead.Must(422, "PATCH", path, map[string]any{"body": " "}, "If-Match", `"1"`) })
	t.Run("author_edits_and_the_revision_is_kept", func(t *testing.T) {
		m := w.lead.Must(200, "PATCH", path, map[string]any{"body": "Zweite Fassung"}, "If-Match", `"1"`).Map(t)
		if m["body"] != "Zweite Fassung" || m["version"] != float64(2) || m["confidential"] != false {
			t.Errorf("after edit %v", m)
		}
		var rev struct {
			Version int    `db:"version"`
			Body    string `db:"body"`
		}
		if err := w.app.DB.Store.DB.Get(&rev, `SELECT version, body FROM note_revisions WHERE note_id = $1`, n["id"]); err != nil {
			t.Fatal(err)
		}
		if rev.Version != 1 || rev.Body != "Erste Fassung" {
			t.Errorf("revision %+v", rev)
		}
	})
	t.Run("stale_if_match_412", func(t *testing.T) {
		w.lead.Must(412, "PATCH", path, map[string]any{"body": "Dritte"}, "If-Match", `"1"`)
	})
}

func TestCreatingPostsAreIdempotent(t *testing.T) {
	w := newCasework(t)
	tests := []struct {
		name, path, table string
		body, other       map[string]any
	}{
		{"consultation", "/consultations", "consultations", consultation(nil), consultation(map[string]any{"duration_minutes": 45})},
		{"note", "/notes", "notes", map[string]any{"body": "Vermerk"}, map[string]any{"body": "Anderer Vermerk"}},
		{"milestone", "/milestones", "milestones", map[string]any{"type": "financing_secured"}, map[string]any{"type": "first_revenue"}},
		{"follow_up", "/follow-ups", "follow_ups", map[string]any{"due_on": today().String(), "title": "Anrufen"}, map[string]any{"due_on": today().String(), "title": "Mailen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"_same_key_same_body_gives_the_same_id", func(t *testing.T) {
			key := "key-" + tt.name
			a := w.lead.Must(201, "POST", w.path(tt.path), tt.body, "Idempotency-Key", key).Map(t)
			b := w.lead.Must(201, "POST", w.path(tt.path), tt.body, "Idempotency-Key", key).Map(t)
			if a["id"] != b["id"] {
				t.Errorf("ids %v and %v", a["id"], b["id"])
			}
			if n := w.count(t, tt.table); n != 1 {
				t.Errorf("%d rows", n)
			}
			r := w.lead.Must(422, "POST", w.path(tt.path), tt.other, "Idempotency-Key", key)
			if f := problemFields(t, r); !slices.Contains(f, "Idempotency-Key") {
				t.Errorf("fields %v", f)
			}
			if n := w.count(t, tt.table); n != 1 {
				t.Errorf("%d rows after reuse", n)
			}
		})
	}
}

func TestMilestones(t *testing.T) {
	w := newCasework(t)
	t.Run("type_outside_the_catalogue_422", func(t *testing.T) {
		r := w.lead.Must(422, "POST", w.path("/milestones"), map[string]any{"type": "world_domination"})
		if !slices.Contains(problemFields(t, r), "type") {
			t.Error(string(r.Body))
		}
	})
	t.Run("achieved_in_future_422", func(t *testing.T) {
		w.lead.Must(422, "POST", w.path("/milestones"), map[string]any{"type": "first_revenue", "achieved_on": today().AddDays(1).String()})
	})
	t.Run("type_of_another_phase_is_accepted", func(t *testing.T) {
		w.lead.Must(201, "POST", w.path("/milestones"), map[string]any{"type": "successor_found", "target_on": today().AddDays(100).String()})
	})
	registered := today().AddDays(-3).String()
	var mid string
	t.Run("achieving_business_registered_sets_founded_on", func(t *testing.T) {
		m := w.lead.Must(201, "POST", w.path("/milestones"), map[string]any{"type": "business_registered", "target_on": today().AddDays(10).String()}).Map(t)
		mid = m["id"].(string)
		if cs := w.lead.Must(200, "GET", w.path(""), nil).Map(t); cs["business"].(map[string]any)["founded_on"] != nil {
			t.Fatalf("founded before achievement: %v", cs["business"])
		}
		before := w.lead.Must(200, "GET", w.path(""), nil).Map(t)["version"].(float64)
		r := w.lead.Must(200, "PATCH", "/api/v1/milestones/"+mid, map[string]any{"achieved_on": registered, "note": "Gewerbeamt Duisburg"}, "If-Match", `"1"`).Map(t)
		if r["achieved_on"] != registered || r["target_on"] == nil || r["version"] != float64(2) {
			t.Errorf("milestone %v", r)
		}
		cs := w.lead.Must(200, "GET", w.path(""), nil).Map(t)
		if cs["business"].(map[string]any)["founded_on"] != registered || cs["version"].(float64) != before+1 {
			t.Errorf("case %v", cs)
		}
	})
	t.Run("a_later_registration_keeps_the_first_founding_date", func(t *testing.T) {
		w.lead.Must(201, "POST", w.path("/milestones"), map[string]any{"type": "business_registered", "achieved_on": today().String()})
		if f := w.lead.Must(200, "GET", w.path(""), nil).Map(t)["business"].(map[string]any)["founded_on"]; f != registered {
			t.Errorf("founded_on %v", f)
		}
	})
	t.Run("patch_needs_if_match", func(t *testing.T) {
		w.lead.Must(428, "PATCH", "/api/v1/milestones/"+mid, map[string]any{"note": "x"})
		w.lead.Must(412, "PATCH", "/api/v1/milestones/"+mid, map[string]any{"note": "x"}, "If-Match", `"1"`)
		w.other.Must(404, "PATCH", "/api/v1/milestones/"+mid, map[string]any{"note": "x"}, "If-Match", `"2"`)
		w.coord.Must(200, "PATCH", "/api/v1/milestones/"+mid, map[string]any{"note": "x"}, "If-Match", `"2"`)
	})
	if items := w.co.Must(200, "GET", w.path("/milestones"), nil).Map(t)["items"].([]any); len(items) != 3 {
		t.Errorf("%d milestones", len(items))
	}
}

func TestFollowUpsAndAgenda(t *testing.T) {
	w := newCasework(t)
	ctx := context.Background()
	st := w.app.DB.Store
	caseID := uuid.MustParse(w.caseID)
	lead := domain.Actor{UserID: w.leadID}
	// Overdue follow-ups were set in the past, when their day lay ahead: made today, then
	// moved back in the table.
	add := func(days int, title string) uuid.UUID {
		f, err := st.CreateFollowUp(ctx, lead, caseID, domain.FollowUpInput{DueOn: today().AddDays(max(days, 0)), Title: title}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.ExecContext(ctx, `UPDATE follow_ups SET due_on = $2 WHERE id = $1`, f.ID, today().AddDays(days)); err != nil {
			t.Fatal(err)
		}
		return f.ID
	}
	add(-2, "overdue 2")
	add(-10, "overdue 10")
	add(14, "in 14")
	add(15, "in 15")
	add(0, "today")
	add(3, "in 3")
	done := add(1, "done")
	w.lead.Must(200, "PATCH", "/api/v1/follow-ups/"+done.String(), map[string]any{"done": true}, "If-Match", `"1"`)
	// someone else's follow-up in the same case
	w.lead.Must(201, "POST", w.path("/follow-ups"), map[string]any{"due_on": today().String(), "title": "co's", "assignee_id": w.coID})

	titles := func(items []any) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.(map[string]any)["title"].(string))
		}
		return out
	}
	t.Run("overdue_first_oldest_first_then_the_next_14_days", func(t *testing.T) {
		a := w.lead.Must(200, "GET", "/api/v1/agenda", nil).Map(t)
		if got := titles(a["overdue"].([]any)); !slices.Equal(got, []string{"overdue 10", "overdue 2"}) {
			t.Errorf("overdue %v", got)
		}
		if got := titles(a["upcoming"].([]any)); !slices.Equal(got, []string{"today", "in 3", "in 14"}) {
			t.Errorf("upcoming %v", got)
		}
		item := a["overdue"].([]any)[0].(map[string]any)
		if item["case_id"] != w.caseID || item["founder_name"] != "Amina Yusuf" {
			t.Errorf("item %v", item)
		}
	})
	t.Run("co_advisor_sees_only_their_own", func(t *testing.T) {
		a := w.co.Must(200, "GET", "/api/v1/agenda", nil).Map(t)
		if got := titles(a["upcoming"].([]any)); !slices.Equal(got, []string{"co's"}) || len(a["overdue"].([]any)) != 0 {
			t.Errorf("agenda %v", a)
		}
	})
	t.Run("programme_manager_has_no_agenda", func(t *testing.T) { w.pm.Must(403, "GET", "/api/v1/agenda", nil) })
	t.Run("done_false_opens_it_again", func(t *testing.T) {
		m := w.lead.Must(200, "PATCH", "/api/v1/follow-ups/"+done.String(), map[string]any{"done": false, "due_on": today().AddDays(2).String(), "title": "reopened"}, "If-Match", `"2"`).Map(t)
		if m["done_at"] != nil || m["title"] != "reopened" || m["due_on"] != today().AddDays(2).String() {
			t.Errorf("follow-up %v", m)
		}
		a := w.lead.Must(200, "GET", "/api/v1/agenda", nil).Map(t)
		if !slices.Contains(titles(a["upcoming"].([]any)), "reopened") {
			t.Errorf("agenda %v", a)
		}
	})
	t.Run("follow_up_rules", func(t *testing.T) {
		id := done.String()
		w.lead.Must(428, "PATCH", "/api/v1/follow-ups/"+id, map[string]any{"done": true})
		w.lead.Must(412, "PATCH", "/api/v1/follow-ups/"+id, map[string]any{"done": true}, "If-Match", `"1"`)
		w.lead.Must(422, "PATCH", "/api/v1/follow-ups/"+id, map[string]any{"due_on": today().AddDays(-1).String()}, "If-Match", `"3"`)
		w.lead.Must(422, "PATCH", "/api/v1/follow-ups/"+id, map[string]any{"title": ""}, "If-Match", `"3"`)
		w.lead.Must(400, "PATCH", "/api/v1/follow-ups/"+id, map[string]any{"assignee_id": w.coID}, "If-Match", `"3"`)
		w.other.Must(404, "PATCH", "/api/v1/follow-ups/"+id, map[string]any{"done": true}, "If-Match", `"3"`)
		w.lead.Must(422, "POST", w.path("/follow-ups"), map[string]any{"due_on": today().AddDays(-1).String(), "title": "x"})
		w.lead.Must(422, "POST", w.path("/follow-ups"), map[string]any{"due_on": today().String()})
		r := w.lead.Must(422, "POST", w.path("/follow-ups"), map[string]any{"due_on": today().String(), "title": "x", "assignee_id": w.peerID})
		if !slices.Contains(problemFields(t, r), "assignee_id") {
			t.Error(string(r.Body))
		}
		m := w.lead.Must(201, "POST", w.path("/follow-ups"), map[string]any{"due_on": today().String(), "title": "Koordination fragen", "assignee_id": w.coordID}).Map(t)
		if m["assignee_id"] != w.coordID.String() {
			t.Errorf("follow-up %v", m)
		}
	})
	t.Run("taken_off_the_case_the_follow_up_leaves_the_agenda", func(t *testing.T) {
		etag := w.coord.Must(200, "GET", w.path(""), nil).Header.Get("ETag")
		w.coord.Must(200, "PUT", w.path("/advisors"), map[string]any{"lead_advisor_id": w.leadID, "co_advisor_ids": []uuid.UUID{}}, "If-Match", etag)
		a := w.co.Must(200, "GET", "/api/v1/agenda", nil).Map(t)
		if n := len(a["overdue"].([]any)) + len(a["upcoming"].([]any)); n != 0 {
			t.Errorf("the former co-advisor still sees %d follow-ups of the case: %v", n, a)
		}
		// The coordinator's follow-up stays: the whole carrier is in their scope.
		a = w.coord.Must(200, "GET", "/api/v1/agenda", nil).Map(t)
		if !slices.Contains(titles(a["upcoming"].([]any)), "Koordination fragen") {
			t.Errorf("coordinator agenda %v", a)
		}
	})
	t.Run("closed_cases_leave_the_agenda", func(t *testing.T) {
		etag := w.lead.Must(200, "GET", w.path(""), nil).Header.Get("ETag")
		w.lead.Must(200, "POST", w.path("/close"), map[string]any{"reason": "other"}, "If-Match", etag)
		a := w.lead.Must(200, "GET", "/api/v1/agenda", nil).Map(t)
		if len(a["overdue"].([]any))+len(a["upcoming"].([]any)) != 0 {
			t.Errorf("agenda %v", a)
		}
	})
}

func TestTimeline(t *testing.T) {
	w := newCasework(t)
	w.lead.Must(201, "POST", w.path("/consultations"), consultation(map[string]any{"date": today().AddDays(-30).String(), "follow_up_on": today().AddDays(5).String()}))
	w.lead.Must(201, "POST", w.path("/notes"), map[string]any{"body": "Vermerk"})
	w.lead.Must(201, "POST", w.path("/milestones"), map[string]any{"type": "business_plan_completed", "achieved_on": today().AddDays(-10).String()})
	etag := w.lead.Must(200, "GET", w.path(""), nil).Header.Get("ETag")
	etag = w.lead.Must(200, "PATCH", w.path(""), map[string]any{"status": "paused"}, "If-Match", etag).Header.Get("ETag")
	w.lead.Must(200, "POST", w.path("/phase"), map[string]any{"phase": "handover"}, "If-Match", etag)

	all := w.co.Must(200, "GET", w.path("/timeline"), nil).Map(t)
	items := all["items"].([]any)
	kinds := map[string]int{}
	var prev string
	for i, it := range items {
		m := it.(map[string]any)
		kinds[m["kind"].(string)]++
		if at := m["at"].(string); i > 0 && at > prev {
			t.Errorf("item %d at %s after %s: not newest first", i, at, prev)
		}
		prev = m["at"].(string)
	}
	want := map[string]int{"consultation": 1, "note": 1, "milestone": 1, "phase": 2, "status": 1, "follow_up": 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d %s items, want %d: %v", kinds[k], k, n, kinds)
		}
	}
	if all["next_cursor"] != nil {
		t.Errorf("next_cursor %v", all["next_cursor"])
	}
	if last := items[len(items)-1].(map[string]any); last["kind"] != "consultation" || last["date"] != today().AddDays(-30).String() {
		t.Errorf("oldest item %v: the backdated consultation belongs at its date", last)
	}
	t.Run("pages_of_two_give_every_item_once", func(t *testing.T) {
		var ids []string
		cursor := ""
		for pages := 0; pages < 10; pages++ {
			p := w.co.Must(200, "GET", w.path("/timeline?limit=2&cursor="+cursor), nil).Map(t)
			for _, it := range p["items"].([]any) {
				ids = append(ids, it.(map[string]any)["kind"].(string)+it.(map[string]any)["id"].(string))
			}
			if p["next_cursor"] == nil {
				break
			}
			cursor = p["next_cursor"].(string)
		}
		if len(ids) != len(items) || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(items) {
			t.Errorf("paged %d items (%v), whole %d", len(ids), ids, len(items))
		}
	})
	t.Run("bad_cursor_and_limit_422", func(t *testing.T) {
		w.co.Must(422, "GET", w.path("/timeline?cursor=nonsense"), nil)
		w.co.Must(422, "GET", w.path("/timeline?limit=500"), nil)
	})
	t.Run("outside_scope_404_and_403", func(t *testing.T) {
		w.peer.Must(404, "GET", w.path("/timeline"), nil)
		w.other.Must(404, "GET", w.path("/timeline"), nil)
		w.pm.Must(403, "GET", w.path("/timeline"), nil)
		w.admin.Must(403, "GET", w.path("/timeline"), nil)
	})
}

func TestCaseworkWritesAreAudited(t *testing.T) {
	w := newCasework(t)
	w.lead.Must(201, "POST", w.path("/consultations"), consultation(map[string]any{"follow_up_on": today().String()}))
	n := w.lead.Must(201, "POST", w.path("/notes"), map[string]any{"body": "Geheimer Text", "confidential": true}).Map(t)
	w.lead.Must(200, "PATCH", "/api/v1/notes/"+n["id"].(string), map[string]any{"body": "Neuer geheimer Text"}, "If-Match", `"1"`)
	w.lead.Must(201, "POST", w.path("/milestones"), map[string]any{"type": "business_registered", "achieved_on": today().String()})
	var actions []string
	if err := w.app.DB.Store.DB.Select(&actions, `SELECT action FROM audit_events WHERE actor_id = $1 ORDER BY id`, w.leadID); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"consultation.create", "follow_up.create", "note.create", "note.update", "milestone.create", "case.update"} {
		if !slices.Contains(actions, a) {
			t.Errorf("no %s in %v", a, actions)
		}
	}
	var leaks int
	if err := w.app.DB.Store.DB.Get(&leaks, `SELECT count(*) FROM audit_events a WHERE a::text LIKE '%geheim%' OR a::text LIKE '%Amina%'`); err != nil {
		t.Fatal(err)
	}
	if leaks != 0 {
		t.Errorf("%d audit rows hold personal data", leaks)
	}
}

func TestCaseworkAnswersMatchOpenAPI(t *testing.T) {
	w := newCasework(t)
	v := newAPIChecker(t, w.app)
	v.do(w.lead, 200, "GET", "/api/v1/catalog", nil)
	k := v.do(w.lead, 201, "POST", w.path("/consultations"), consultation(map[string]any{"follow_up_on": today().AddDays(2).String(), "prep_minutes": 10}), "Idempotency-Key", "oa-1").Map(t)
	v.do(w.lead, 200, "PATCH", "/api/v1/consultations/"+k["id"].(string), map[string]any{"duration_minutes": 30}, "If-Match", `"1"`)
	v.do(w.lead, 200, "GET", w.path("/consultations"), nil)
	n := v.do(w.lead, 201, "POST", w.path("/notes"), map[string]any{"body": "Vermerk", "confidential": true}).Map(t)
	v.do(w.lead, 200, "PATCH", "/api/v1/notes/"+n["id"].(string), map[string]any{"body": "Vermerk 2"}, "If-Match", `"1"`)
	v.do(w.lead, 200, "GET", w.path("/notes"), nil)
	m := v.do(w.lead, 201, "POST", w.path("/milestones"), map[string]any{"type": "business_registered", "target_on": today().AddDays(30).String()}).Map(t)
	v.do(w.lead, 200, "PATCH", "/api/v1/milestones/"+m["id"].(string), map[string]any{"achieved_on": today().String()}, "If-Match", `"1"`)
	v.do(w.lead, 200, "GET", w.path("/milestones"), nil)
	f := v.do(w.lead, 201, "POST", w.path("/follow-ups"), map[string]any{"due_on": today().String(), "title": "Anrufen", "assignee_id": w.coID}).Map(t)
	v.do(w.lead, 200, "PATCH", "/api/v1/follow-ups/"+f["id"].(string), map[string]any{"done": true}, "If-Match", `"1"`)
	v.do(w.lead, 200, "GET", w.path("/follow-ups"), nil)
	v.do(w.lead, 200, "GET", w.path("/timeline?limit=3"), nil)
	v.do(w.lead, 200, "GET", "/api/v1/agenda", nil)
	v.do(w.co, 403, "PATCH", "/api/v1/consultations/"+k["id"].(string), map[string]any{"duration_minutes": 30}, "If-Match", `"2"`)
	v.do(w.lead, 422, "POST", w.path("/consultations"), consultation(map[string]any{"topics": []string{}}))
	v.do(w.lead, 428, "PATCH", "/api/v1/notes/"+n["id"].(string), map[string]any{"body": "x"})
}
