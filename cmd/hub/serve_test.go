package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// hub serve, sent SIGTERM while a GraphQL request waits on the database,
// refuses new connections at once, lets the request finish with its
// answer, closes its pool and returns without error. Metrics are on the
// separate --metrics-addr, not on --addr.
func TestServe_SIGTERMDrainsInFlightRequestThenClosesThePool(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	auth := postgres.NewAuthService(db.Owner)
	if _, err := auth.CreateUser(ctx, hub.NewUser{Name: "lead", Role: hub.Leader, Region: "370700"}); err != nil {
		t.Fatal(err)
	}
	token, err := auth.CreateToken(ctx, "lead")
	if err != nil {
		t.Fatal(err)
	}
	addr, maddr := freeAddr(t), freeAddr(t)
	sigCtx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(sigCtx, []string{"serve", "--database-url", db.URL, "--addr", addr, "--metrics-addr", maddr,
			"--log-format", "json", "--statement-timeout", "20s", "--shutdown-timeout", "15s"}, io.Discard, &logs)
	}()
	client := &http.Client{Timeout: 20 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub serve not ready: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp, err := client.Get("http://" + maddr + "/metrics"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("--metrics-addr: %v %v", resp, err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `hub_db_pool_max_connections{pool="app"}`) {
			t.Error("no pool metrics on --metrics-addr")
		}
	}
	if resp, err := client.Get("http://" + addr + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on --addr while --metrics-addr is set: %v %v", resp, err)
	}

	// Hold a lock the request will wait on.
	owner := db.OwnerConn(t)
	tx, err := owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE data_values IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   string
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+addr+"/graphql",
			strings.NewReader(`{"query":"{ dataValues(filter: {periods: [\"2022\"]}, first: 1) { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- answer{status: resp.StatusCode, body: string(b)}
	}()
	// Wait until the request is waiting on the lock.
	for i := 0; ; i++ {
		var waiting int
		if err := owner.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'hub serve' AND wait_event_type = 'Lock'`, db.Name).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if i > 200 {
			t.Fatal("the request never reached the database")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("new connections still accepted after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("serve returned (%v) with a request in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	a := <-got
	if a.err != nil || a.status != 200 || !strings.Contains(a.body, `"totalCount"`) {
		t.Fatalf("in-flight request: %d %s %v", a.status, a.body, a.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return after the last request")
	}
	// Backends exit a moment after their client says goodbye.
	var conns int
	for range 50 {
		if err := owner.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'hub serve'`, db.Name).Scan(&conns); err != nil {
			t.Fatal(err)
		}
		if conns == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if conns != 0 {
		t.Errorf("%d hub_app connections left open after serve returned", conns)
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("no shutdown line in the log:\n%s", logs.String())
	}
}

// A malformed limit in the environment stops serve with a usage error
// naming the variable, never a silent default.
func TestServe_RefusesAMalformedLimitInTheEnvironment(t *testing.T) {
	for name, v := range map[string]string{"HUB_STATEMENT_TIMEOUT": "soon", "HUB_RATE_LIMIT": "lots", "HUB_SHUTDOWN_TIMEOUT": "30"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, v)
			var out bytes.Buffer
			err := run(context.Background(), []string{"serve", "--database-url", "postgres://nowhere.invalid/x"}, &out, &out)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(ue.msg, name) {
				t.Errorf("%s=%s: %v", name, v, err)
			}
		})
	}
}
