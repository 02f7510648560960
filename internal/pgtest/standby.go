package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PGBin is where Debian's PostgreSQL 15 server programs live.
const PGBin = "/usr/lib/postgresql/15/bin"

// Standby is a streaming hot standby of the test server, on a port of its
// own, stopped and removed when the test ends.
type Standby struct {
	// Port the standby listens on (127.0.0.1).
	Port int
	dir  string
}

// URL returns rawURL (a URL of the primary) pointing at the standby.
func (s *Standby) URL(t testing.TB, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
	return u.String()
}

// StartStandby copies the running test server with pg_basebackup into a
// temporary directory and starts it as a hot standby streaming from it,
// as the postgres OS user (tests run as root here; runuser switches).
// The primary must allow replication connections from 127.0.0.1
// (wal_level replica or logical, max_wal_senders > 0, a pg_hba
// "replication" line: .ci/run adds it). Without the programs, or when
// not root and not postgres, the test is skipped, except under CI=true,
// where it fails. Databases created on the primary afterwards appear on
// the standby as it replays.
func StartStandby(t testing.TB) *Standby {
	t.Helper()
	ctx := context.Background()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatalf("standby: %s", msg)
		}
		t.Skipf("standby: %s", msg)
	}
	for _, p := range []string{filepath.Join(PGBin, "pg_ctl"), filepath.Join(PGBin, "pg_basebackup")} {
		if _, err := os.Stat(p); err != nil {
			missing("%s is missing (Debian: apt-get install postgresql-15)", p)
		}
	}
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		missing("runuser is missing (util-linux)")
	}
	pgUser, err := user.Lookup("postgres")
	if err != nil {
		missing("no postgres OS user: %v", err)
	}
	if uid := os.Getuid(); uid != 0 && strconv.Itoa(uid) != pgUser.Uid {
		missing("tests must run as root or postgres to start a second cluster (uid %d)", uid)
	}
	server, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	primary, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close(ctx)
	// A hot standby needs at least the primary's value of these.
	var conf strings.Builder
	for _, name := range []string{"max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction"} {
		var v string
		if err := primary.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&conf, "%s = %s\n", name, v)
	}
	var walLevel string
	if err := primary.QueryRow(ctx, "SHOW wal_level").Scan(&walLevel); err != nil || walLevel == "minimal" {
		missing("the primary's wal_level is %q: set replica (the default) and restart it", walLevel)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "hub-standby-")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(pgUser.Uid)
	gid, _ := strconv.Atoi(pgUser.Gid)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	s := &Standby{Port: port, dir: dir}
	data := filepath.Join(dir, "data")
	asPostgres := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, runuser, append([]string{"-u", "postgres", "--", filepath.Join(PGBin, name)}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
		}
		return nil
	}
	t.Cleanup(func() {
		if err := asPostgres("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"); err != nil {
			t.Log(err)
		}
		os.RemoveAll(dir)
	})
	host, sport := server.Hostname(), server.Port()
	if sport == "" {
		sport = "5432"
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	// -c fast: do not wait for the primary's next checkpoint; -R writes
	// standby.signal and primary_conninfo; a throwaway copy needs neither
	// fsync nor a manifest.
	// On a busy shared server, a checkpoint that starts while
	// pg_basebackup creates its temporary slot can invalidate the slot
	// ("terminating process … to release replication slot"); a second
	// try starts clean.
	for try := 1; ; try++ {
		err = asPostgres("pg_basebackup", "-h", host, "-p", sport, "-U", "postgres", "-D", data, "-R", "-X", "stream", "-c", "fast", "--no-sync", "--no-manifest")
		if err == nil || try == 3 || !strings.Contains(err.Error(), "terminat") {
			break
		}
		t.Logf("pg_basebackup, try %d: %v", try, err)
		os.RemoveAll(data)
	}
	if err != nil {
		if strings.Contains(err.Error(), "pg_hba.conf") || strings.Contains(err.Error(), "replication connection") {
			missing("the primary refuses replication connections; add `host replication all 127.0.0.1/32 trust` to pg_hba.conf and reload (.ci/run does): %v", err)
		}
		t.Fatal(err)
	}
	// Debian keeps the configuration outside the data directory, so the
	// copy has none: a minimal one of its own.
	fmt.Fprintf(&conf, "port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nhot_standby = on\nfsync = off\nshared_buffers = 32MB\nlogging_collector = off\n", port, dir)
	files := map[string]string{
		"postgresql.conf": conf.String(),
		"pg_hba.conf":     "local all all trust\nhost all all 127.0.0.1/32 trust\n",
		"pg_ident.conf":   "",
	}
	for name, body := range files {
		p := filepath.Join(data, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if err := asPostgres("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "120", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("%v\n%s", err, log)
	}
	// Ready when it answers as a standby.
	standbyURL := s.URL(t, ServerURL())
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var inRecovery bool
		conn, err := pgx.Connect(ctx, standbyURL)
		if err == nil {
			err = conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery)
			conn.Close(ctx)
		}
		if err == nil && inRecovery {
			return s
		}
		if err == nil {
			t.Fatal("the copy is not in recovery: it is no standby")
		}
		if time.Now().After(deadline) {
			t.Fatalf("standby on port %d not ready: %v", port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
