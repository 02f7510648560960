// Command outage runs the hub against a scratch database under a bounded
// loopback load (writers calling submitValues, readers calling
// dataValues), takes the database away once in the middle, and reports
// what clients saw: requests, errors during the outage by code, time to
// recover after the database is back, and acknowledged submissions
// against those found afterwards.
//
// Two kinds of fault:
//
//	-fault restart    pg_ctlcluster 15 main restart: the real thing; it
//	                  disturbs everyone using the server, so run it rarely.
//	-fault terminate  only this run's database: connections refused
//	                  (ALLOW_CONNECTIONS false) and existing ones killed
//	                  for -outage, then allowed again. Safe on a shared server.
//
// Usage (from the repository root; needs a superuser URL):
//
//	go run ./bench/outage -fault terminate
//	go run ./bench/outage -fault restart -duration 45s
package main

import (
	"bufio"
	"bytes"
	"context"
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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sixprot/hub/internal/postgres"
)

func main() {
	var o options
	flag.StringVar(&o.server, "server-url", envOr("HUB_TEST_DATABASE_URL", "postgres://postgres@localhost:5432/postgres?sslmode=disable"), "superuser URL of the PostgreSQL server")
	flag.StringVar(&o.fault, "fault", "terminate", "restart (pg_ctlcluster 15 main restart) or terminate (this database only)")
	flag.DurationVar(&o.duration, "duration", 40*time.Second, "length of the load")
	flag.DurationVar(&o.faultAt, "fault-at", 15*time.Second, "when the fault starts")
	flag.DurationVar(&o.outage, "outage", 3*time.Second, "how long -fault terminate keeps the database away")
	flag.IntVar(&o.writers, "writers", 3, "clients calling submitValues")
	flag.IntVar(&o.readers, "readers", 3, "clients calling dataValues")
	flag.DurationVar(&o.pace, "pace", 40*time.Millisecond, "pause between one client's requests")
	flag.StringVar(&o.hub, "hub", "", "hub binary (default: go build ./cmd/hub into a temporary directory)")
	flag.BoolVar(&o.keep, "keep", false, "keep the scratch database")
	flag.Parse()
	if o.fault != "restart" && o.fault != "terminate" {
		fmt.Fprintln(os.Stderr, "outage: -fault must be restart or terminate")
		os.Exit(2)
	}
	if o.faultAt >= o.duration {
		fmt.Fprintln(os.Stderr, "outage: -fault-at must come before the end of -duration")
		os.Exit(2)
	}
	ok, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "outage:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(3)
	}
}

