package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DatabaseName returns the database a URL names.
func DatabaseName(rawURL string) (string, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return "", fmt.Errorf("parse database URL %s: %w", Redact(rawURL), err)
	}
	return cfg.Database, nil
}

// WithDatabase returns rawURL naming database name instead.
func WithDatabase(rawURL, name string) (string, error) {
	if !strings.Contains(rawURL, "://") {
		return rawURL + " dbname=" + name, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parse database URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// maintenance connects to the server's postgres database, for creating and
// dropping databases.
func maintenance(ctx context.Context, rawURL string) (*pgx.Conn, error) {
	mURL, err := WithDatabase(rawURL, "postgres")
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, mURL)
	if err != nil {
		return nil, Unreachable(rawURL, err)
	}
	return conn, nil
}

// EnsureDatabase creates the database rawURL names when it does not exist
// and reports whether it did.
func EnsureDatabase(ctx context.Context, rawURL string) (bool, error) {
	name, err := DatabaseName(rawURL)
	if err != nil {
		return false, err
	}
	conn, err := maintenance(ctx, rawURL)
	if err != nil {
		return false, err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return false, nil
	}
	_, err = conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create database %s: %w", name, err)
	}
	return true, nil
}

// CloneDatabase creates database name as a copy of template (which must
// have no connections), on the server of rawURL.
func CloneDatabase(ctx context.Context, rawURL, template, name string) error {
	conn, err := maintenance(ctx, rawURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+` TEMPLATE `+pgx.Identifier{template}.Sanitize())
	if err != nil {
		return fmt.Errorf("clone database %s from %s: %w", name, template, err)
	}
	return nil
}

// CopyDatabase is CloneDatabase for a large template (a loaded province):
// the files are copied (STRATEGY FILE_COPY) instead of written through the
// WAL block by block, which PostgreSQL 15 does by default and which suits
// small templates.
func CopyDatabase(ctx context.Context, rawURL, template, name string) error {
	conn, err := maintenance(ctx, rawURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+` TEMPLATE `+pgx.Identifier{template}.Sanitize()+` STRATEGY FILE_COPY`)
	if err != nil {
		return fmt.Errorf("copy database %s from %s: %w", name, template, err)
	}
	return nil
}

// DropDatabase drops database name on the server of rawURL, closing its
// connections, and does nothing if it does not exist.
func DropDatabase(ctx context.Context, rawURL, name string) error {
	conn, err := maintenance(ctx, rawURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// WithAdvisoryLock runs fn while holding a server-wide advisory lock on
// key, so that several processes (test packages) do not do fn at once.
func WithAdvisoryLock(ctx context.Context, rawURL string, key int64, fn func() error) error {
	conn, err := maintenance(ctx, rawURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) //nolint:errcheck // released on close anyway
	return fn()
}

// ListDatabases returns the names of the databases LIKE pattern.
func ListDatabases(ctx context.Context, rawURL, pattern string) ([]string, error) {
	conn, err := maintenance(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1`, pattern)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	return names, nil
}

// BackendPIDs returns the process ids of the server's backends connected
// to db's database under application_name name (bench/peer reads their
// CPU time in /proc). It needs a role that sees other sessions (the
// owner, or pg_read_all_stats).
func BackendPIDs(ctx context.Context, db *DB, name string) ([]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, name)
	if err != nil {
		return nil, fmt.Errorf("list backends: %w", err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("list backends: %w", err)
	}
	return pids, nil
}
