package postgres

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/sync/errgroup"

	"github.com/sixprot/hub/internal/hub"
)

// Loader writes reference data and bulk values on the owner's connection:
// the demo loader and data generators use it. It is not for requests.
type Loader struct{ db *DB }

// NewLoader returns a Loader over db, which must connect as the owner.
func NewLoader(db *DB) *Loader { return &Loader{db: db} }

// ImportRegions brings the region tree in line with regions, recording
// the change under channel (RegionStore.Import): loading again changes
// nothing.
func (l *Loader) ImportRegions(ctx context.Context, regions []*hub.Region, channel string) (*hub.RegionImport, error) {
	return NewRegionStore(l.db).Import(ctx, regions, channel, "")
}

// UpsertDepartments inserts departments, updating names of existing ones.
func (l *Loader) UpsertDepartments(ctx context.Context, ds []*hub.Department) error {
	const q = `INSERT INTO departments (code, name, name_en) VALUES ($1, $2, $3)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en`
	b := &pgx.Batch{}
	for _, d := range ds {
		b.Queue(q, d.Code, d.Name, d.NameEn)
	}
	return l.send(ctx, "departments", b)
}

// UpsertIndicators inserts indicators, updating the definition of existing
// ones, through the catalogue's one decision (catalogue.Decide, as `hub
// indicators import`): a definition the catalogue refuses (a formula that
// does not parse, names unknown indicators or is circular, directly or
// through stored formulas; a bad type, level or direction) is an error
// with its code, and nothing is written.
func (l *Loader) UpsertIndicators(ctx context.Context, is []*hub.Indicator) error {
	res, err := NewOperatorCatalogue(l.db).UpsertIndicators(hub.NewChannelContext(ctx, "demo:catalogue"), is, false)
	if err != nil {
		return fmt.Errorf("load indicators: %w", err)
	}
	if len(res.Conflicts) > 0 {
		c := res.Conflicts[0]
		return fmt.Errorf("load indicators: %s: %w", is[c.Index].Key, hub.Errorf(c.Code, "%s", c.Message))
	}
	return nil
}

// UpsertShares records sharing agreements; existing ones stay as they are.
// An agreement without a region opens the whole tree (the root).
func (l *Loader) UpsertShares(ctx context.Context, shares []*hub.Share) error {
	const q = `INSERT INTO shares (owner_department, grantee_department, indicator_key, region_code, created_by)
VALUES ($1, $2, $3, nullif($4, ''), $5) ON CONFLICT DO NOTHING`
	b := &pgx.Batch{}
	for _, sh := range shares {
		b.Queue(q, sh.Owner, sh.Grantee, sh.Indicator, sh.Region, sh.CreatedBy)
	}
	return l.send(ctx, "shares", b)
}

// UpsertRules adds validation rules whose name is not taken; existing
// rules (perhaps changed by a coordinator) stay as they are.
func (l *Loader) UpsertRules(ctx context.Context, rules []*hub.ValidationRule) error {
	const q = `INSERT INTO validation_rules (name, left_expr, operator, right_expr, tolerance, severity, missing_values,
  text_zh, text_en, active, indicator_keys, created_by, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'demo', 'demo') ON CONFLICT (name) DO NOTHING`
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('hub.channel', 'demo:rules', true)`)
	for _, r := range rules {
		b.Queue(q, r.Name, r.Left, r.Operator, r.Right, r.Tolerance, string(r.Severity), string(r.MissingValues),
			r.TextZh, r.TextEn, r.Active, r.Indicators)
	}
	return l.send(ctx, "validation rules", b)
}

func (l *Loader) send(ctx context.Context, what string, b *pgx.Batch) error {
	return pgx.BeginFunc(ctx, l.db.pool, func(tx pgx.Tx) error {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("load %s: %w", what, err)
		}
		return nil
	})
}

// InsertValues adds values whose key has no value yet and returns how many
// it added: loading twice changes nothing, and a loaded value never
// replaces one that is there. The rows are copied into a temporary table
// and inserted from there in one statement.
func (l *Loader) InsertValues(ctx context.Context, channel string, values []hub.ValueRecord) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, l.db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('hub.channel', $1, true)`, channel); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE load_values (
  indicator_key text, region_code text, period text, value double precision,
  qualifier text, comment text, status text, source text) ON COMMIT DROP`); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"load_values"},
			[]string{"indicator_key", "region_code", "period", "value", "qualifier", "comment", "status", "source"},
			pgx.CopyFromSlice(len(values), func(i int) ([]any, error) {
				v := values[i]
				return []any{v.Indicator, v.Region, v.Period, v.Value, string(v.Qualifier), v.Comment, string(v.Status), v.Source}, nil
			}))
		if err != nil {
			return fmt.Errorf("copy values: %w", err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period,
  value, qualifier, comment, status, is_released, source, publish_at, updated_by)
SELECT l.indicator_key, i.department_code, l.region_code, r.path, l.period, l.value, l.qualifier, l.comment,
       l.status, l.status IN ('APPROVED', 'PUBLISHED'), l.source,
       CASE WHEN l.status = 'PUBLISHED' THEN now() END, 'demo'
FROM load_values l
JOIN indicators i ON i.key = l.indicator_key
JOIN regions r ON r.code = l.region_code
ON CONFLICT (indicator_key, period, region_code) WHERE is_head DO NOTHING`)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("insert values: %w", err)
	}
	// Statistics for the planner now rather than when autovacuum comes
	// by: right after the demo's load the tables had none, and the first
	// minutes' plans sorted a whole year for a page of 50 (30 ms against
	// 0.9 ms once analysed, issue 20).
	if n >= analyzeAfterRows {
		if _, err := l.db.pool.Exec(ctx, `ANALYZE data_values, value_rollups`); err != nil {
			return n, fmt.Errorf("analyze values: %w", err)
		}
	}
	return n, nil
}

