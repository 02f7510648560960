package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sixprot/hub/graph"

	"github.com/sixprot/hub/internal/dashboard"
	"github.com/sixprot/hub/internal/demo"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/live"
	"github.com/sixprot/hub/internal/metrics"
	"github.com/sixprot/hub/internal/postgres"
	"github.com/sixprot/hub/internal/server"
	"github.com/sixprot/hub/internal/sso"
	"github.com/sixprot/hub/internal/trusted"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flags("migrate", &cfg, stderr)
	status := fs.Bool("status", false, "list migrations and whether they are applied")
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := postgres.NewMigrator(db)
	if err != nil {
		return err
	}
	defer m.Close()
	if *status {
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied " + s.AppliedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%05d  %-32s %s\n", s.Version, s.Name, state)
		}
		return nil
	}
	applied, err := m.Up(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "数据库已是最新 / database is up to date")
	}
	for _, name := range applied {
		fmt.Fprintf(stdout, "applied %s\n", name)
	}
	return nil
}

func runUserCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flags("user create", &cfg, stderr)
	name := fs.String("name", "", "user name (letters, digits, _.@-)")
	role := fs.String("role", "", "analyst, coordinator, leader, media or admin")
	dept := fs.String("department", "", "department code (analysts)")
	region := fs.String("region", "", "region code; the user's scope is its subtree (default: the tree's root)")
	passwordStdin := fs.Bool("password-stdin", false, "read a password for /login from the first line of stdin")
	service := fs.Bool("service", false, "a service account: a department's machine identity (a platform), tokens only, no password or login")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" || *role == "" {
		return usagef("user create needs --name and --role")
	}
	r, err := hub.ParseRole(*role)
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer db.Close()
	if *region == "" {
		// One hub may hold several cities: the default is the tree's one root.
		if *region, err = postgres.NewRegionStore(db).Root(ctx); err != nil {
			return err
		}
	}
	u := hub.NewUser{Name: *name, Role: r, Region: *region, Service: *service}
	if *dept != "" {
		u.Department = dept
	}
	if *passwordStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		u.Password = &pw
	}
	created, err := postgres.NewAuthService(db).CreateUser(ctx, u)
	if err != nil {
		return err
	}
	kind := ""
	if created.Service {
		kind = ", service account"
	}
	fmt.Fprintf(stdout, "created user %s (%s, region %s%s)\n", created.Name, created.Role, created.Region, kind)
	return nil
}

func runTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flags("token create", &cfg, stderr)
	user := fs.String("user", "", "user name")
	expires := fs.String("expires", "", "lifetime, e.g. 90d or 12h, or never (default: --token-expiry)")
	operatorExpiry := fs.String("token-expiry", envOr("HUB_TOKEN_EXPIRY", defaultTokenExpiry), "lifetime of tokens created without --expires (never: no expiry)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *user == "" {
		return usagef("token create needs --user")
	}
	ttl, err := tokenLifetime(*expires, *operatorExpiry)
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := postgres.NewAuthService(db).IssueToken(ctx, *user, ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, t.Token)
	until := "不过期 / no expiry"
	if t.ExpiresAt != nil {
		until = "有效期至 / expires " + t.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(stderr, "令牌 / token id %d, %s (吊销 / revoke: hub token revoke %d)\n", t.ID, until, t.ID)
	return nil
}

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	var cfg config
	fs := flags("serve", &cfg, stderr)
	var sc serveConfig
	sc.bind(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	return serve(ctx, cfg, sc, newLogger(cfg.LogFormat, stderr))
}

