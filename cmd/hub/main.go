// Command hub is the Six Protections Hub: one binary that migrates the
// database, loads the demo, manages users and tokens, and serves the
// GraphQL API, dashboard and exports.
//
// Configuration comes from flags, then the environment, then defaults.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
	"github.com/sixprot/hub/internal/postgres"
	"github.com/sixprot/hub/internal/server"
)

const usage = `hub — 六大保护数据中心 / Six Protections Hub

用法 / usage:
  hub demo [--load-only]          create, migrate and fill a demo database, then serve
  hub serve                       serve GraphQL, dashboard, exports, health and metrics
  hub migrate [--status]          apply pending migrations, or list them
  hub user create --name N --role R [--department D] [--region C] [--password-stdin | --service]
  hub token create --user N [--expires 90d]  print a new bearer token on stdout (its id on stderr);
                                  default lifetime --token-expiry / HUB_TOKEN_EXPIRY (365d; never: no expiry)
  hub token revoke ID             revoke a token by its id
  hub token list [--user N]       tokens: id, user, created, last used, expires, revoked (never the secret)
  hub user list                   users: name, role, department, region, service, disabled, created
  hub user disable|enable --name N  a disabled user's tokens and sessions stop working at once
  hub user password --name N      set a password (prompt without echo, else first line of stdin)
  hub user update --name N [--role R] [--department D] [--region C]
  hub backup --file F             pg_dump the database (custom format)
  hub restore --file F [--force]  pg_restore F into --database-url (refused if it has tables, unless --force)
  hub indicators import --file F [--dry-run]  create and change indicators from a catalogue CSV
  hub import --user N --file F [--dry-run]  import a CSV or XLSX file in the template's columns
  hub regions import --file F     bring the region tree in line with a CSV (code,name,parent_code,level)

common flags / 通用参数 (flag, then environment, then default):
  --database-url   DATABASE_URL          postgres://localhost:5432/sixprot?sslmode=disable
  --app-database-url HUB_APP_DATABASE_URL  the same URL as user hub_app
  --addr           HUB_ADDR              :8080
  --log-format     HUB_LOG_FORMAT        text or json (default: text on a terminal, else json)
  --suppress-below HUB_SUPPRESS_BELOW    smallest sensitive count the media office sees (default 5)
  --db-max-conns   HUB_DB_MAX_CONNS      connections of the request pool (default 8; docs/performance.md)
  --import-max-rows  HUB_IMPORT_MAX_ROWS   most rows of an imported file (default 200000; docs/data-in.md)
  --import-max-bytes HUB_IMPORT_MAX_BYTES  most bytes it may unpack to (default 134217728, 128 MiB)

serve and demo also take (see docs/operations.md):
  --metrics-addr, --statement-timeout, --rate-limit, --rate-burst, --rate-max-clients,
  --trusted-proxies, --login-max-failures, --login-failure-window, --login-backoff,
  --max-body-bytes, --max-query-bytes, --read-timeout, --write-timeout, --idle-timeout,
  --shutdown-timeout, --trusted-documents FILE (only these operations for non-admins)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "hub: %s\n\n%s", ue.msg, usage)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "hub: %s\n", message(err))
		os.Exit(1)
	}
}

// message is what the user reads for err: the message of a hub error, or
// the whole chain of context for anything else.
func message(err error) string {
	if hub.ErrorCode(err) != hub.EINTERNAL {
		return hub.ErrorMessage(err)
	}
	return err.Error()
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// run dispatches a command line; main's only job is exit codes.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	if f, rest := accountCommand(args); f != nil {
		return f(ctx, rest, stdout, stderr)
	}
	cmd, rest := args[0], args[1:]
	if (cmd == "user" || cmd == "token") && len(rest) > 0 && rest[0] == "create" ||
		cmd == "token" && len(rest) > 0 && rest[0] == "revoke" ||
		cmd == "indicators" && len(rest) > 0 && rest[0] == "import" {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	if cmd == "regions" && len(rest) > 0 && rest[0] == "import" {
		cmd, rest = "regions import", rest[1:]
	}
	switch cmd {
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "serve":
		return runServe(ctx, rest, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "user create":
		return runUserCreate(ctx, rest, stdout, stderr)
	case "token create":
		return runTokenCreate(ctx, rest, stdout, stderr)
	case "token revoke":
		return runTokenRevoke(ctx, rest, stdout, stderr)
	case "indicators import":
		return runIndicatorsImport(ctx, rest, stdout, stderr)
	case "import":
		return runImport(ctx, rest, stdout, stderr)
	case "regions import":
		return runRegionsImport(ctx, rest, stdout, stderr)
	case "user", "token", "indicators", "regions":
		return usagef("%s needs a subcommand (see usage)", cmd)
	}
	return usagef("unknown command %q", cmd)
}

// config is the configuration every command shares.
type config struct {
	DatabaseURL    string
	AppDatabaseURL string
	Addr           string
	LogFormat      string
	// SuppressBelow is the small-cell threshold of media figures.
	SuppressBelow string
	// DBMaxConns bounds the request pool (hub_app connections).
	DBMaxConns string
	// ImportMaxRows and ImportMaxBytes bound an imported file (importValues
	// and hub import).
	ImportMaxRows, ImportMaxBytes string
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// flags returns a flag set for a command with the common flags bound to cfg.
func flags(name string, cfg *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DatabaseURL, "database-url", envOr("DATABASE_URL", "postgres://localhost:5432/sixprot?sslmode=disable"), "PostgreSQL URL of the owner (migrations, demo, users)")
	fs.StringVar(&cfg.AppDatabaseURL, "app-database-url", os.Getenv("HUB_APP_DATABASE_URL"), "PostgreSQL URL requests run as (default: database-url as user hub_app)")
	fs.StringVar(&cfg.Addr, "addr", envOr("HUB_ADDR", ":8080"), "address to serve on")
	fs.StringVar(&cfg.LogFormat, "log-format", os.Getenv("HUB_LOG_FORMAT"), "text or json")
	fs.StringVar(&cfg.SuppressBelow, "suppress-below", envOr("HUB_SUPPRESS_BELOW", "5"), "smallest sensitive count shown to the media office")
	fs.StringVar(&cfg.DBMaxConns, "db-max-conns", envOr("HUB_DB_MAX_CONNS", "8"), "connections of the request pool")
	fs.StringVar(&cfg.ImportMaxRows, "import-max-rows", envOr("HUB_IMPORT_MAX_ROWS", strconv.Itoa(importer.DefaultLimits.MaxRows)), "most rows of an imported file (header included)")
	fs.StringVar(&cfg.ImportMaxBytes, "import-max-bytes", envOr("HUB_IMPORT_MAX_BYTES", strconv.FormatInt(importer.DefaultLimits.MaxBytes, 10)), "most bytes an imported file may unpack to (XLSX sheet and shared strings, CSV size)")
	return fs
}

// importLimits reads --import-max-rows and --import-max-bytes: whole
// numbers of at least 1.
func (c config) importLimits() (importer.Limits, error) {
	rows, err := strconv.Atoi(c.ImportMaxRows)
	if err != nil || rows < 1 {
		return importer.Limits{}, usagef("--import-max-rows / HUB_IMPORT_MAX_ROWS 需要正整数 / must be a whole number of at least 1, got %q", c.ImportMaxRows)
	}
	size, err := strconv.ParseInt(c.ImportMaxBytes, 10, 64)
	if err != nil || size < 1 {
		return importer.Limits{}, usagef("--import-max-bytes / HUB_IMPORT_MAX_BYTES 需要正整数（字节）/ must be a whole number of bytes of at least 1, got %q", c.ImportMaxBytes)
	}
	return importer.Limits{MaxRows: rows, MaxBytes: size}, nil
}

// appURL is the URL requests connect with: --app-database-url, or the
// owner's URL as hub_app (postgres.AppURL).
func (c config) appURL() (string, error) {
	if c.AppDatabaseURL != "" {
		return c.AppDatabaseURL, nil
	}
	return postgres.AppURL(c.DatabaseURL)
}

// maxConns reads --db-max-conns: a number of connections from 1 to 1000.
func (c config) maxConns() (int32, error) {
	n, err := strconv.Atoi(c.DBMaxConns)
	if err != nil || n < 1 || n > 1000 {
		return 0, usagef("--db-max-conns / HUB_DB_MAX_CONNS 需要 1–1000 之间的整数 / must be a whole number from 1 to 1000, got %q", c.DBMaxConns)
	}
	return int32(n), nil
}

// threshold reads --suppress-below: a count of at least 1.
func (c config) threshold() (float64, error) {
	f, err := strconv.ParseFloat(c.SuppressBelow, 64)
	if err != nil || f < 1 {
		return 0, usagef("--suppress-below / HUB_SUPPRESS_BELOW 需要不小于 1 的数 / must be a number of at least 1, got %q", c.SuppressBelow)
	}
	return f, nil
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp // the flags were printed: stop, successfully
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func newLogger(format string, w io.Writer) *slog.Logger {
	return server.NewLogger(format, w, slog.LevelInfo)
}
