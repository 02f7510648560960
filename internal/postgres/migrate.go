package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/sixprot/hub/migrations"
)

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// Migrator applies the embedded migrations with goose. It must run as the
// owner of the tables, never as hub_app.
type Migrator struct {
	db       *sql.DB
	provider *goose.Provider
}

// NewMigrator returns a migrator over db's pool. A PostgreSQL advisory lock
// keeps two processes from migrating one database at once.
func NewMigrator(db *DB) (*Migrator, error) {
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	fsys, err := fs.Sub(migrations.FS, ".")
	if err != nil {
		return nil, err
	}
	// Each area of the hub numbers its migrations in its own range
	// (00010–00019 data in, 00020–00029 analytics, …), so a database can
	// meet a lower number after a higher one was applied. No migration
	// depends on a higher-numbered one, so the missing ones are applied in
	// order instead of refused.
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{db: sqlDB, provider: p}, nil
}

// Migrate applies every pending migration to db (as the owner) and
// returns the names applied.
func Migrate(ctx context.Context, db *DB) ([]string, error) {
	m, err := NewMigrator(db)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return m.Up(ctx)
}

// Close releases the migrator's connection handle (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration and returns the names applied.
func (m *Migrator) Up(ctx context.Context) ([]string, error) {
	res, err := m.provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate up: %w", err)
	}
	names := make([]string, len(res))
	for i, r := range res {
		names[i] = r.Source.Path
	}
	return names, nil
}

// Status lists every migration with its state.
func (m *Migrator) Status(ctx context.Context) ([]MigrationStatus, error) {
	st, err := m.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, len(st))
	for i, s := range st {
		out[i] = MigrationStatus{Version: s.Source.Version, Name: s.Source.Path,
			Applied: s.State == goose.StateApplied, AppliedAt: s.AppliedAt}
	}
	return out, nil
}

// Pending reports whether migrations remain to be applied.
func (m *Migrator) Pending(ctx context.Context) (bool, error) {
	return m.provider.HasPending(ctx)
}