// serveConfig is the configuration of serve (and demo): limits, timeouts
// and where metrics are served.
type serveConfig struct {
	MetricsAddr      string
	StatementTimeout time.Duration
	RateLimit        server.RateLimit
	TrustedProxies   []netip.Prefix
	LoginBackoff     postgres.LoginBackoff
	MaxBodyBytes     int64
	MaxQueryBytes    int
	Timeouts         server.Timeouts
	// TrustedDocuments is the manifest of the only operations callers
	// other than admins may run ("": any).
	TrustedDocuments string
	// OIDCConfig is the single sign-on configuration file ("": off).
	OIDCConfig string
	// ReadDatabaseURL is a streaming standby for read-only requests
	// (empty: none); its user is replaced by hub_app like the primary's.
	ReadDatabaseURL string
	// ReadYourWritesWait bounds a writer's wait for the standby.
	ReadYourWritesWait time.Duration
	// TokenCacheTTL is how long a token's principal is kept (0: off).
	TokenCacheTTL time.Duration
	// CacheTTL bounds the catalogue and count caches (0: off).
	CacheTTL time.Duration
	// envErr is the first malformed environment variable bind met.
	envErr error
}

func (sc *serveConfig) bind(fs *flag.FlagSet) {
	d := server.DefaultTimeouts
	fs.StringVar(&sc.MetricsAddr, "metrics-addr", os.Getenv("HUB_METRICS_ADDR"), "serve /metrics without authentication on this separate address (e.g. 127.0.0.1:9090); empty: /metrics on --addr for admins' bearer tokens")
	fs.DurationVar(&sc.StatementTimeout, "statement-timeout", sc.envDuration("HUB_STATEMENT_TIMEOUT", 30*time.Second), "cancel any SQL statement running longer (0: no limit)")
	fs.Float64Var(&sc.RateLimit.PerSecond, "rate-limit", sc.envFloat("HUB_RATE_LIMIT", server.DefaultRateLimit.PerSecond), "requests per second per token, session or anonymous IP (0 or negative: off)")
	fs.IntVar(&sc.RateLimit.Burst, "rate-burst", int(sc.envFloat("HUB_RATE_BURST", float64(server.DefaultRateLimit.Burst))), "requests a client may send at once")
	fs.IntVar(&sc.RateLimit.MaxClients, "rate-max-clients", int(sc.envFloat("HUB_RATE_MAX_CLIENTS", server.DefaultMaxClients)), "most clients the rate limiter tracks at once; beyond, new clients share one bucket")
	fs.StringVar(&sc.ReadDatabaseURL, "read-database-url", os.Getenv("HUB_READ_DATABASE_URL"), "a streaming standby of the database (owner URL like --database-url; requests connect as hub_app): read-only requests go there, writes and a writer's reads right after go to the primary (docs/scaling.md)")
	fs.DurationVar(&sc.ReadYourWritesWait, "read-your-writes-wait", sc.envDuration("HUB_READ_YOUR_WRITES_WAIT", time.Second), "how long a caller's read right after their own write waits for the standby to replay it before it runs on the primary")
	fs.DurationVar(&sc.CacheTTL, "cache-ttl", sc.envDuration("HUB_CACHE_TTL", postgres.DefaultCacheTTL), "keep the catalogue and each principal's value counts at most this long (every change clears them at once by notification; off with a read replica; 0: off)")
	fs.DurationVar(&sc.TokenCacheTTL, "token-cache-ttl", sc.envDuration("HUB_TOKEN_CACHE_TTL", 5*time.Second), "keep a bearer token's principal this long (revocations and disabled users clear it at once; 0: look every token up)")
	sc.TrustedProxies = sc.envPrefixes("HUB_TRUSTED_PROXIES")
	fs.Func("trusted-proxies", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client (default: none, the peer address is the client)", func(v string) error {
		p, err := parsePrefixes(v)
		sc.TrustedProxies = p
		return err
	})
	lb := postgres.DefaultLoginBackoff
	fs.IntVar(&sc.LoginBackoff.MaxFailures, "login-max-failures", int(sc.envFloat("HUB_LOGIN_MAX_FAILURES", float64(lb.MaxFailures))), "failed logins of one user name, or from one address, allowed within --login-failure-window before logins back off")
	fs.DurationVar(&sc.LoginBackoff.Window, "login-failure-window", sc.envDuration("HUB_LOGIN_FAILURE_WINDOW", lb.Window), "how long a failed login counts; also the longest back-off")
	fs.DurationVar(&sc.LoginBackoff.Base, "login-backoff", sc.envDuration("HUB_LOGIN_BACKOFF", lb.Base), "first wait after too many failed logins, doubling with each further failure")
	fs.Int64Var(&sc.MaxBodyBytes, "max-body-bytes", int64(sc.envFloat("HUB_MAX_BODY_BYTES", 1<<20)), "largest request body of POST /graphql")
	fs.IntVar(&sc.MaxQueryBytes, "max-query-bytes", int(sc.envFloat("HUB_MAX_QUERY_BYTES", float64(graph.DefaultLimits.QueryBytes))), "longest GraphQL query text")
	fs.DurationVar(&sc.Timeouts.Read, "read-timeout", sc.envDuration("HUB_READ_TIMEOUT", d.Read), "time to read a whole request")
	fs.DurationVar(&sc.Timeouts.Write, "write-timeout", sc.envDuration("HUB_WRITE_TIMEOUT", d.Write), "time from the end of the request headers to the end of the response")
	fs.DurationVar(&sc.Timeouts.Idle, "idle-timeout", sc.envDuration("HUB_IDLE_TIMEOUT", d.Idle), "how long an idle keep-alive connection stays open")
	fs.DurationVar(&sc.Timeouts.Shutdown, "shutdown-timeout", sc.envDuration("HUB_SHUTDOWN_TIMEOUT", d.Shutdown), "how long requests in flight may finish after SIGTERM")
	fs.StringVar(&sc.TrustedDocuments, "trusted-documents", os.Getenv("HUB_TRUSTED_DOCUMENTS"), "a manifest of the only GraphQL operations non-admins may run (Apollo's persisted query manifest or graphql-codegen's persisted-documents.json; docs/operations.md); empty: any operation")
	fs.StringVar(&sc.OIDCConfig, "oidc-config", os.Getenv("HUB_OIDC_CONFIG"), "single sign-on with OpenID Connect: a JSON file of issuer, client_id, redirect_url and claim rules (docs/operations.md); the client secret comes from HUB_OIDC_CLIENT_SECRET; empty: off")
	sc.Timeouts.ReadHeader = d.ReadHeader
}

