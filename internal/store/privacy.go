package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// exportSection is one table of the Art. 15 export and the query of the founder's rows
// in it ($1 = founder id), each row as one JSON object in the query's column order.
// Staff appear by name, not by id: the founder learns who processed their data.
type exportSection struct {
	table string
	query string
}

// ofFounder selects the rows of table t (alias x) that belong to one of the founder's
// cases.
const ofFounder = ` x.case_id IN (SELECT id FROM cases WHERE founder_id = $1)`

// founderExport lists every table that refers to a founder, directly or through a
// case. TestExportCoversEveryFounderTable fails when a table with such a reference is
// missing here (or in NotExported).
var founderExport = []exportSection{
	{"founders", `
SELECT f.id, k.name AS carrier, f.given_name, f.family_name, f.birth_year, f.gender, f.email, f.phone,
       f.postcode, f.city, f.country_of_birth, f.nationalities, f.languages, f.german_level,
       f.education_isced, f.employment_status_at_entry, f.arrival_year, f.referral_source,
       f.disability, f.foreign_background, f.homeless, f.created_at, f.updated_at,
       f.restricted_at, f.restriction_reason
FROM founders f JOIN carriers k ON k.id = f.carrier_id WHERE f.id = $1`},
	{"consents", `
SELECT x.purpose, x.granted, x.at, x.text_version, x.language, u.name AS recorded_by
FROM consents x LEFT JOIN users u ON u.id = x.recorded_by
WHERE x.founder_id = $1 ORDER BY x.at, x.id`},
	{"cases", `
SELECT x.id, k.name AS carrier, x.phase, x.status, x.closing_reason, u.name AS lead_advisor,
       x.business_idea, x.business_sector, x.business_legal_form, x.business_founded_on,
       x.business_employees, x.opened_on, x.closed_on, x.created_at, x.updated_at
FROM cases x JOIN carriers k ON k.id = x.carrier_id LEFT JOIN users u ON u.id = x.lead_advisor_id
WHERE x.founder_id = $1 ORDER BY x.opened_on, x.id`},
	{"case_co_advisors", `
SELECT x.case_id, u.name AS co_advisor
FROM case_co_advisors x JOIN users u ON u.id = x.user_id
WHERE` + ofFounder + ` ORDER BY x.case_id, u.name`},
	{"phase_transitions", `
SELECT x.case_id, x.from_phase, x.to_phase, x.at, u.name AS by_user, x.reason
FROM phase_transitions x LEFT JOIN users u ON u.id = x.by_user
WHERE` + ofFounder + ` ORDER BY x.at, x.id`},
	{"status_changes", `
SELECT x.case_id, x.from_status, x.to_status, x.reason AS closing_reason, x.note, x.at, u.name AS by_user
FROM status_changes x LEFT JOIN users u ON u.id = x.by_user
WHERE` + ofFounder + ` ORDER BY x.at, x.id`},
	{"consultations", `
SELECT x.case_id, x.id, x.date, u.name AS advisor, x.duration_minutes, x.prep_minutes, x.mode,
       x.topics, x.languages, x.interpreter, x.summary, x.next_steps, x.follow_up_on, x.phase,
       x.created_at, x.updated_at
FROM consultations x JOIN users u ON u.id = x.advisor_id
WHERE` + ofFounder + ` ORDER BY x.date, x.created_at, x.id`},
	{"notes", `
SELECT x.case_id, x.id, u.name AS author, x.body, x.confidential, x.version, x.created_at, x.updated_at
FROM notes x JOIN users u ON u.id = x.author_id
WHERE` + ofFounder + ` ORDER BY x.created_at, x.id`},
	{"note_revisions", `
SELECT x.note_id, x.version, x.body, x.confidential, x.edited_at
FROM note_revisions x JOIN notes n ON n.id = x.note_id
WHERE n.case_id IN (SELECT id FROM cases WHERE founder_id = $1) ORDER BY x.note_id, x.version`},
	{"milestones", `
SELECT x.case_id, x.type, x.target_on, x.achieved_on, x.note, u.name AS created_by, x.created_at, x.updated_at
FROM milestones x LEFT JOIN users u ON u.id = x.created_by
WHERE` + ofFounder + ` ORDER BY x.created_at, x.id`},
	{"follow_ups", `
SELECT x.case_id, x.due_on, x.title, a.name AS assignee, u.name AS created_by, x.done_at, x.created_at
FROM follow_ups x JOIN users a ON a.id = x.assignee_id LEFT JOIN users u ON u.id = x.created_by
WHERE` + ofFounder + ` ORDER BY x.due_on, x.id`},
	// Who opened or changed the founder's data: events on the founder and on every case
	// of theirs (a case's events include those on its consultations, notes, …).
	{"audit_events", `
SELECT x.at, u.name AS actor, x.action, x.object_type, x.outcome
FROM audit_events x LEFT JOIN users u ON u.id = x.actor_id
WHERE x.object_id = $1 OR` + ofFounder + ` ORDER BY x.id`},
}

// NotExported names the tables that refer to founders or cases but are left out of the
// Art. 15 export, and why.
var NotExported = map[string]string{
	"stats_case_month": "derived counts per case and month for the statistics; no data of the founder's own",
}

// ExportTables lists the tables of the Art. 15 export in its order.
func ExportTables() []string {
	out := make([]string, len(founderExport))
	for i, s := range founderExport {
		out[i] = s.table
	}
	return out
}

