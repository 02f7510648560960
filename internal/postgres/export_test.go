package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// ReadForTest runs one statement the way request reads run (principal
// first, one batch) and scans one text column, so that tests can watch
// timeouts and lost connections go through mapError.
func (db *DB) ReadForTest(ctx context.Context, sql string, args ...any) (string, error) {
	var out string
	err := db.read(ctx, func(b *pgx.Batch) {
		b.Queue(sql, args...).QueryRow(func(r pgx.Row) error { return r.Scan(&out) })
	})
	return out, err
}