// trustedDocuments reads and checks --trusted-documents (nil when unset).
func (sc serveConfig) trustedDocuments() (*trusted.Documents, error) {
	if sc.TrustedDocuments == "" {
		return nil, nil
	}
	docs, err := trusted.ReadFile(sc.TrustedDocuments)
	if err == nil {
		err = graph.CheckTrustedDocuments(docs)
	}
	if err != nil {
		return nil, usagef("--trusted-documents / HUB_TRUSTED_DOCUMENTS: %v", err)
	}
	return docs, nil
}

// envDuration and envFloat read a flag's default from the environment;
// a malformed value is remembered in envErr and reported before serving.
func (sc *serveConfig) envDuration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil && sc.envErr == nil {
		sc.envErr = usagef("%s=%q is not a duration such as 30s or 2m", name, v)
	}
	if err != nil {
		return def
	}
	return d
}

// envPrefixes reads a list of addresses or CIDRs from the environment.
func (sc *serveConfig) envPrefixes(name string) []netip.Prefix {
	p, err := parsePrefixes(os.Getenv(name))
	if err != nil && sc.envErr == nil {
		sc.envErr = usagef("%s: %v", name, err)
	}
	return p
}

// parsePrefixes parses "10.0.0.0/8, 192.0.2.1": CIDRs or single addresses.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR such as 10.0.0.0/8", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (sc *serveConfig) envFloat(name string, def float64) float64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil && sc.envErr == nil {
		sc.envErr = usagef("%s=%q is not a number", name, v)
	}
	if err != nil {
		return def
	}
	return f
}

