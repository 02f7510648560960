// Package postgres implements the hub's services on PostgreSQL with pgx.
//
// Every request runs as the database role hub_app, which owns nothing and
// has no BYPASSRLS; the principal of the request's context is handed to the
// row-level security policies with set_config(..., true) in the same
// transaction as the request's statements (one pgx batch, one round trip).
// Administrative work (migrations, the demo loader, user management) uses
// the owner's connection.
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/metrics"
)

// AppRole is the role requests run as; migrations create it.
const AppRole = "hub_app"

// Config says how to reach PostgreSQL.
type Config struct {
	// URL is a postgres:// connection URL.
	URL string
	// MaxConns bounds the pool; 0 keeps pgx's default (max(4, cores)).
	MaxConns int32
	// Tracer, when set, sees every statement (tests count them).
	Tracer pgx.QueryTracer
	// StatementTimeout cancels any statement running longer (PostgreSQL's
	// statement_timeout on every connection of the pool); 0 keeps the
	// server's setting. A cancelled statement is an UNAVAILABLE error.
	StatementTimeout time.Duration
	// ConnectTimeout bounds opening one connection (default 5 s), so that
	// requests during a database outage fail fast instead of hanging.
	ConnectTimeout time.Duration
	// ApplicationName names the connections in pg_stat_activity.
	ApplicationName string
	// HealthCheckPeriod is how often idle connections are checked and
	// the pool refilled (default 5 s); dead connections left by a
	// database restart are dropped at the latest then.
	HealthCheckPeriod time.Duration
	// ReadURL, when set, is a streaming standby of URL's database (same
	// role): read-only requests run there (see Replica). Empty: every
	// request runs on URL.
	ReadURL string
	// ReadYourWritesWait bounds how long a read by a caller who wrote in
	// the last minute waits for the standby to replay that write before
	// it runs on the primary instead (default 1 s).
	ReadYourWritesWait time.Duration
}

// DB is a pool of connections to the hub's database, and optionally a
// second pool to a standby for reads.
type DB struct {
	pool *pgxpool.Pool
	url  string
	// replica is nil without Config.ReadURL.
	replica *replica
	// caches is nil unless Cache was called.
	caches *caches
	// tokens is nil unless AuthService.CacheTokens was called: every
	// AuthService over the DB (hub serve's Auth, Users and Tokens) reads
	// and empties the same cache.
	tokens *tokenCache
}

// Open connects to PostgreSQL and checks that it answers. The error says
// which URL was tried and how to start a server.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	pool, err := openPool(ctx, cfg.URL, cfg)
	if err != nil {
		return nil, err
	}
	db := &DB{pool: pool, url: cfg.URL}
	if cfg.ReadURL != "" {
		standby, err := openPool(ctx, cfg.ReadURL, cfg)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("read replica: %w", err)
		}
		db.replica = newReplica(standby, cmp.Or(cfg.ReadYourWritesWait, time.Second))
	}
	return db, nil
}

func openPool(ctx context.Context, rawURL string, cfg Config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL %s: %w", Redact(cfg.URL), err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.Tracer != nil {
		pc.ConnConfig.Tracer = cfg.Tracer
	}
	pc.ConnConfig.ConnectTimeout = cmp.Or(cfg.ConnectTimeout, pc.ConnConfig.ConnectTimeout, 5*time.Second)
	pc.HealthCheckPeriod = cmp.Or(cfg.HealthCheckPeriod, 5*time.Second)
	if cfg.ApplicationName != "" {
		pc.ConnConfig.RuntimeParams["application_name"] = cfg.ApplicationName
	}
	if cfg.StatementTimeout > 0 {
		pc.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", Redact(rawURL), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, Unreachable(rawURL, err)
	}
	return pool, nil
}

// Unreachable wraps a connection error with the URL tried and what to do.
func Unreachable(rawURL string, err error) error {
	return fmt.Errorf("cannot reach PostgreSQL at %s: %w\n"+
		"  start a server (Debian: pg_ctlcluster 15 main start) or set DATABASE_URL / --database-url", Redact(rawURL), err)
}

