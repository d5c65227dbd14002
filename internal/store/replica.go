package store

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
)

// Replica is a streaming replica (LOTSE_REPLICA_URL) that serves read-only reporting —
// statistics and exports — instead of the primary, while it is reachable and close
// behind. Watch checks it; Reporting chooses per request.
//
// Why by WAL position and not pg_last_xact_replay_timestamp: a replica whose WAL
// receiver stopped looks idle and current by its own clock. Comparing with the
// primary's position (pg_current_wal_lsn) measures what matters: whether everything
// the primary had committed at a moment is visible on the replica.
type Replica struct {
	DB *sqlx.DB
	// MaxLag is how far behind the primary the replica may be and still be used.
	MaxLag time.Duration

	primary  *sqlx.DB
	caughtUp atomic.Int64 // unix nanos: everything committed before this is on the replica
	inUse    atomic.Bool
	// Reads counts reporting reads by where they ran; Fallbacks those a usable replica
	// could not take because it had not yet replayed what the primary had committed.
	ReplicaReads, PrimaryReads, Fallbacks atomic.Int64
}

// OpenReplica connects to the replica at url (as DATABASE_URL, with a statement
// timeout); it is not used before Watch found it current.
func OpenReplica(url string, primary *sqlx.DB, maxLag time.Duration) (*Replica, error) {
	st, err := Open(url)
	if err != nil {
		return nil, err
	}
	return &Replica{DB: st.DB, MaxLag: maxLag, primary: primary}, nil
}

// Close closes the replica's pool.
func (r *Replica) Close() error { return r.DB.Close() }

// InUse reports whether reporting reads go to the replica now.
func (r *Replica) InUse() bool { return r.inUse.Load() }

// Lag is how long ago the replica was last seen to hold everything the primary had
// committed (0 before the first check).
func (r *Replica) Lag() time.Duration {
	t := r.caughtUp.Load()
	if t == 0 {
		return 0
	}
	return time.Since(time.Unix(0, t))
}

// Watch checks the replica every interval until ctx ends: its position against the
// primary's, and whether it answers at all. A change between using it and falling back
// to the primary is logged.
func (r *Replica) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Replica) check(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	at := time.Now()
	caught, err := r.holds(cctx)
	if caught {
		r.caughtUp.Store(at.UnixNano())
	}
	usable := err == nil && r.caughtUp.Load() != 0 && r.Lag() <= r.MaxLag
	if was := r.inUse.Swap(usable); was != usable {
		switch {
		case usable:
			slog.Info("replica in use for reporting again", "lag_ms", r.Lag().Milliseconds())
		case err != nil:
			slog.Warn("replica unavailable: reporting reads from the primary", "err", err)
		default:
			slog.Warn("replica lags: reporting reads from the primary", "lag_ms", r.Lag().Milliseconds(), "max_lag_ms", r.MaxLag.Milliseconds())
		}
	}
}

// holds reports whether the replica has replayed everything the primary has committed
// right now.
func (r *Replica) holds(ctx context.Context) (bool, error) {
	var lsn string
	if err := r.primary.GetContext(ctx, &lsn, `SELECT pg_current_wal_lsn()::text`); err != nil {
		return false, nil // the primary's trouble is not the replica's
	}
	var ok bool
	err := r.DB.GetContext(ctx, &ok, `SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn)
	return ok, err
}

// replicaWait is how long a reporting request waits for the replica to replay what the
// primary had committed when the request came, before it reads from the primary.
const replicaWait = 250 * time.Millisecond

// Reporting is the database for one read-only reporting request: the replica when it is
// in use and has replayed everything the primary had committed when the request came
// (so a person's own writes are always in what they read), else the primary.
func (s *Store) Reporting(ctx context.Context) *sqlx.DB {
	r := s.Replica
	if r == nil {
		return s.DB
	}
	if r.InUse() {
		deadline := time.Now().Add(replicaWait)
		for {
			ok, err := r.holds(ctx)
			if ok {
				r.ReplicaReads.Add(1)
				return r.DB
			}
			if err != nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		r.Fallbacks.Add(1)
	}
	r.PrimaryReads.Add(1)
	return s.DB
}