// serve runs the HTTP server as hub_app until ctx ends (SIGTERM or
// SIGINT), then shuts down gracefully and closes the pool.
func serve(ctx context.Context, cfg config, sc serveConfig, log *slog.Logger) error {
	if sc.envErr != nil {
		return sc.envErr
	}
	if b := sc.LoginBackoff; b.MaxFailures < 1 || b.Window <= 0 || b.Base <= 0 {
		return usagef("--login-max-failures must be at least 1, --login-failure-window and --login-backoff positive")
	}
	slog.SetDefault(log)
	threshold, err := cfg.threshold()
	if err != nil {
		return err
	}
	appURL, err := cfg.appURL()
	if err != nil {
		return err
	}
	maxConns, err := cfg.maxConns()
	if err != nil {
		return err
	}
	importLimits, err := cfg.importLimits()
	if err != nil {
		return err
	}
	docs, err := sc.trustedDocuments()
	if err != nil {
		return err
	}
	var readURL string
	if sc.ReadDatabaseURL != "" {
		if readURL, err = postgres.AppURL(sc.ReadDatabaseURL); err != nil {
			return usagef("--read-database-url: %v", err)
		}
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: appURL, MaxConns: maxConns, StatementTimeout: sc.StatementTimeout, ApplicationName: "hub serve",
		ReadURL: readURL, ReadYourWritesWait: sc.ReadYourWritesWait})
	if err != nil {
		return fmt.Errorf("%w\n  (requests connect as role %s; run `hub migrate` as the owner first, which creates it)", err, postgres.AppRole)
	}
	defer db.Close()
	migrator, err := postgres.NewMigrator(db)
	if err != nil {
		return err
	}
	defer migrator.Close()
	reg := metrics.New()
	reg.MustRegister(metrics.NewPoolCollector("app", db.PoolStats))
	limits := graph.DefaultLimits
	limits.QueryBytes = sc.MaxQueryBytes
	ready := func(ctx context.Context) error {
		if err := db.Ping(ctx); err != nil {
			return hub.Errorf(hub.EUNAVAILABLE, "数据库不可达 / database unreachable")
		}
		pending, err := migrator.Pending(ctx)
		if err != nil {
			return fmt.Errorf("check migrations: %w", err)
		}
		if pending {
			return hub.Errorf(hub.EUNAVAILABLE, "有未应用的迁移，请运行 hub migrate / migrations pending: run hub migrate")
		}
		return nil
	}
	svc := postgres.NewServices(db, postgres.ServicesConfig{SuppressBelow: threshold, LoginBackoff: sc.LoginBackoff})
	var signOn dashboard.SingleSignOn
	if sc.OIDCConfig != "" {
		oc, err := sso.LoadConfig(sc.OIDCConfig, os.Getenv("HUB_OIDC_CLIENT_SECRET"))
		if err != nil {
			return err
		}
		p, err := sso.New(ctx, oc)
		if err != nil {
			return err
		}
		signOn = p
		log.Info("single sign-on", "issuer", oc.Issuer, "rules", len(oc.Rules))
	}
	// One LISTEN connection per process feeds the live updates' broker
	// (docs/live.md) and empties the token, catalogue and count caches
	// (docs/performance.md). On shutdown the broker closes every
	// subscription (WebSocket 1001) at once, and serve waits for them
	// after the HTTP server has stopped.
	broker := live.NewBroker(live.DefaultLimits)
	listener := db.Listener(log, broker.Publish)
	auth := postgres.NewAuthService(db)
	auth.CacheTokens(listener, sc.TokenCacheTTL)
	svc.Auth = auth
	db.Cache(listener, sc.CacheTTL)
	go func() { _ = listener.Run(ctx) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		broker.Shutdown(sctx)
	}()
	stopLive := context.AfterFunc(ctx, func() { broker.Shutdown(context.WithoutCancel(ctx)) })
	defer stopLive()
	h := server.Handler(server.Config{
		SSO:      signOn,
		Log:      log,
		Services: svc,
		GraphQL: graph.NewHTTPHandler(svc, graph.HTTPConfig{Log: log, Limits: limits, Metrics: reg, ImportLimits: importLimits,
			Live: &graph.LiveConfig{Broker: broker}, TrustedDocuments: docs}),
		Ready: ready,

		Metrics:          reg,
		MetricsElsewhere: sc.MetricsAddr != "",
		RateLimit:        sc.RateLimit,
		TrustedProxies:   sc.TrustedProxies,
		MaxBodyBytes:     sc.MaxBodyBytes,
		MaxUploadBytes:   limits.Upload,
		Live:             true,
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another hub running? choose another --addr)", cfg.Addr, err)
	}
	if docs != nil {
		log.Info("trusted documents only (admins excepted)", "file", sc.TrustedDocuments, "format", docs.Format(), "documents", docs.Len())
	}
	log.Info("serving", "addr", ln.Addr().String(), "database", postgres.Redact(appURL),
		"statement_timeout", sc.StatementTimeout.String(), "metrics_addr", sc.MetricsAddr,
		"read_database", postgres.Redact(readURL), "token_cache_ttl", sc.TokenCacheTTL.String(), "cache_ttl", sc.CacheTTL.String())
	if sc.MetricsAddr == "" {
		return server.Serve(ctx, log, ln, h, sc.Timeouts)
	}
	mln, err := net.Listen("tcp", sc.MetricsAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listen on --metrics-addr %s: %w", sc.MetricsAddr, err)
	}
	// The metrics listener lives as long as the API's: whichever stops
	// first stops the other.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	merr := make(chan error, 1)
	go func() {
		merr <- server.Serve(ctx, log, mln, server.MetricsHandler(reg), sc.Timeouts)
		stop()
	}()
	err = server.Serve(ctx, log, ln, h, sc.Timeouts)
	stop()
	return errors.Join(err, <-merr)
}