// Close closes the pools.
func (db *DB) Close() {
	db.pool.Close()
	if db.replica != nil {
		db.replica.pool.Close()
	}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Stat returns the pool's statistics, for metrics.
func (db *DB) Stat() *pgxpool.Stat { return db.pool.Stat() }

// PoolStats returns the pool's statistics in the metrics package's terms.
func (db *DB) PoolStats() metrics.PoolStats {
	s := db.pool.Stat()
	return metrics.PoolStats{
		AcquiredConns: s.AcquiredConns(), IdleConns: s.IdleConns(), TotalConns: s.TotalConns(),
		ConstructingConns: s.ConstructingConns(), MaxConns: s.MaxConns(),
		AcquireCount: s.AcquireCount(), EmptyAcquireCount: s.EmptyAcquireCount(),
		CanceledAcquireCount: s.CanceledAcquireCount(), NewConnsCount: s.NewConnsCount(),
		MaxLifetimeDestroyCount: s.MaxLifetimeDestroyCount(), MaxIdleDestroyCount: s.MaxIdleDestroyCount(),
		AcquireDuration: s.AcquireDuration(),
	}
}

// Redact returns rawURL without its password, for messages and logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// AppURL returns the URL requests connect with: ownerURL with the user
// replaced by AppRole, unless ownerURL is a key=value string, which is
// returned with user= appended.
func AppURL(ownerURL string) (string, error) {
	if !strings.Contains(ownerURL, "://") {
		return ownerURL + " user=" + AppRole, nil
	}
	u, err := url.Parse(ownerURL)
	if err != nil {
		return "", fmt.Errorf("parse database URL: %w", err)
	}
	u.User = url.User(AppRole)
	return u.String(), nil
}

// setPrincipal hands the principal to the policies for the rest of the
// transaction only: set_config's third argument is is_local.
//
// It also turns JIT compilation off for the transaction. The row policies
// make every statement's expressions large, and a plan whose estimated
// cost passes jit_above_cost (a generic plan at province scale: 42
// million) spent seconds compiling them before its first row: a page of
// 50 values took 2,786 ms with JIT and 10 ms without (EXPLAIN ANALYZE,
// province, issue 20); on the city demo the same start-up cost was the
// 250–400 ms "not understood" in docs/performance.md. The hub's
// statements read few rows; none gains from JIT.
const setPrincipal = `SELECT set_config('hub.user', $1, true), set_config('hub.role', $2, true),
       set_config('hub.department', $3, true), set_config('hub.scope', $4, true),
       set_config('hub.channel', $5, true), set_config('hub.file', $6, true),
       set_config('jit', 'off', true)`

// PrincipalSettings returns the one statement that hands the principal
// and the channel of ctx to the row policies for the rest of the
// transaction, and its arguments ("import:f.csv" becomes channel IMPORT
// and file f.csv). Every request runs it first; test harnesses that query
// as hub_app by hand run it too, so that they act as the services do.
func PrincipalSettings(ctx context.Context) (sql string, args []any) {
	channel, file := hub.SplitChannel(hub.ChannelFrom(ctx))
	p := hub.PrincipalFrom(ctx)
	if p == nil {
		// Nobody: an empty scope matches no region, so nothing is visible.
		return setPrincipal, []any{"", "", "", "", channel, file}
	}
	dept := ""
	if p.Department != nil {
		dept = *p.Department
	}
	return setPrincipal, []any{p.Name, string(p.Role), dept, p.RegionPath, channel, file}
}

// read queues the statements fn adds after the principal and runs them as
// one batch: one implicit transaction, one round trip. Results are read by
// the callbacks fn attaches to its queued queries.
func (db *DB) read(ctx context.Context, fn func(b *pgx.Batch)) error {
	b := &pgx.Batch{}
	sql, args := PrincipalSettings(ctx)
	b.Queue(sql, args...)
	fn(b)
	pool := db.readPool(ctx)
	err := pool.SendBatch(ctx, b).Close()
	if err != nil && pool != db.pool && standbyDown(err) {
		// The standby cannot be reached and nothing ran: the primary answers.
		db.replica.primaryReads.Add(1)
		err = db.pool.SendBatch(ctx, b).Close()
	}
	return mapError(err)
}

// tx runs fn in a transaction as the principal of ctx; fn's error rolls
// everything back.
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		sql, args := PrincipalSettings(ctx)
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("set principal: %w", err)
		}
		return fn(tx)
	})
	if err == nil {
		db.caches.wrote()
		if db.replica != nil {
			db.replica.wrote(ctx, db.pool)
		}
	}
	return mapError(err)
}

