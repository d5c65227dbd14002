package stats

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// rebuild lifts the statement timeout first: a large installation's rebuild runs
// longer than the application's (15 s). Sent as one simple query (no arguments), the
// two statements share one transaction; inside the caller's transaction SET LOCAL
// lasts until it ends.
const rebuild = `SET LOCAL statement_timeout = 0; SELECT stats_rebuild()`

// Rebuild recomputes the maintained statistics tables from the base tables, in one
// transaction: after a bulk load that deferred them (Defer), or to repair them.
// Writers of case history wait until it commits. db is a database or a transaction;
// in a transaction the statement timeout stays lifted until it ends. Database errors
// are wrapped ("stats rebuild: …").
func Rebuild(ctx context.Context, db sqlx.ExecerContext) error {
	if _, err := db.ExecContext(ctx, rebuild); err != nil {
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
