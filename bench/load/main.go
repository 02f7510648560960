// Command load serves the hub on a loopback port over an existing database
// and measures throughput and latency of GraphQL queries at several
// numbers of concurrent clients, each step bounded in time.
//
//	go run ./bench/load -database-url 'postgres://postgres@localhost:5432/perf_province?sslmode=disable'
//
// It creates (or reuses) a city-wide leader, bench-load-leader, and sends
// the same query from every client: a dataValues page and a comparison.
// Nothing listens beyond 127.0.0.1 and nothing runs longer than
// -duration per step (default 5s; 2 queries × 3 steps = 30 s).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
	"github.com/sixprot/hub/internal/server"
)

var queries = []struct{ name, body string }{
	{"dataValues", `{"query":"{ dataValues(filter: {indicators: [\"child_directors\"], periods: [\"2022\"]}, first: 100) { totalCount edges { cursor node { id value status indicator { key name } region { code name } } } } }"}`},
	{"comparison", `{"query":"{ comparison(indicator: \"child_directors\", period: \"2022\", parent: \"370700\", level: COUNTY) { region { code name } value perTenThousandMinors rank } }"}`},
}

func main() {
	dbURL := flag.String("database-url", os.Getenv("HUB_BENCH_DATABASE_URL"), "owner URL of the database (default $HUB_BENCH_DATABASE_URL)")
	root := flag.String("region", "370700", "region of the load's leader")
	duration := flag.Duration("duration", 5*time.Second, "how long each step runs (at most 1m)")
	levels := flag.String("clients", "8,32,128", "numbers of concurrent clients")
	maxConns := flag.Int("max-conns", 0, "pgxpool MaxConns of the hub (0: pgx's default, max(4, cores))")
	flag.Parse()
	if *dbURL == "" {
		fmt.Fprintln(os.Stderr, "load: set -database-url or HUB_BENCH_DATABASE_URL")
		os.Exit(2)
	}
	if *duration > time.Minute {
		*duration = time.Minute
	}
	if err := run(*dbURL, *root, *duration, *levels, int32(*maxConns)); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(dbURL, root string, duration time.Duration, levels string, maxConns int32) error {
	ctx := context.Background()
	owner, err := postgres.Open(ctx, postgres.Config{URL: dbURL, MaxConns: 2})
	if err != nil {
		return err
	}
	defer owner.Close()
	auth := postgres.NewAuthService(owner)
	if _, err := auth.EnsureUser(ctx, hub.NewUser{Name: "bench-load-leader", Role: hub.Leader, Region: root}); err != nil {
		return err
	}
	token, err := auth.CreateToken(ctx, "bench-load-leader")
	if err != nil {
		return err
	}
	appURL, err := postgres.AppURL(dbURL)
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: appURL, MaxConns: maxConns})
	if err != nil {
		return err
	}
	defer db.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := postgres.NewServices(db, postgres.ServicesConfig{})
	h := server.Handler(server.Config{
		Log:      quiet,
		Services: svc,
		GraphQL:  graph.NewHTTPHandler(svc, graph.HTTPConfig{Log: quiet}),
		Ready:    func(ctx context.Context) error { return db.Ping(ctx) },
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // closed below
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/graphql"
	fmt.Printf("hub on %s, pool MaxConns %d, %s per step\n", url, db.Stat().MaxConns(), duration)
	fmt.Printf("%-11s %7s %9s %9s %9s %7s\n", "query", "clients", "req/s", "p50 ms", "p99 ms", "errors")
	for _, q := range queries {
		for _, f := range strings.Split(levels, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("bad -clients %q", levels)
			}
			st := step(url, token, q.body, n, duration)
			fmt.Printf("%-11s %7d %9.1f %9.2f %9.2f %7d\n", q.name, n, st.rps, st.p50, st.p99, st.errors)
		}
	}
	return nil
}

type result struct {
	rps, p50, p99 float64
	errors        int
}

// step runs n clients for d and returns what they measured.
func step(url, token, body string, n int, d time.Duration) result {
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				t0 := time.Now()
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				var out struct{ Errors []any }
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, errs = append(lat, mine...), errs+bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := min(len(lat)-1, max(0, int(float64(len(lat))*p/100+0.5)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	return result{rps: float64(len(lat)) / elapsed.Seconds(), p50: pct(50), p99: pct(99), errors: errs}
}