type options struct {
	server, fault, hub        string
	duration, faultAt, outage time.Duration
	pace                      time.Duration
	writers, readers          int
	keep                      bool
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// The writers' indicators (civil_affairs, YEAR, COUNTY, not derived):
// each writer owns one, so every submission has a key of its own.
var writerIndicators = []string{"joint_meeting_units", "social_service_projects", "social_organizations",
	"leading_group_units", "town_protection_stations", "social_service_beneficiaries"}

var counties = []string{"370702", "370703", "370704", "370705", "370781", "370782", "370783", "370784",
	"370785", "370786", "370724", "370725"}

// sample is one request as a client saw it.
type sample struct {
	start, end time.Time
	kind       string // write or read
	code       string // "" for success; an extensions.code, HTTP_<status> or TRANSPORT
	detail     string
}

func run(ctx context.Context, o options) (bool, error) {
	tmp, err := os.MkdirTemp("", "ops2-outage-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	hubBin := o.hub
	if hubBin == "" {
		hubBin = filepath.Join(tmp, "hub")
		fmt.Println("building the hub …")
		if out, err := exec.Command("go", "build", "-o", hubBin, "./cmd/hub").CombinedOutput(); err != nil {
			return false, fmt.Errorf("go build ./cmd/hub: %v\n%s", err, out)
		}
	}

	name := fmt.Sprintf("ops2_outage_%d", time.Now().Unix())
	dbURL, err := postgres.WithDatabase(o.server, name)
	if err != nil {
		return false, err
	}
	if !o.keep {
		defer func() {
			// The server may still be restarting: try for a while.
			for range 20 {
				if err := postgres.DropDatabase(context.Background(), o.server, name); err == nil {
					return
				}
				time.Sleep(500 * time.Millisecond)
			}
			fmt.Fprintf(os.Stderr, "outage: could not drop %s; drop it by hand\n", name)
		}()
	}
	fmt.Printf("loading the demo into %s …\n", name)
	out, err := exec.Command(hubBin, "demo", "--load-only", "--database-url", dbURL).CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("hub demo --load-only: %v\n%s", err, out)
	}
	token := tokenOf(string(out), "demo-analyst")
	if token == "" {
		return false, fmt.Errorf("no demo-analyst token in:\n%s", out)
	}

	addr, err := freeAddr()
	if err != nil {
		return false, err
	}
	logPath := filepath.Join(tmp, "hub.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return false, err
	}
	defer logFile.Close()
	hubCmd := exec.Command(hubBin, "serve", "--database-url", dbURL, "--addr", addr, "--rate-limit", "0", "--log-format", "json")
	hubCmd.Stdout, hubCmd.Stderr = logFile, logFile
	if err := hubCmd.Start(); err != nil {
		return false, err
	}
	hubDone := make(chan error, 1)
	go func() { hubDone <- hubCmd.Wait() }()
	defer func() {
		_ = hubCmd.Process.Signal(os.Interrupt)
		select {
		case <-hubDone:
		case <-time.After(40 * time.Second):
			_ = hubCmd.Process.Kill()
		}
	}()
	base := "http://" + addr
	client := &http.Client{Timeout: 15 * time.Second}
	if err := waitReady(client, base, 30*time.Second); err != nil {
		return false, err
	}
	fmt.Printf("hub serving on %s (pid %d); load %v with %d writers and %d readers, fault %q at %v\n",
		addr, hubCmd.Process.Pid, o.duration, o.writers, o.readers, o.fault, o.faultAt)

	var (
		mu      sync.Mutex
		samples []sample
		acked   = map[key]float64{}
		failed  = map[key]float64{}
	)
	record := func(s sample) {
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
	}
	start := time.Now()
	stop := start.Add(o.duration)
	var wg sync.WaitGroup
	var faultStart, faultEnd atomic.Pointer[time.Time]
	var faultErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(time.Until(start.Add(o.faultAt)))
		var t0, t1 time.Time
		t0, t1, faultErr = fault(o, name)
		faultStart.Store(&t0)
		faultEnd.Store(&t1)
	}()
	readyLog := &readyWatch{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for time.Now().Before(stop) {
			readyLog.poll(client, base)
			time.Sleep(200 * time.Millisecond)
		}
	}()
	for w := range o.writers {
		ind := writerIndicators[w%len(writerIndicators)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				k := key{ind, counties[i%len(counties)], strconv.Itoa(2030 + i/len(counties))}
				if i/len(counties) > 70 {
					return // years up to 2100
				}
				v := float64(1000*w + i + 1)
				s := submit(client, base, token, k, v)
				record(s)
				mu.Lock()
				if s.code == "" {
					acked[k] = v
				} else {
					failed[k] = v
				}
				mu.Unlock()
				time.Sleep(o.pace)
			}
		}()
	}
	for r := range o.readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				record(read(client, base, token, counties[(r+i)%len(counties)]))
				time.Sleep(o.pace)
			}
		}()
	}
	wg.Wait()
	if faultErr != nil {
		return false, fmt.Errorf("fault: %w", faultErr)
	}

	// What is in the database now, read back through the API.
	if err := waitReady(client, base, 30*time.Second); err != nil {
		return false, fmt.Errorf("after the load: %w", err)
	}
	found, err := readBack(client, base, token, writerIndicators[:min(o.writers, len(writerIndicators))])
	if err != nil {
		return false, fmt.Errorf("read back: %w", err)
	}
	hubLog, _ := os.ReadFile(logPath)
	return report(o, samples, acked, failed, found, *faultStart.Load(), *faultEnd.Load(), readyLog, hubLog), nil
}

