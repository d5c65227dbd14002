package stats

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Rebuild recomputes the maintained statistics tables from the base tables, in one
// statement: after a bulk load that deferred them (Defer), or to repair them. Writers
// of case history wait until it commits. Database errors are wrapped ("stats rebuild: …").
func Rebuild(ctx context.Context, db sqlx.ExecerContext) error {
	if _, err := db.ExecContext(ctx, `SELECT stats_rebuild()`); err != nil {
		return fmt.Errorf("stats rebuild: %w", err)
	}
	return nil
}

// Defer stops the triggers from maintaining the statistics for the rest of the
// transaction tx, for a bulk load that writes case history set-wise: the caller must
// call Rebuild in the same transaction before it commits. Database errors are wrapped.
func Defer(ctx context.Context, tx sqlx.ExecerContext) error {
	if _, err := tx.ExecContext(ctx, `SET LOCAL lotse.stats_defer = on`); err != nil {
		return fmt.Errorf("stats defer: %w", err)
	}
	return nil
}