// analyzeAfterRows is how many rows InsertValues adds before it analyses
// the tables it filled.
const analyzeAfterRows = 1000

// PublishPeriod publishes the released publicity values of period as one
// publication batch titled title, unless a batch of that title exists.
func (l *Loader) PublishPeriod(ctx context.Context, title, period string) error {
	const q = `WITH p AS (
  INSERT INTO publications (title, publish_at, created_by)
  SELECT $1, now(), 'demo' WHERE NOT EXISTS (SELECT 1 FROM publications WHERE title = $1)
  RETURNING id, publish_at)
UPDATE data_values v SET status = 'PUBLISHED', publish_at = p.publish_at, publication_id = p.id
FROM p, indicators i
WHERE i.key = v.indicator_key AND i.publicity AND v.period = $2 AND v.is_released AND v.status = 'APPROVED'`
	return pgx.BeginFunc(ctx, l.db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('hub.channel', 'demo:publication', true)`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, q, title, period); err != nil {
			return fmt.Errorf("publish %s: %w", period, err)
		}
		return nil
	})
}

// CountValues returns how many value rows (all versions) the database holds.
func (l *Loader) CountValues(ctx context.Context) (int64, error) {
	var n int64
	if err := l.db.pool.QueryRow(ctx, `SELECT count(*) FROM data_values`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count values: %w", err)
	}
	return n, nil
}

// CopyProgressEvery is how many rows lie between two progress reports of CopyValues.
const CopyProgressEvery = 250_000

// CopyValues streams values straight into data_values with COPY, in one
// transaction, and returns how many it wrote. It is for bulk loads into a
// fresh database (data generators): rows must be new and consistent with
// the catalogue and region tree, because the per-row triggers (the audit
// trail and foreign-key checks) are off during the copy
// (session_replication_role = replica, so the owner must be a superuser).
// The load itself is one audit row of action 'import', and one "many"
// notification on hub_values (the notify triggers are off as well).
// Afterwards the table is vacuumed (visibility map and hint bits, so that
// the first reads do not write) and analyzed (the planner knows its size).
// The copy bypasses the rollup triggers too: call RebuildMissingRollups next.
func (l *Loader) CopyValues(ctx context.Context, channel string, values iter.Seq[hub.ValueRecord], progress func(n int64)) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, l.db.pool, func(tx pgx.Tx) error {
		ltree, err := registerLtree(ctx, tx.Conn())
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '512MB'`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return fmt.Errorf("bulk copy needs the owner to be a superuser (session_replication_role): %w", err)
		}
		dept, path, err := lookups(ctx, tx)
		if err != nil {
			return err
		}
		next, stop := iter.Pull(values)
		defer stop()
		src := &valueSource{next: next, dept: dept, path: path, ltree: ltree, progress: progress}
		n, err = tx.CopyFrom(ctx, pgx.Identifier{"data_values"},
			[]string{"indicator_key", "department_code", "region_code", "region_path", "period", "value", "qualifier",
				"comment", "status", "status_reason", "is_released", "source", "publish_at", "updated_by"}, src)
		if err != nil {
			return fmt.Errorf("copy values (row %d): %w", src.n, err)
		}
		if src.err != nil {
			return src.err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor, actor_role, channel, action, detail)
VALUES (session_user, 'system', $1, 'import', $2)`, channel, fmt.Sprintf("bulk copy of %d generated values", n))
		if err != nil {
			return err
		}
		// The notify triggers are off too: what data_values_notify sends
		// for a bulk load, so that running hubs empty their count caches
		// and live subscribers read again.
		_, err = tx.Exec(ctx, `SELECT pg_notify('hub_values', '{"many": true}')`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("copy values: %w", err)
	}
	if _, err := l.db.pool.Exec(ctx, `VACUUM (ANALYZE) data_values`); err != nil {
		return n, fmt.Errorf("vacuum data_values: %w", err)
	}
	return n, nil
}

// RebuildMissingRollups rebuilds the rollups (value_rollups_rebuild) of
// every indicator that has none, one indicator per transaction, two at a
// time (the machines have two cores), calling progress after each; then it
// analyzes the tables. An indicator's rollups are therefore complete or
// absent, so after a failure or a cancel the next call carries on where
// this one stopped. Indicators without released values have no rollups
// and are rebuilt (cheaply) every time. Like CopyValues it turns off the
// per-row foreign-key checks (session_replication_role = replica, so the
// owner must be a superuser): every rollup is derived from values that
// passed the same checks, and the checks cost more than the aggregation.
func (l *Loader) RebuildMissingRollups(ctx context.Context, progress func(done, total int)) error {
	rows, _ := l.db.pool.Query(ctx, `SELECT i.key FROM indicators i
WHERE NOT EXISTS (SELECT 1 FROM value_rollups r WHERE r.indicator_key = i.key) ORDER BY i.key`)
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("find indicators without rollups: %w", err)
	}
	var (
		mu   sync.Mutex
		done int
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for _, key := range keys {
		g.Go(func() error {
			err := pgx.BeginFunc(gctx, l.db.pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(gctx, `SET LOCAL session_replication_role = replica`); err != nil {
					return fmt.Errorf("bulk rebuild needs the owner to be a superuser (session_replication_role): %w", err)
				}
				_, err := tx.Exec(gctx, `SELECT value_rollups_rebuild(ARRAY[$1])`, key)
				return err
			})
			if err != nil {
				return fmt.Errorf("rebuild rollups of %s: %w", key, err)
			}
			mu.Lock()
			defer mu.Unlock()
			done++
			if progress != nil {
				progress(done, len(keys))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if _, err := l.db.pool.Exec(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// registerLtree teaches conn the ltree type, which COPY's binary format needs.
func registerLtree(ctx context.Context, conn *pgx.Conn) (*pgtype.Type, error) {
	var oid uint32
	if err := conn.QueryRow(ctx, `SELECT 'ltree'::regtype::oid`).Scan(&oid); err != nil {
		return nil, fmt.Errorf("find ltree type: %w", err)
	}
	t := &pgtype.Type{Name: "ltree", OID: oid, Codec: pgtype.LtreeCodec{}}
	conn.TypeMap().RegisterType(t)
	return t, nil
}

// lookups returns every indicator's department and every region's path.
func lookups(ctx context.Context, tx pgx.Tx) (dept, path map[string]string, err error) {
	dept, path = map[string]string{}, map[string]string{}
	rows, _ := tx.Query(ctx, `SELECT key, department_code FROM indicators`)
	var k, v string
	if _, err := pgx.ForEachRow(rows, []any{&k, &v}, func() error { dept[k] = v; return nil }); err != nil {
		return nil, nil, fmt.Errorf("read indicators: %w", err)
	}
	rows, _ = tx.Query(ctx, `SELECT code, path::text FROM regions`)
	if _, err := pgx.ForEachRow(rows, []any{&k, &v}, func() error { path[k] = v; return nil }); err != nil {
		return nil, nil, fmt.Errorf("read regions: %w", err)
	}
	return dept, path, nil
}

// valueSource adapts a pulled iterator of values to pgx.CopyFromSource.
type valueSource struct {
	next       func() (hub.ValueRecord, bool)
	dept, path map[string]string
	ltree      *pgtype.Type
	progress   func(n int64)
	cur        hub.ValueRecord
	n          int64
	err        error
	published  time.Time
}

func (s *valueSource) Next() bool {
	var ok bool
	s.cur, ok = s.next()
	if ok {
		s.n++
		if s.progress != nil && s.n%CopyProgressEvery == 0 {
			s.progress(s.n)
		}
	}
	return ok
}

func (s *valueSource) Values() ([]any, error) {
	v := s.cur
	dept, ok1 := s.dept[v.Indicator]
	path, ok2 := s.path[v.Region]
	if !ok1 || !ok2 {
		s.err = fmt.Errorf("value %s/%s/%s: unknown indicator or region", v.Indicator, v.Region, v.Period)
		return nil, s.err
	}
	var publishAt *time.Time
	if v.Status == hub.Published {
		if s.published.IsZero() {
			s.published = time.Now()
		}
		publishAt = &s.published
	}
	released := v.Status == hub.Approved || v.Status == hub.Published
	return []any{v.Indicator, dept, v.Region, path, v.Period, v.Value, string(v.Qualifier), v.Comment,
		string(v.Status), v.StatusReason, released, v.Source, publishAt, "province"}, nil
}

func (s *valueSource) Err() error { return s.err }

// DatabaseSize returns pg_database_size of the current database in bytes.
func (l *Loader) DatabaseSize(ctx context.Context) (int64, error) {
	var n int64
	if err := l.db.pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return n, nil
}