// ExportFounder returns everything held on a founder (Art. 15 GDPR), read in one
// consistent snapshot, and audits it (founder.export). Needs founder:privacy.
// ErrNotFound for absent founders and founders outside the scope alike.
func (s *Store) ExportFounder(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.FounderExport, error) {
	out := domain.FounderExport{FounderID: id, ExportedAt: s.Now().UTC()}
	var carrier uuid.UUID
	tx, err := s.DB.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return out, err
	}
	defer func() { _ = tx.Rollback() }()
	f, err := s.founderInScope(ctx, tx, actor, domain.ActFounderPrivacy, id, "")
	if err != nil {
		return out, err
	}
	carrier = f.CarrierID
	for _, sec := range founderExport {
		rows, err := exportRows(ctx, tx, sec.query, id)
		if err != nil {
			return out, fmt.Errorf("export of founder %s, %s: %w", id, sec.table, err)
		}
		out.Sections = append(out.Sections, domain.ExportSection{Table: sec.table, Rows: rows})
	}
	if err := tx.Commit(); err != nil {
		return out, err
	}
	return out, s.Audit(ctx, actor, Event{Action: "founder.export", ObjectType: "founder", ObjectID: &id, CarrierID: &carrier})
}

func exportRows(ctx context.Context, tx *sqlx.Tx, query string, id uuid.UUID) ([]domain.ExportRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT row_to_json(r) FROM (`+query+`) r`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.ExportRow{}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		var r domain.ExportRow
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Pseudonymisation removes names, contact data and every free text; what the
// statistics count (dates, phases, durations, topics, the founder's statistical
// attributes) stays, so the statistics answer the same before and after.
var pseudonymise = []string{
	`UPDATE founders SET given_name = '', family_name = '', email = NULL, phone = NULL,
	     postcode = NULL, city = NULL, restricted_at = now(), restriction_reason = $2,
	     version = version + 1, updated_at = now()
	 WHERE id = $1`,
	`UPDATE cases SET business_idea = '', version = version + 1, updated_at = now() WHERE founder_id = $1`,
	`UPDATE consultations x SET summary = '', next_steps = NULL WHERE` + ofFounder,
	`UPDATE notes x SET body = '' WHERE` + ofFounder,
	`DELETE FROM note_revisions WHERE note_id IN
	     (SELECT n.id FROM notes n JOIN cases c ON c.id = n.case_id WHERE c.founder_id = $1)`,
	`UPDATE milestones x SET note = NULL WHERE` + ofFounder,
	`UPDATE follow_ups x SET title = '' WHERE` + ofFounder,
	`UPDATE phase_transitions x SET reason = NULL WHERE` + ofFounder,
	`UPDATE status_changes x SET note = NULL WHERE` + ofFounder,
}

// Deleting the cases deletes their history, casework and co-advisors (ON DELETE
// CASCADE) and their part of the statistics; deleting the founder their consents.
var eraseForGood = []string{
	`DELETE FROM cases WHERE founder_id = $1`,
	`DELETE FROM founders WHERE id = $1`,
}

const openCasesOf = `SELECT count(*) FROM cases WHERE founder_id = $1 AND status <> 'closed'`

// EraseFounder answers an erasure request (Art. 17 GDPR). Inside the retention period
// (today ≤ RetentionUntil, or no end configured) the founder is pseudonymised and
// restricted; after it, the founder and their cases are deleted. Every case of the
// founder must be closed first: counselling ends with the request, and the closing
// stays in the statistics. Needs founder:privacy; audited (founder.pseudonymise or
// founder.erase, never the reason). ErrNotFound; ErrInvalid (no reason); ErrConflict
// when a case is still open.
func (s *Store) EraseFounder(ctx context.Context, actor domain.Actor, id uuid.UUID, in domain.Erasure) (domain.ErasureResult, error) {
	var out domain.ErasureResult
	if err := domain.Validate(&in, s.Today()); err != nil {
		return out, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		f, err := s.founderInScope(ctx, tx, actor, domain.ActFounderPrivacy, id, " FOR UPDATE OF f")
		if err != nil {
			return err
		}
		var open int
		if err := tx.GetContext(ctx, &open, openCasesOf, id); err != nil {
			return err
		}
		if open > 0 {
			return domain.Errorf(domain.ErrConflict, "error.founder_has_open_cases")
		}
		if f.RestrictedAt != nil && !s.RetentionEnded() {
			out.Mode = domain.ErasurePseudonymised // asked before: nothing more to remove
			return nil
		}
		out.Mode, err = s.erase(ctx, tx, actor, f, in.Reason)
		return err
	})
	return out, wrap(err, "erase founder %s", id)
}

// erase pseudonymises or deletes one founder, whichever the retention period allows.
func (s *Store) erase(ctx context.Context, tx *sqlx.Tx, actor domain.Actor, f domain.Founder, reason string) (string, error) {
	mode, steps, action := domain.ErasurePseudonymised, pseudonymise, "founder.pseudonymise"
	if s.RetentionEnded() {
		mode, steps, action = domain.ErasureErased, eraseForGood, "founder.erase"
	}
	for _, q := range steps {
		args := []any{f.ID}
		if mode == domain.ErasurePseudonymised && q == pseudonymise[0] {
			args = append(args, reason)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return "", err
		}
	}
	return mode, audit(ctx, tx, actor, Event{Action: action, ObjectType: "founder", ObjectID: &f.ID, CarrierID: &f.CarrierID})
}

// RetentionEnded reports whether today lies after the configured retention period.
func (s *Store) RetentionEnded() bool {
	return s.RetentionUntil != nil && s.RetentionUntil.Before(s.Today())
}
