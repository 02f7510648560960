package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sixprot/hub/internal/hub"
)

// writeWindow is how long after a caller's write their reads check that
// the standby has replayed it; after that any standby that still lags a
// minute behind is broken, not late.
const writeWindow = time.Minute

// maxWriters bounds the table of recent writers.
const maxWriters = 10_000

// replica routes read-only batches (DB.read) to a streaming standby.
// Writes (DB.tx) stay on the primary. A caller's reads right after their
// own write wait until the standby has replayed the write's commit
// (pg_last_wal_replay_lsn), at most wait, and run on the primary if it
// has not: read-your-writes without sending every reader to the primary.
//
// The table of recent writers is this process's: with several hub
// processes, a caller whose write went through one and whose next read
// goes to another within the replication lag may read the state before
// the write there (a load balancer that keeps a token on one process
// avoids it).
type replica struct {
	pool *pgxpool.Pool
	wait time.Duration

	mu     sync.Mutex
	writes map[string]writeMark // principal name → their last write

	replayed atomic.Int64 // highest replay position seen on the standby, in bytes

	standbyReads, primaryReads, waited atomic.Int64
}

type writeMark struct {
	lsn int64
	at  time.Time
}

func newReplica(pool *pgxpool.Pool, wait time.Duration) *replica {
	return &replica{pool: pool, wait: wait, writes: map[string]writeMark{}}
}

// ReadRoutes counts where read-only batches ran since the pool opened.
type ReadRoutes struct {
	// Standby: reads the standby served; Waited: of those, reads that
	// first waited for it to replay their caller's write; Primary: reads
	// sent to the primary because it had not within the wait.
	Standby, Waited, Primary int64
}

// ReadRoutes says where reads went (zero without a read replica).
func (db *DB) ReadRoutes() ReadRoutes {
	r := db.replica
	if r == nil {
		return ReadRoutes{}
	}
	return ReadRoutes{Standby: r.standbyReads.Load(), Waited: r.waited.Load(), Primary: r.primaryReads.Load()}
}

// readPool is where a read-only batch of ctx's caller runs.
func (db *DB) readPool(ctx context.Context) *pgxpool.Pool {
	r := db.replica
	if r == nil {
		return db.pool
	}
	if r.fresh(ctx) {
		r.standbyReads.Add(1)
		return r.pool
	}
	r.primaryReads.Add(1)
	return db.pool
}

// fresh reports whether the standby has what ctx's caller wrote last,
// waiting for it at most r.wait.
func (r *replica) fresh(ctx context.Context) bool {
	p := hub.PrincipalFrom(ctx)
	if p == nil {
		return true
	}
	r.mu.Lock()
	mark, ok := r.writes[p.Name]
	if ok && time.Since(mark.at) > writeWindow {
		delete(r.writes, p.Name)
		ok = false
	}
	r.mu.Unlock()
	if !ok || r.replayed.Load() >= mark.lsn {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, r.wait)
	defer cancel()
	for {
		var lsn int64
		err := r.pool.QueryRow(ctx, `SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&lsn)
		if err != nil {
			return false // timed out, or the standby is away: the primary answers
		}
		if lsn > r.replayed.Load() {
			r.replayed.Store(lsn)
		}
		if lsn >= mark.lsn {
			r.waited.Add(1)
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// wrote records that ctx's caller has just committed a write on primary:
// the primary's WAL position now is at or past the commit's record.
func (r *replica) wrote(ctx context.Context, primary *pgxpool.Pool) {
	p := hub.PrincipalFrom(ctx)
	if p == nil {
		return
	}
	var lsn int64
	if err := primary.QueryRow(ctx, `SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&lsn); err != nil {
		// Not knowing the position, send this caller to the primary for
		// the window: the largest position there is.
		lsn = 1<<63 - 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.writes) >= maxWriters {
		for name, m := range r.writes {
			if time.Since(m.at) > writeWindow {
				delete(r.writes, name)
			}
		}
		if len(r.writes) >= maxWriters {
			clear(r.writes)
		}
	}
	r.writes[p.Name] = writeMark{lsn: lsn, at: time.Now()}
}

// standbyDown reports whether err means a connection to the standby could
// not be made (nothing of the batch ran, so the primary may run it).
func standbyDown(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}