// fault takes the database away and returns when it went away and when
// it accepted connections again.
func fault(o options, db string) (down, up time.Time, err error) {
	switch o.fault {
	case "restart":
		// pg_ctlcluster returns a while after the server accepts
		// connections again; watch pg_isready meanwhile to time the
		// outage itself: from the first refusal to the first acceptance.
		done := make(chan error, 1)
		go func() {
			out, err := exec.Command("pg_ctlcluster", "15", "main", "restart").CombinedOutput()
			if err != nil {
				err = fmt.Errorf("pg_ctlcluster 15 main restart: %v: %s", err, out)
			}
			done <- err
		}()
		var down, up time.Time
		for up.IsZero() {
			select {
			case err := <-done:
				if err != nil {
					return time.Time{}, time.Time{}, err
				}
				if down.IsZero() {
					down = time.Now()
				}
				up = time.Now()
				continue
			default:
			}
			ready := exec.Command("pg_isready", "-q", "-d", o.server).Run() == nil
			switch {
			case !ready && down.IsZero():
				down = time.Now()
			case ready && !down.IsZero():
				up = time.Now()
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := <-done; err != nil {
			return time.Time{}, time.Time{}, err
		}
		return down, up, nil
	case "terminate":
		down = time.Now()
		if err := psql(o.server, fmt.Sprintf(`ALTER DATABASE %s ALLOW_CONNECTIONS false;
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '%s';`, db, db)); err != nil {
			return down, up, err
		}
		time.Sleep(o.outage)
		if err := psql(o.server, fmt.Sprintf(`ALTER DATABASE %s ALLOW_CONNECTIONS true`, db)); err != nil {
			return down, up, err
		}
		return down, time.Now(), nil
	}
	return down, up, errors.New("unknown fault")
}

func psql(url, sql string) error {
	out, err := exec.Command("psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql).CombinedOutput()
	if err != nil {
		return fmt.Errorf("psql: %v: %s", err, out)
	}
	return nil
}

type key struct{ indicator, region, period string }

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func post(client *http.Client, base, token, query string, vars map[string]any) (*gqlResponse, string, string) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, "HANG", err.Error()
		}
		return nil, "TRANSPORT", err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, "HTTP_" + strconv.Itoa(resp.StatusCode), string(raw)
	}
	if len(out.Errors) > 0 {
		code, _ := out.Errors[0].Extensions["code"].(string)
		if code == "" {
			code = "NO_CODE"
		}
		return &out, code, out.Errors[0].Message
	}
	if resp.StatusCode != http.StatusOK {
		return &out, "HTTP_" + strconv.Itoa(resp.StatusCode), string(raw)
	}
	return &out, "", ""
}

func submit(client *http.Client, base, token string, k key, v float64) sample {
	const q = `mutation($in: [DataValueInput!]!) { submitValues(input: $in) { created updated unchanged conflicts { index code message } } }`
	s := sample{start: time.Now(), kind: "write"}
	resp, code, detail := post(client, base, token, q, map[string]any{"in": []map[string]any{{
		"indicator": k.indicator, "region": k.region, "period": k.period, "value": v}}})
	s.end, s.code, s.detail = time.Now(), code, detail
	if code == "" {
		var out struct {
			SubmitValues struct {
				Created   int
				Conflicts []struct{ Code, Message string }
			}
		}
		switch err := json.Unmarshal(resp.Data, &out); {
		case err == nil && len(out.SubmitValues.Conflicts) > 0:
			s.code, s.detail = "CONFLICT_"+out.SubmitValues.Conflicts[0].Code, out.SubmitValues.Conflicts[0].Message
		case err != nil || out.SubmitValues.Created != 1:
			s.code, s.detail = "NOT_CREATED", string(resp.Data)
		}
	}
	return s
}

func read(client *http.Client, base, token, region string) sample {
	const q = `query($r: [ID!]) { dataValues(filter: {regions: $r, periods: ["2022", "2021"]}, first: 50) { totalCount edges { node { value indicator { key } } } } }`
	s := sample{start: time.Now(), kind: "read"}
	_, code, detail := post(client, base, token, q, map[string]any{"r": []string{region}})
	s.end, s.code, s.detail = time.Now(), code, detail
	return s
}

