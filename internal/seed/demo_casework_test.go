package seed_test

import (
	"context"
	"io"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/authz"
	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

func TestDemoHasCaseworkToShow(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	if err := seed.Demo(ctx, db.Store, io.Discard); err != nil {
		t.Fatal(err)
	}
	q := func(sql string) int {
		t.Helper()
		var n int
		if err := db.Store.DB.Get(&n, sql); err != nil {
			t.Fatal(err)
		}
		return n
	}
	checks := []struct {
		name string
		sql  string
		min  int
	}{
		{"months_of_consultations", `SELECT count(*) FROM consultations`, 40},
		{"consultations_span_months", `SELECT (max(date) - min(date)) / 30 FROM consultations`, 3},
		{"varied_topics", `SELECT count(DISTINCT t) FROM consultations, unnest(topics) t`, 10},
		{"varied_modes", `SELECT count(DISTINCT mode) FROM consultations`, 4},
		{"varied_languages", `SELECT count(DISTINCT l) FROM consultations, unnest(languages) l`, 8},
		{"no_consultation_before_its_case_opened", `SELECT 1 - count(*) FROM consultations k JOIN cases c ON c.id = k.case_id WHERE k.date < c.opened_on`, 1},
		{"one_confidential_note", `SELECT count(*) FROM notes WHERE confidential`, 1},
		{"milestones", `SELECT count(*) FROM milestones`, 20},
		{"registered_businesses_have_a_founding_date", `SELECT count(*) FROM cases WHERE business_founded_on IS NOT NULL`, 1},
		{"overdue_follow_ups", `SELECT count(*) FROM follow_ups WHERE done_at IS NULL AND due_on < current_date`, 1},
		{"upcoming_follow_ups", `SELECT count(*) FROM follow_ups WHERE done_at IS NULL AND due_on >= current_date`, 5},
		{"a_phase_change", `SELECT count(*) FROM phase_transitions WHERE from_phase IS NOT NULL`, 1},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if n := q(c.sql); n < c.min {
				t.Errorf("%d, want at least %d", n, c.min)
			}
		})
	}
	t.Run("the_first_advisor_has_an_agenda", func(t *testing.T) {
		var id uuid.UUID
		if err := db.Store.DB.Get(&id, `SELECT id FROM users WHERE email = 'berater@lotse.example'`); err != nil {
			t.Fatal(err)
		}
		az, err := authz.New(db.Store.DB)
		if err != nil {
			t.Fatal(err)
		}
		db.Store.Authorize = az.Scope
		a, err := db.Store.Agenda(ctx, domain.Actor{UserID: id})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Overdue)+len(a.Upcoming) == 0 {
			t.Errorf("empty agenda")
		}
	})
}
