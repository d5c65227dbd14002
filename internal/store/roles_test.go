package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

// TestServerRoleIsLeastPrivileged: the server's role may add to and read the audit
// trail but never change it, and may change no table's definition or triggers; the
// schema owner cannot change the audit trail either (its triggers refuse).
func TestServerRoleIsLeastPrivileged(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	app := db.Store
	if err := app.Audit(ctx, domain.Actor{System: true}, store.Event{Action: "test.event"}); err != nil {
		t.Fatalf("the server's role cannot add to the audit trail: %v", err)
	}
	var n int
	if err := app.DB.Get(&n, `SELECT count(*) FROM audit_events`); err != nil || n == 0 {
		t.Fatalf("the server's role cannot read the audit trail: %d rows, %v", n, err)
	}

	refused := []string{
		`UPDATE audit_events SET outcome = 'forged'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events`,
		`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
		`ALTER TABLE audit_events DISABLE TRIGGER ALL`,
		`DROP TRIGGER audit_events_append_only ON audit_events`,
		`CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
		`ALTER TABLE audit_events ADD COLUMN forged text`,
		`DROP TABLE audit_events`,
		`ALTER TABLE founders ADD COLUMN forged text`,
		`CREATE TABLE forged (id int)`,
		`CREATE INDEX forged ON founders (city)`,
		`SET session_replication_role = replica`, // would silence every trigger
	}
	for _, q := range refused {
		_, err := app.DB.ExecContext(ctx, q)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "42501" { // insufficient_privilege, "must be owner"
			t.Errorf("the server's role may %q: %v", q, err)
		}
	}

	owner := sqlx.MustConnect("postgres", db.OwnerURL)
	defer owner.Close()
	for _, q := range refused[:3] {
		if _, err := owner.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("the schema owner may %q: %v", q, err)
		}
	}
	if err := owner.Get(&n, `SELECT count(*) FROM audit_events WHERE outcome = 'forged'`); err != nil || n != 0 {
		t.Fatalf("an audit row was changed (%d, %v)", n, err)
	}

	// A table a migration adds without deciding the server's privileges would fail at
	// run time; this names it at once. The server's role owns nothing.
	var missing []string
	if err := owner.Select(&missing, `
		SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
		WHERE s.nspname = 'public' AND c.relkind = 'r'
		  AND NOT has_table_privilege('lotse_app', c.oid, 'SELECT')
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("tables without a grant to lotse_app: %v", missing)
	}
	var owned int
	if err := app.DB.Get(&owned, `SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)`); err != nil || owned != 0 {
		t.Errorf("the server's role owns %d relations (%v)", owned, err)
	}
}
