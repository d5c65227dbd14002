package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// canaries are the personal data of the founder the privacy tests export and erase:
// each string is unusual enough to be found wherever it was copied.
var canaries = map[string]string{
	"given_name":    "Canarygiven",
	"family_name":   "Canaryfamily",
	"email":         "canary.mail@example.org",
	"phone":         "+49 30 5550199",
	"city":          "Canarytown",
	"business_idea": "Canary bakery with a café",
	"summary":       "Canary summary of the conversation",
	"next_steps":    "Canary next steps",
	"note":          "Canary note body",
	"note_edited":   "Canary note body, edited",
	"confidential":  "Canary confidential note",
	"milestone":     "Canary milestone note",
	"follow_up":     "Canary follow-up title",
	"phase_reason":  "Canary phase reason",
	"closing_note":  "Canary closing note",
}

// privacyFixture is one founder with a row in every table that refers to founders or
// cases, written through the API as advisors and coordinators would.
type privacyFixture struct {
	*casework
	founderID string
	etag      string // the case's
}

func newPrivacyFixture(t *testing.T) *privacyFixture {
	t.Helper()
	w := newCasework(t)
	founder := w.lead.Must(200, "GET", w.path(""), nil).Map(t)["founder"].(map[string]any)
	f := &privacyFixture{casework: w, founderID: founder["id"].(string)}
	etag := w.lead.Must(200, "GET", "/api/v1/founders/"+f.founderID, nil).Header.Get("ETag")
	w.lead.Must(200, "PATCH", "/api/v1/founders/"+f.founderID, map[string]any{
		"given_name": canaries["given_name"], "family_name": canaries["family_name"], "email": canaries["email"],
		"phone": canaries["phone"], "city": canaries["city"], "postcode": "10115", "birth_year": 1990,
		"gender": "female", "nationalities": []string{"SO"}}, "If-Match", etag)
	etag = w.lead.Must(200, "GET", w.path(""), nil).Header.Get("ETag")
	etag = w.lead.Must(200, "PATCH", w.path(""), map[string]any{"business": map[string]any{"idea": canaries["business_idea"]}},
		"If-Match", etag).Header.Get("ETag")
	w.lead.Must(201, "POST", w.path("/consultations"), consultation(map[string]any{
		"summary": canaries["summary"], "next_steps": canaries["next_steps"], "follow_up_on": today().AddDays(7).String()}))
	note := w.lead.Must(201, "POST", w.path("/notes"), map[string]any{"body": canaries["note"], "confidential": false}).Map(t)
	w.lead.Must(200, "PATCH", "/api/v1/notes/"+note["id"].(string), map[string]any{"body": canaries["note_edited"]}, "If-Match", `"1"`)
	w.co.Must(201, "POST", w.path("/notes"), map[string]any{"body": canaries["confidential"], "confidential": true})
	w.lead.Must(201, "POST", w.path("/milestones"), map[string]any{"type": "business_plan_completed", "note": canaries["milestone"]})
	w.lead.Must(201, "POST", w.path("/follow-ups"), map[string]any{"due_on": today().AddDays(3).String(), "title": canaries["follow_up"]})
	w.lead.Must(201, "POST", "/api/v1/founders/"+f.founderID+"/consents",
		map[string]any{"purpose": "counselling", "granted": true, "text_version": "2026-01", "language": "de"})
	etag = w.lead.Must(200, "POST", w.path("/phase"), map[string]any{"phase": "consolidation", "reason": canaries["phase_reason"]},
		"If-Match", etag).Header.Get("ETag")
	for _, status := range []string{"paused", "active"} { // status_changes
		etag = w.lead.Must(200, "PATCH", w.path(""), map[string]any{"status": status}, "If-Match", etag).Header.Get("ETag")
	}
	f.etag = etag
	return f
}

// close closes the fixture's case (an erasure needs every case closed).
func (f *privacyFixture) close(t *testing.T) {
	t.Helper()
	f.coord.Must(200, "POST", f.path("/close"), map[string]any{"reason": "abandoned", "note": canaries["closing_note"]}, "If-Match", f.etag)
}