// errUnavailable is what a request sees while the database cannot be
// reached; the details go to the log.
func errUnavailable(err error) error {
	return fmt.Errorf("%w: %v", hub.Errorf(hub.EUNAVAILABLE, "数据库暂时不可用，请稍后重试 / the database is unavailable for a moment, try again shortly"), err)
}

// workflowCodes are the SQLSTATEs enforce_workflow raises (migration 00044)
// and the hub codes they stand for: who (FORBIDDEN), the value's current
// status (CONFLICT: it changed since the caller looked), or what the value
// is (BAD_USER_INPUT).
var workflowCodes = map[string]string{
	"WF001": hub.EFORBIDDEN,
	"WF002": hub.ECONFLICT,
	"WF003": hub.EINVALID,
}

// catalogueCodes are the SQLSTATEs the catalogue's guards raise (migration
// 00051): a value of a retired indicator (RETIRED), a change the catalogue
// refuses as it stands (CONFLICT).
var catalogueCodes = map[string]string{
	"CT001": hub.ERETIRED,
	"CT002": hub.ECONFLICT,
}

// mapError turns PostgreSQL's refusals into the hub's error codes: a
// denied write is FORBIDDEN, a statement timeout or a lost connection is
// UNAVAILABLE.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		// Whatever the server said while refusing the connection (starting
		// up, shutting down, not accepting connections), it is not the
		// request's fault.
		return errUnavailable(err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		if lostConnection(err) {
			return errUnavailable(err)
		}
		return err
	}
	if c := pgErr.Code; strings.HasPrefix(c, "08") || c == "57P01" || c == "57P02" || c == "57P03" {
		// connection exception, admin/crash shutdown, cannot connect now
		return errUnavailable(err)
	}
	if code, ok := catalogueCodes[pgErr.Code]; ok {
		return fmt.Errorf("%w (%s)", hub.Errorf(code, "%s", pgErr.Message), pgErr.Where)
	}
	if code, ok := workflowCodes[pgErr.Code]; ok {
		// enforce_workflow (migration 00044) words these refusals for people.
		return fmt.Errorf("%w (%s)", hub.Errorf(code, "%s", pgErr.Message), pgErr.Where)
	}
	switch pgErr.Code {
	case "42501": // insufficient_privilege, including RLS WITH CHECK failures
		return fmt.Errorf("%w (%s)", hub.Errorf(hub.EFORBIDDEN, "无权执行此操作 / not allowed"), pgErr.Message)
	case "22021", "22P05": // text that is not valid UTF-8 or holds NUL: always the caller's input
		return fmt.Errorf("%w: %v", hub.Errorf(hub.EINVALID, "输入含有无效字符 / the input holds invalid characters"), err)
	case "23514": // check_violation: a row the table's rules refuse (e.g. RETURNED without a reason)
		return fmt.Errorf("%w (%s)", hub.Errorf(hub.EINVALID, "数据不符合规则 / the value breaks a rule of the table"), pgErr.Message)
	case "57014": // query_canceled: statement timeout
		return fmt.Errorf("%w: %v", hub.Errorf(hub.EUNAVAILABLE, "查询超时，请缩小查询范围或稍后重试 / the query took too long (statement timeout): narrow it or try again later"), err)
	}
	return err
}

// lostConnection reports whether err means the database could not be
// reached or the connection broke (not a refusal by PostgreSQL, not the
// request's own cancellation).
func lostConnection(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)
}

// QueryJSON runs one read-only statement that returns a single text or
// json value, in the request's batch after the principal's settings, and
// returns that value: the SQL floor of bench/peer (the whole GraphQL
// answer built by PostgreSQL in one round trip), under the same policies.
func (db *DB) QueryJSON(ctx context.Context, sql string, args ...any) ([]byte, error) {
	var out []byte
	err := db.read(ctx, func(b *pgx.Batch) {
		b.Queue(sql, args...).QueryRow(func(row pgx.Row) error { return row.Scan(&out) })
	})
	return out, err
}