// demoCity is the Weifang city, the root of the demo and the default scope.
const demoCity = "370700"

// demoUsers are the demo's accounts, one per role.
var demoUsers = []hub.NewUser{
	{Name: "demo-analyst", Role: hub.Analyst, Department: ptr("civil_affairs"), Region: demoCity},
	{Name: "demo-analyst-edu-qingzhou", Role: hub.Analyst, Department: ptr("education"), Region: "370781"},
	{Name: "demo-coordinator", Role: hub.Coordinator, Region: demoCity},
	{Name: "demo-leader", Role: hub.Leader, Region: demoCity},
	{Name: "demo-media", Role: hub.Media, Region: demoCity},
	{Name: "demo-admin", Role: hub.Admin, Region: demoCity},
}

func ptr[T any](v T) *T { return &v }

// provinceDatabaseURL is where `hub demo --scale province` loads by default:
// its own database, so that the city demo stays as it is.
const provinceDatabaseURL = "postgres://localhost:5432/sixprot_province?sslmode=disable"

// provinceUsers are the province data set's accounts, one per role, in the
// order of demoUsers (the leader fourth).
var provinceUsers = []hub.NewUser{
	{Name: "province-analyst", Role: hub.Analyst, Department: ptr("civil_affairs"), Region: demo.ProvinceCode},
	{Name: "province-analyst-edu-city1", Role: hub.Analyst, Department: ptr("education"), Region: "370100"},
	{Name: "province-coordinator", Role: hub.Coordinator, Region: demo.ProvinceCode},
	{Name: "province-leader", Role: hub.Leader, Region: demo.ProvinceCode},
	{Name: "province-media", Role: hub.Media, Region: demo.ProvinceCode},
	{Name: "province-admin", Role: hub.Admin, Region: demo.ProvinceCode},
}