// founderTables are the tables that refer to a founder: by a foreign key to founders or
// to such a table, or by a founder_id or case_id column without one (the audit trail,
// the statistics' per-case rows).
func founderTables(t *testing.T, db *sqlx.DB) []string {
	t.Helper()
	var fks []struct {
		From string `db:"from_table"`
		To   string `db:"to_table"`
	}
	if err := db.Select(&fks, `
		SELECT c.conrelid::regclass::text AS from_table, c.confrelid::regclass::text AS to_table
		FROM pg_constraint c WHERE c.contype = 'f'`); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{"founders": true}
	for changed := true; changed; {
		changed = false
		for _, fk := range fks {
			if set[fk.To] && !set[fk.From] && fk.From != "users" {
				set[fk.From], changed = true, true
			}
		}
	}
	var byColumn []string
	if err := db.Select(&byColumn, `
		SELECT DISTINCT table_name FROM information_schema.columns
		WHERE table_schema = 'public' AND column_name IN ('founder_id', 'case_id')`); err != nil {
		t.Fatal(err)
	}
	for _, tb := range byColumn {
		set[tb] = true
	}
	var out []string
	for tb := range set {
		out = append(out, tb)
	}
	sort.Strings(out)
	return out
}

// TestExportCoversEveryFounderTable: the Art. 15 export has, for a founder with data in
// every table that refers to founders, a section with rows for each such table — a new
// table without export support (or a reason in store.NotExported) fails here.
func TestExportCoversEveryFounderTable(t *testing.T) {
	f := newPrivacyFixture(t)
	tables := founderTables(t, f.app.DB.Store.DB)
	if !slices.Contains(tables, "consultations") || !slices.Contains(tables, "note_revisions") || !slices.Contains(tables, "audit_events") {
		t.Fatalf("the schema walk finds %v", tables)
	}
	r := f.coord.Must(200, "GET", "/api/v1/founders/"+f.founderID+"/export", nil)
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("Content-Disposition %q", cd)
	}
	var exp domain.FounderExport
	r.JSON(t, &exp)
	for _, tb := range tables {
		if why, ok := store.NotExported[tb]; ok {
			t.Logf("%s not exported: %s", tb, why)
			continue
		}
		if !slices.Contains(store.ExportTables(), tb) {
			t.Errorf("table %s refers to founders but the Art. 15 export leaves it out (add it to founderExport or NotExported)", tb)
			continue
		}
		if len(exp.Section(tb).Rows) == 0 {
			t.Errorf("the export has no rows of %s: seed it in newPrivacyFixture or fix its query", tb)
		}
	}
	body := string(r.Body)
	for k, v := range canaries {
		if k == "closing_note" {
			continue // the case is still open
		}
		if !strings.Contains(body, v) {
			t.Errorf("the export misses %s (%q)", k, v)
		}
	}
	// Who read the data: the advisors' reads are in the export's audit section.
	if !strings.Contains(body, `"case.read"`) || !strings.Contains(body, `"consultation.create"`) {
		t.Error("the export's audit trail misses reads or writes")
	}
	var n int
	_ = f.app.DB.Store.DB.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'founder.export' AND object_id = $1`, f.founderID)
	if n != 1 {
		t.Errorf("%d founder.export events", n)
	}
	// Only a coordinator of the carrier: advisors, programme managers, admins may not.
	f.lead.Must(403, "GET", "/api/v1/founders/"+f.founderID+"/export", nil)
	f.pm.Must(403, "GET", "/api/v1/founders/"+f.founderID+"/export", nil)
	f.coord.Must(404, "GET", "/api/v1/founders/"+uuid.NewString()+"/export", nil)
}

// statsSnapshot is everything the statistics answer for the fixture's year, as a
// programme manager gets it, and the maintained figures beneath.
func statsSnapshot(t *testing.T, f *privacyFixture) string {
	t.Helper()
	from, to := today().AddDays(-400).String(), today().AddDays(30).String()
	var b strings.Builder
	for _, p := range []string{"/api/v1/stats/phases", "/api/v1/stats/esf"} {
		b.Write(f.pm.Must(200, "GET", p+"?period=month&from="+from+"&to="+to, nil).Body)
	}
	var rows []string
	if err := f.app.DB.Store.DB.Select(&rows, `
		SELECT x::text FROM (SELECT * FROM stats_phase_month ORDER BY carrier_id, phase, month) x
		UNION ALL SELECT y::text FROM (SELECT * FROM stats_founders ORDER BY carrier_id, kind, start, phase) y`); err != nil {
		t.Fatal(err)
	}
	b.WriteString(strings.Join(rows, "\n"))
	return b.String()
}

// pgDump dumps the database as its owner, data only.
func pgDump(t *testing.T, url string) []byte {
	t.Helper()
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
		if len(found) == 0 {
			t.Fatal("pg_dump not found (apt-get install postgresql-client)")
		}
		sort.Strings(found)
		bin = found[len(found)-1]
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, "--data-only", "--dbname", url)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pg_dump: %v: %s", err, stderr.String())
	}
	return out.Bytes()
}

// TestErasureLeavesNoTrace: inside the retention period an erasure pseudonymises —
// afterwards a dump of the whole database holds none of the founder's names, contact
// data or texts, the case takes no more changes, and the statistics answer exactly as
// before. After the retention period the retention job erases the founder for good.
func TestErasureLeavesNoTrace(t *testing.T) {
	f := newPrivacyFixture(t)
	// More founders, so that the statistics publish figures instead of suppressing all.
	for i := range 6 {
		id, _ := f.lead.NewCase(map[string]any{"founder": testenv.Founder("Other", string(rune('A'+i)))})
		f.lead.Must(201, "POST", "/api/v1/cases/"+id+"/consultations", consultation(nil))
	}
	dump := pgDump(t, f.app.DB.OwnerURL)
	for k, v := range canaries {
		if k != "closing_note" && !bytes.Contains(dump, []byte(v)) {
			t.Fatalf("the dump before the erasure misses %s: the test would prove nothing", k)
		}
	}

	path := "/api/v1/founders/" + f.founderID + "/erase"
	mustProblem(t, f.coord.Do("POST", path, map[string]any{"reason": ""}), 422)
	mustProblem(t, f.coord.Do("POST", path, map[string]any{"reason": "Request by letter"}), 409) // the case is open
	f.lead.Must(403, "POST", path, map[string]any{"reason": "x"})
	f.close(t)
	before := statsSnapshot(t, f)

	r := f.coord.Must(200, "POST", path, map[string]any{"reason": "Request by letter of 3 November"}).Map(t)
	if r["mode"] != domain.ErasurePseudonymised {
		t.Fatalf("mode %v", r["mode"])
	}
	if after := statsSnapshot(t, f); after != before {
		t.Errorf("the statistics changed with the pseudonymisation:\nbefore %s\nafter  %s", before, after)
	}
	dump = pgDump(t, f.app.DB.OwnerURL)
	for k, v := range canaries {
		if bytes.Contains(dump, []byte(v)) {
			t.Errorf("after the erasure the dump still holds %s (%q)", k, v)
		}
	}
	// The case is kept but restricted: readable, no more changes.
	c := f.coord.Must(200, "GET", f.path(""), nil)
	if strings.Contains(string(c.Body), "Canary") {
		t.Errorf("the case still shows personal data: %s", c.Body)
	}
	var cs struct {
		Founder struct {
			RestrictedAt *string `json:"restricted_at"`
		} `json:"founder"`
	}
	c.JSON(t, &cs)
	if cs.Founder.RestrictedAt == nil {
		t.Error("the founder is not marked restricted")
	}
	mustProblem(t, f.coord.Do("POST", f.path("/reopen"), map[string]any{}, "If-Match", c.Header.Get("ETag")), 409)
	fe := f.coord.Must(200, "GET", "/api/v1/founders/"+f.founderID, nil).Header.Get("ETag")
	mustProblem(t, f.coord.Do("PATCH", "/api/v1/founders/"+f.founderID, map[string]any{"given_name": "New"}, "If-Match", fe), 409)
	// Asking again changes nothing.
	if r := f.coord.Must(200, "POST", path, map[string]any{"reason": "again"}).Map(t); r["mode"] != domain.ErasurePseudonymised {
		t.Fatalf("second request: %v", r["mode"])
	}
	var events []string
	_ = f.app.DB.Store.DB.Select(&events, `SELECT action FROM audit_events WHERE object_id = $1 AND action LIKE 'founder.%' ORDER BY id`, f.founderID)
	if !slices.Contains(events, "founder.pseudonymise") {
		t.Errorf("audit: %v", events)
	}

	// After the retention period: the job deletes the restricted founder for good.
	st := *f.app.DB.Store
	yesterday := today().AddDays(-1)
	st.RetentionUntil = &yesterday
	dry, err := st.RunRetention(context.Background(), domain.Actor{System: true}, true)
	if err != nil || dry.FoundersErased != 1 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	var left int
	_ = st.DB.Get(&left, `SELECT count(*) FROM founders WHERE id = $1`, f.founderID)
	if left != 1 {
		t.Fatal("the dry run erased")
	}
	rep, err := st.RunRetention(context.Background(), domain.Actor{System: true}, false)
	if err != nil || rep.FoundersErased != 1 {
		t.Fatalf("retention run: %+v, %v", rep, err)
	}
	for _, q := range []string{`SELECT count(*) FROM founders WHERE id = $1`, `SELECT count(*) FROM cases WHERE founder_id = $1`,
		`SELECT count(*) FROM consents WHERE founder_id = $1`} {
		_ = st.DB.Get(&left, q, f.founderID)
		if left != 0 {
			t.Errorf("%s: %d left", q, left)
		}
	}
	f.coord.Must(404, "GET", f.path(""), nil)
	// The other founders' cases are open: the job keeps them.
	_ = st.DB.Get(&left, `SELECT count(*) FROM founders`)
	if left != 6 {
		t.Errorf("%d founders left, want the 6 with open cases", left)
	}
}

// TestRetentionPurgesOperationalData: expired sign-in attempts, idempotency keys,
// sessions and ended tokens go; current ones stay; a second instance at the same
// moment skips.
func TestRetentionPurgesOperationalData(t *testing.T) {
	app := testenv.NewApp(t)
	owner := sqlx.MustConnect("postgres", app.DB.OwnerURL)
	defer owner.Close()
	u := app.User(t, "a@x.de", domain.RoleAdmin, uuid.Nil)
	for _, q := range []string{
		`INSERT INTO login_attempts (email, address, at) VALUES ('old@x.de', '10.0.0.1', now() - interval '25 hours'), ('new@x.de', '10.0.0.2', now())`,
		`INSERT INTO idempotency_keys (user_id, key, route, request_hash, resource_id, created_at)
		 VALUES ('` + u.String() + `', 'old', 'r', '\x00', gen_random_uuid(), now() - interval '25 hours'),
		        ('` + u.String() + `', 'new', 'r', '\x00', gen_random_uuid(), now())`,
		`INSERT INTO sessions (token, data, expiry) VALUES ('old', '\x00', now() - interval '1 minute'), ('new', '\x00', now() + interval '1 hour')`,
		`INSERT INTO api_tokens (id, user_id, name, token_hash, revoked_at) VALUES
		 (gen_random_uuid(), '` + u.String() + `', 'old', '\x01', now() - interval '31 days'),
		 (gen_random_uuid(), '` + u.String() + `', 'recent', '\x02', now() - interval '1 day'),
		 (gen_random_uuid(), '` + u.String() + `', 'live', '\x03', NULL)`,
	} {
		owner.MustExec(q)
	}
	rep, err := app.DB.Store.RunRetention(context.Background(), domain.Actor{System: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"login_attempts": 1, "idempotency_keys": 1, "sessions": 1, "user_sessions": 0, "api_tokens": 1}
	got, _ := json.Marshal(rep.Purged)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("purged %s, want %s", got, wantJSON)
	}
	var left []string
	_ = owner.Select(&left, `SELECT email FROM login_attempts UNION ALL SELECT key FROM idempotency_keys
		UNION ALL SELECT token FROM sessions WHERE token IN ('old', 'new') UNION ALL SELECT name FROM api_tokens ORDER BY 1`)
	if strings.Join(left, ",") != "live,new,new,new@x.de,recent" {
		t.Errorf("left %v", left)
	}
	// A second instance while the first holds the lock skips.
	tx := owner.MustBegin()
	defer tx.Rollback()
	tx.MustExec(`SELECT pg_advisory_xact_lock(x'4c6f747365'::bigint)`)
	rep, err = app.DB.Store.RunRetention(context.Background(), domain.Actor{System: true}, false)
	if err != nil || !rep.Skipped {
		t.Errorf("with the lock held elsewhere: %+v, %v", rep, err)
	}
}