// readBack returns every value of the writers' indicators in 2030–2100.
func readBack(client *http.Client, base, token string, indicators []string) (map[key]float64, error) {
	const q = `query($i: [ID!], $after: String) { dataValues(filter: {indicators: $i}, first: 1000, after: $after) {
  edges { cursor node { value period indicator { key } region { code } } } pageInfo { hasNextPage endCursor } } }`
	found := map[key]float64{}
	var after any
	for {
		resp, code, detail := post(client, base, token, q, map[string]any{"i": indicators, "after": after})
		if code != "" {
			return nil, fmt.Errorf("%s: %s", code, detail)
		}
		var out struct {
			DataValues struct {
				Edges []struct {
					Node struct {
						Value     *float64
						Period    string
						Indicator struct{ Key string }
						Region    struct{ Code string }
					}
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		if err := json.Unmarshal(resp.Data, &out); err != nil {
			return nil, err
		}
		for _, e := range out.DataValues.Edges {
			n := e.Node
			if n.Value != nil && n.Period >= "2030" {
				found[key{n.Indicator.Key, n.Region.Code, n.Period}] = *n.Value
			}
		}
		if !out.DataValues.PageInfo.HasNextPage {
			return found, nil
		}
		after = *out.DataValues.PageInfo.EndCursor
	}
}

// readyWatch records /readyz's answers over time.
type readyWatch struct {
	mu      sync.Mutex
	changes []string
	last    int
}

func (r *readyWatch) poll(client *http.Client, base string) {
	status := 0
	resp, err := client.Get(base + "/readyz")
	if err == nil {
		status = resp.StatusCode
		resp.Body.Close()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if status != r.last {
		r.changes = append(r.changes, fmt.Sprintf("%s %d", time.Now().Format("15:04:05.000"), status))
		r.last = status
	}
}

func report(o options, samples []sample, acked, failed, found map[key]float64, faultStart, faultEnd time.Time,
	ready *readyWatch, hubLog []byte) bool {
	sort.Slice(samples, func(i, j int) bool { return samples[i].end.Before(samples[j].end) })
	var total, errs, writes, reads int
	byCode := map[string]int{}
	var firstErr, lastErr time.Time
	var slowest time.Duration
	for _, s := range samples {
		total++
		if s.kind == "write" {
			writes++
		} else {
			reads++
		}
		slowest = max(slowest, s.end.Sub(s.start))
		if s.code == "" {
			continue
		}
		errs++
		byCode[s.code]++
		if firstErr.IsZero() {
			firstErr = s.start
		}
		lastErr = s.end
	}
	// Recovery: from the database being back to the first request that
	// started after that and succeeded, and to the last failure.
	var firstOK time.Time
	for _, s := range samples {
		if s.code == "" && s.start.After(faultEnd) {
			if firstOK.IsZero() || s.end.Before(firstOK) {
				firstOK = s.end
			}
		}
	}
	lost := 0
	var lostKeys []string
	for k, v := range acked {
		if got, ok := found[k]; !ok || got != v {
			lost++
			if len(lostKeys) < 5 {
				lostKeys = append(lostKeys, fmt.Sprintf("%v", k))
			}
		}
	}
	writtenAnyway := 0
	for k := range failed {
		if _, ok := found[k]; ok {
			writtenAnyway++
		}
	}
	panics := bytes.Count(hubLog, []byte("panic"))
	internal := bytes.Count(hubLog, []byte(`"level":"ERROR"`))

	fmt.Printf("\n== outage report (%s) ==\n", o.fault)
	fmt.Printf("requests:            %d (%d submitValues, %d dataValues), pace %v per client\n", total, writes, reads, o.pace)
	fmt.Printf("database away:       %s → %s (%.2f s, pg_isready)\n", faultStart.Format("15:04:05.000"), faultEnd.Format("15:04:05.000"), faultEnd.Sub(faultStart).Seconds())
	fmt.Printf("errors:              %d", errs)
	codes := make([]string, 0, len(byCode))
	for c := range byCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Printf("  %s=%d", c, byCode[c])
	}
	fmt.Println()
	if errs > 0 {
		fmt.Printf("errors between:      %s and %s\n", firstErr.Format("15:04:05.000"), lastErr.Format("15:04:05.000"))
		fmt.Printf("last error after db back: %+.2f s\n", lastErr.Sub(faultEnd).Seconds())
	}
	if !firstOK.IsZero() {
		fmt.Printf("time to recover:     %.2f s (database back → first successful request that started after)\n", firstOK.Sub(faultEnd).Seconds())
	}
	fmt.Printf("slowest request:     %.2f s (client timeout 15 s)\n", slowest.Seconds())
	fmt.Printf("acknowledged writes: %d, found afterwards: %d, lost: %d %v\n", len(acked), len(acked)-lost, lost, lostKeys)
	fmt.Printf("failed writes:       %d (of which written anyway: %d; the client was told to retry)\n", len(failed), writtenAnyway)
	fmt.Printf("/readyz:             %s\n", strings.Join(ready.changes, ", "))
	fmt.Printf("hub log:             %d ERROR lines, %d mentions of panic\n", internal, panics)
	sc := bufio.NewScanner(bytes.NewReader(hubLog))
	shown := 0
	for sc.Scan() && shown < 3 {
		if l := sc.Text(); strings.Contains(l, `"level":"ERROR"`) && !strings.Contains(l, `"msg":"request"`) {
			fmt.Printf("  e.g. %.300s\n", l)
			shown++
		}
	}
	ok := lost == 0 && panics == 0 && byCode["HANG"] == 0 && byCode["INTERNAL"] == 0 && byCode["NO_CODE"] == 0 &&
		byCode["TRANSPORT"] == 0 && byCode["NOT_CREATED"] == 0 && byCode["CONFLICT_INTERNAL"] == 0 && !firstOK.IsZero() && firstOK.Sub(faultEnd) <= 5*time.Second
	fmt.Printf("verdict:             %s\n", map[bool]string{true: "PASS (clear errors only, recovered ≤ 5 s, 0 acknowledged writes lost)", false: "FAIL"}[ok])
	return ok
}

func tokenOf(out, user string) string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && f[0] == user && strings.HasPrefix(f[2], "sph_") {
			return f[2]
		}
	}
	return ""
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitReady(client *http.Client, base string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("hub not ready at %s within %v", base, within)
}
