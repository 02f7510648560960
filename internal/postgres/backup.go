package postgres

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// Backup writes the database of rawURL to file in pg_dump's custom format
// (compressed, restored selectively by pg_restore): schema, data, row
// policies, grants and ownership. Roles are cluster-wide and not in it:
// Restore creates hub_app, the only role the hub needs besides the owner.
func Backup(ctx context.Context, rawURL, file string) error {
	return runTool(ctx, rawURL, "pg_dump", "--format=custom", "--file="+file)
}

// Restore restores file (made by Backup) into the database of rawURL,
// creating it when missing. A database that has tables already is refused
// unless force, which replaces its objects (pg_restore --clean).
func Restore(ctx context.Context, rawURL, file string, force bool) error {
	name, err := DatabaseName(rawURL)
	if err != nil {
		return err
	}
	if _, err := EnsureDatabase(ctx, rawURL); err != nil {
		return err
	}
	db, err := Open(ctx, Config{URL: rawURL})
	if err != nil {
		return err
	}
	var tables int
	err = db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables)
	if err == nil {
		// The role every grant and policy of the backup names.
		_, err = db.pool.Exec(ctx, `DO $$ BEGIN
  CREATE ROLE hub_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$`)
	}
	db.Close()
	if err != nil {
		return fmt.Errorf("prepare restore into %s: %w", name, err)
	}
	args := []string{"--exit-on-error", "--single-transaction"}
	if tables > 0 {
		if !force {
			return hub.Errorf(hub.ECONFLICT, "数据库 %s 已有 %d 张表，拒绝覆盖（换一个空库，或加 --force 替换）/ database %s has %d tables already: restore into an empty database, or replace them with --force",
				name, tables, name, tables)
		}
		args = append(args, "--clean", "--if-exists")
	}
	if err := runTool(ctx, rawURL, "pg_restore", append(args, file)...); err != nil {
		return err
	}
	return notifyRestored(ctx, rawURL)
}

// notifyRestored tells the hubs serving the database that everything may
// have changed: pg_restore loads the data before it creates the triggers,
// so none of them notified, and a running hub's caches would go on
// serving the replaced tokens, catalogue and counts.
func notifyRestored(ctx context.Context, rawURL string) error {
	db, err := Open(ctx, Config{URL: rawURL})
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.pool.Exec(ctx, `SELECT pg_notify($1, '{"many": true}'), pg_notify($2, 'restore'), pg_notify($3, 'restore')`,
		ValuesChannel, CatalogueChannel, authChannel)
	if err != nil {
		return fmt.Errorf("notify the restore: %w", err)
	}
	return nil
}

// runTool runs a PostgreSQL client program on the database of rawURL, its
// stderr in the error. A password in the URL goes to the program in
// PGPASSWORD, not on its command line (which other users of the host see).
func runTool(ctx context.Context, rawURL, tool string, args ...string) error {
	env := os.Environ()
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
			rawURL = u.String()
		}
	}
	args = append([]string{"--dbname=" + rawURL}, args...)
	path, err := exec.LookPath(tool)
	if err != nil {
		return fmt.Errorf("%s 未安装（PostgreSQL 客户端程序，与服务器同一主版本）/ %s not found: install the PostgreSQL client programs of the server's major version: %w", tool, tool, err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stderr = &stderr
	cmd.Env = env
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", tool, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
