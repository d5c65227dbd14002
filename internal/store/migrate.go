package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/iq-migrantenoekonomie/lotse/migrations"
)

func provider(db *sql.DB) (*goose.Provider, error) {
	// The advisory lock keeps instances that start together from migrating twice.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker))
}

// Migrate applies every pending migration, each in its own transaction.
func Migrate(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	return nil
}

// MigrationStatus writes one line per migration: version, state, file.
func MigrationStatus(ctx context.Context, db *sql.DB, w io.Writer) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	all, err := p.Status(ctx)
	if err != nil {
		return err
	}
	for _, s := range all {
		fmt.Fprintf(w, "%05d  %-8s  %s\n", s.Source.Version, s.State, s.Source.Path)
	}
	return nil
}

// MayAlterAuditTrail reports whether the store's role may update, delete or truncate
// audit events — it should not: the server connects as a member of lotse_app.
func (s *Store) MayAlterAuditTrail(ctx context.Context) (bool, error) {
	var broad bool
	err := s.DB.GetContext(ctx, &broad, `
		SELECT has_table_privilege(current_user, 'audit_events', 'UPDATE')
		    OR has_table_privilege(current_user, 'audit_events', 'DELETE')
		    OR has_table_privilege(current_user, 'audit_events', 'TRUNCATE')`)
	return broad, wrap(err, "checking the audit trail's privileges")
}
