package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

const selectUserNames = `SELECT id, name FROM users WHERE id = ANY($1::uuid[])`

// UserNames returns the names of the given users (for pages that show who did what);
// unknown ids are left out.
func (s *Store) UserNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	return userNames(ctx, s.DB, ids)
}

func userNames(ctx context.Context, q sqlx.QueryerContext, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, selectUserNames, uuidArray(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}