// loadProvince loads the province data set with progress on stderr and
// reports the time it took and the database's size.
func loadProvince(ctx context.Context, db *postgres.DB, stdout, stderr io.Writer) error {
	start := time.Now()
	last := start
	l := postgres.NewLoader(db)
	sum, err := demo.LoadProvince(ctx, l, demo.LoadProgress{
		Values: func(done, total int64) {
			now := time.Now()
			rate := float64(postgres.CopyProgressEvery) / now.Sub(last).Seconds()
			last = now
			fmt.Fprintf(stderr, "\r  数据 / values  %5.1f%%  %d / %d  %.0f rows/s   ", float64(done)*100/float64(total), done, total, rate)
		},
		Rollups: func(done, total int) {
			if done == 1 {
				fmt.Fprintln(stderr)
			}
			fmt.Fprintf(stderr, "\r  汇总 / rollups  %d / %d indicators  %s elapsed   ", done, total, time.Since(start).Round(time.Second))
		},
	})
	fmt.Fprintln(stderr)
	if err != nil {
		return fmt.Errorf("load province data: %w", err)
	}
	took := time.Since(start)
	size, err := l.DatabaseSize(ctx)
	if err != nil {
		return err
	}
	copied := "already loaded"
	if sum.Copied > 0 {
		copied = fmt.Sprintf("%d copied", sum.Copied)
	}
	fmt.Fprintf(stdout, "province data: %d regions (%d counties, %d towns, %d villages), %d indicators, %d shares, %d values (%s), rollups rebuilt for %d indicators, in %s; database size %.2f GB\n",
		sum.Regions, sum.Counties, sum.Towns, sum.Villages, sum.Indicators, sum.Shares, sum.Values, copied, sum.RollupsRebuilt,
		took.Round(time.Second), float64(size)/(1<<30))
	return nil
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flags("demo", &cfg, stderr)
	loadOnly := fs.Bool("load-only", false, "load the demo data and exit without serving")
	resetPasswords := fs.Bool("reset-passwords", false, "give every demo user a new password (default: keep existing ones)")
	var sc serveConfig
	sc.bind(fs)
	scale := fs.String("scale", "city", "city (the Weifang demo) or province (10 million synthetic values for benchmarks, database sixprot_province unless --database-url or DATABASE_URL)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch *scale {
	case "city":
	case "province":
		urlSet := os.Getenv("DATABASE_URL") != ""
		fs.Visit(func(f *flag.Flag) { urlSet = urlSet || f.Name == "database-url" })
		if !urlSet {
			cfg.DatabaseURL = provinceDatabaseURL
		}
	default:
		return usagef("--scale 应为 city 或 province / --scale must be city or province, got %q", *scale)
	}
	log := newLogger(cfg.LogFormat, stderr)
	created, err := postgres.EnsureDatabase(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "created database %s\n", postgres.Redact(cfg.DatabaseURL))
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := postgres.Migrate(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrations applied: %d\n", len(applied))
	users := demoUsers
	if *scale == "province" {
		if err := loadProvince(ctx, db, stdout, stderr); err != nil {
			return err
		}
		users = provinceUsers
	} else {
		sum, err := demo.Load(ctx, postgres.NewLoader(db))
		if err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
		fmt.Fprintf(stdout, "demo data: %d regions, %d indicators, %d seed figures, %d synthetic values (%d new)\n",
			sum.Regions, sum.Indicators, sum.SeedValues, sum.SyntheticValues, sum.Inserted)
	}

	auth := postgres.NewAuthService(db)
	fmt.Fprintln(stdout, "\ndemo users and tokens / 演示用户与令牌:")
	for _, u := range users {
		if _, err := auth.EnsureUser(ctx, u); err != nil {
			return fmt.Errorf("demo user %s: %w", u.Name, err)
		}
		t, err := auth.IssueToken(ctx, u.Name, demoTokenLifetime)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %-26s %-12s %s\n", u.Name, u.Role, t.Token)
	}
	if err := demoPasswords(ctx, auth, users, *resetPasswords, stdout); err != nil {
		return err
	}
	if *loadOnly {
		return nil
	}
	base := baseURL(cfg.Addr)
	fmt.Fprintf(stdout, "\nGraphQL:   %s/graphql\nDashboard: %s/dashboard\n", base, base)
	return serve(ctx, cfg, sc, log)
}

// baseURL is the address the demo serves on as a URL to open: localhost
// for a port alone (":8080"), the host given otherwise ("127.0.0.1:18018"
// printed as http://localhost127.0.0.1:18018).
func baseURL(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "http://localhost" + addr
	}
	return "http://" + addr
}

// randomPassword returns a password for a demo account.
func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
