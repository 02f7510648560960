package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// ExecForTest runs one statement the way request writes run (a
// transaction as the principal of ctx), committing it, and returns its
// error after mapError: tests watch the database's refusals become the
// hub's codes.
func (db *DB) ExecForTest(ctx context.Context, sql string, args ...any) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, sql, args...)
		return err
	})
}
