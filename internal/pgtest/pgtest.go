// Package pgtest gives each test its own PostgreSQL database: a clone of a
// template that is migrated (and, on request, filled with the demo data)
// once per test process. Cloning takes a few tens of milliseconds, so tests
// stay isolated without paying for migrations each time.
//
// The server is HUB_TEST_DATABASE_URL (default: postgres on localhost).
// When it cannot be reached, tests skip with a message, except under
// CI=true, where they fail.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/demo"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
)

// DefaultURL is the server tests use unless HUB_TEST_DATABASE_URL says otherwise.
const DefaultURL = "postgres://postgres@localhost:5432/postgres?sslmode=disable"

// ServerURL returns the URL of the test server's maintenance database.
func ServerURL() string {
	if u := os.Getenv("HUB_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// DB is one test's database.
type DB struct {
	// Name of the database.
	Name string
	// URL connects as the owner (superuser); AppURL as hub_app.
	URL, AppURL string
	// Owner is a pool as the owner, for setting up data; App a pool as
	// hub_app, on which requests run.
	Owner, App *postgres.DB
}

// Options change what New gives.
type Options struct {
	// Demo clones a template that has the demo data loaded.
	Demo bool
	// Empty gives a database without migrations.
	Empty bool
	// Tracer sees every statement of the App pool.
	Tracer pgx.QueryTracer
	// StatementTimeout is set on the App pool's connections.
	StatementTimeout time.Duration
}

var (
	templates sync.Map // kind → *template
	counter   atomic.Int64
)

type template struct {
	once sync.Once
	name string
	err  error
}

// New returns a fresh database for t, dropped when t ends.
func New(t testing.TB, opts Options) *DB {
	t.Helper()
	ctx := context.Background()
	server := ServerURL()
	if err := reachable(ctx, server); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v", err)
		}
		t.Skipf("no PostgreSQL reachable (%v); start one (pg_ctlcluster 15 main start) or set HUB_TEST_DATABASE_URL", err)
	}
	name := fmt.Sprintf("sixprot_t_%d_%d", os.Getpid(), counter.Add(1))
	switch {
	case opts.Empty:
		if _, err := postgres.EnsureDatabase(ctx, mustWithDB(t, server, name)); err != nil {
			t.Fatal(err)
		}
	default:
		kind := "base"
		if opts.Demo {
			kind = "demo"
		}
		tmpl, err := templateFor(ctx, server, kind)
		if err != nil {
			t.Fatalf("template database: %v", err)
		}
		if err := postgres.CloneDatabase(ctx, server, tmpl, name); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := postgres.DropDatabase(context.Background(), server, name); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	db := &DB{Name: name, URL: mustWithDB(t, server, name)}
	var err error
	if db.AppURL, err = postgres.AppURL(db.URL); err != nil {
		t.Fatal(err)
	}
	if db.Owner, err = postgres.Open(ctx, postgres.Config{URL: db.URL, MaxConns: 4}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Owner.Close)
	if !opts.Empty {
		if db.App, err = postgres.Open(ctx, postgres.Config{URL: db.AppURL, MaxConns: 8, Tracer: opts.Tracer, StatementTimeout: opts.StatementTimeout}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.App.Close)
	}
	return db
}

func mustWithDB(t testing.TB, server, name string) string {
	u, err := postgres.WithDatabase(server, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var reach struct {
	once sync.Once
	err  error
}

func reachable(ctx context.Context, server string) error {
	reach.once.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		db, err := postgres.Open(ctx, postgres.Config{URL: server, MaxConns: 1})
		if err != nil {
			reach.err = err
			return
		}
		db.Close()
	})
	return reach.err
}

// templateFor builds this process's template of a kind once.
func templateFor(ctx context.Context, server, kind string) (string, error) {
	v, _ := templates.LoadOrStore(kind, &template{})
	tp := v.(*template)
	tp.once.Do(func() {
		tp.name = fmt.Sprintf("sixprot_tmpl_%d_%s", os.Getpid(), kind)
		tp.err = buildTemplate(ctx, server, tp.name, kind == "demo")
	})
	return tp.name, tp.err
}

func buildTemplate(ctx context.Context, server, name string, withDemo bool) error {
	if err := sweep(ctx, server); err != nil {
		return err
	}
	url, err := postgres.WithDatabase(server, name)
	if err != nil {
		return err
	}
	if err := postgres.DropDatabase(ctx, server, name); err != nil {
		return err
	}
	if _, err := postgres.EnsureDatabase(ctx, url); err != nil {
		return err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: url, MaxConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	// Creating the cluster-wide role hub_app races between processes; the
	// lock serialises the migrations of concurrent test packages.
	err = postgres.WithAdvisoryLock(ctx, server, 0x5150_7465_7374, func() error {
		_, err := postgres.Migrate(ctx, db)
		return err
	})
	if err != nil {
		return err
	}
	if withDemo {
		if _, err := demo.Load(ctx, postgres.NewLoader(db)); err != nil {
			return fmt.Errorf("load demo: %w", err)
		}
	}
	return nil
}

// sweep drops databases left by test processes that are gone (killed
// before their cleanup ran).
func sweep(ctx context.Context, server string) error {
	names, err := postgres.ListDatabases(ctx, server, "sixprot_t%")
	if err != nil {
		return err
	}
	for _, n := range names {
		if pid, ok := pidOf(n); ok && !alive(pid) {
			if err := postgres.DropDatabase(ctx, server, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// pidOf reads the pid out of sixprot_t_<pid>_n and sixprot_tmpl_<pid>_kind.
func pidOf(name string) (int, bool) {
	parts := strings.Split(name, "_")
	if len(parts) < 3 {
		return 0, false
	}
	pid, err := strconv.Atoi(parts[2])
	return pid, err == nil
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

// OwnerConn opens a connection as the owner, closed when t ends, for
// setting up data past the policies.
func (db *DB) OwnerConn(t testing.TB) *pgx.Conn { return connect(t, db.URL) }

// AppConn opens a connection as hub_app, closed when t ends, for running
// SQL under the policies as a request would.
func (db *DB) AppConn(t testing.TB) *pgx.Conn { return connect(t, db.AppURL) }

// SetPrincipal hands p to the policies for the rest of tx with the
// statement every request runs first (postgres.PrincipalSettings), so
// that SQL run by hand acts as a request of p would.
func SetPrincipal(t testing.TB, tx pgx.Tx, p hub.Principal) {
	t.Helper()
	sql, args := postgres.PrincipalSettings(hub.NewContext(context.Background(), &p))
	if _, err := tx.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("set principal %s: %v", p.Name, err)
	}
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Existing opens a database that exists already, at ownerURL, for
// benchmarks on a large generated data set (hub demo --scale province):
// nothing is cloned and nothing is dropped. The App pool is sized like the
// server's.
func Existing(t testing.TB, ownerURL string, tracer pgx.QueryTracer) *DB {
	t.Helper()
	ctx := context.Background()
	db := &DB{URL: ownerURL}
	var err error
	if db.AppURL, err = postgres.AppURL(ownerURL); err != nil {
		t.Fatal(err)
	}
	if db.Owner, err = postgres.Open(ctx, postgres.Config{URL: db.URL, MaxConns: 4}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Owner.Close)
	if db.App, err = postgres.Open(ctx, postgres.Config{URL: db.AppURL, Tracer: tracer}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.App.Close)
	return db
}

// CopyOf copies the existing database of ownerURL (a loaded province) into
// a fresh database that is dropped when the test ends, for benchmarks that
// write. The source must have no other sessions while it is copied.
func CopyOf(t testing.TB, ownerURL string) *DB {
	t.Helper()
	ctx := context.Background()
	u, err := url.Parse(ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	source := strings.TrimPrefix(u.Path, "/")
	name := fmt.Sprintf("sixprot_t_%d_%d", os.Getpid(), counter.Add(1))
	if err := postgres.CopyDatabase(ctx, ownerURL, source, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := postgres.DropDatabase(context.Background(), ownerURL, name); err != nil {
			t.Errorf("drop copied database: %v", err)
		}
	})
	copyURL, err := postgres.WithDatabase(ownerURL, name)
	if err != nil {
		t.Fatal(err)
	}
	db := Existing(t, copyURL, nil)
	db.Name = name
	return db
}
