package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sixprot/hub/internal/catalogue"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
)

// runIndicatorsImport creates and changes indicators from a catalogue CSV
// (catalogue.Columns) as the operator, on the owner's connection: the
// same decision as GraphQL's upsertIndicators, all or nothing, audited
// with channel CLI. Importing the same file again changes nothing.
func runIndicatorsImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flags("indicators import", &cfg, stderr)
	file := fs.String("file", "", "catalogue CSV: "+strings.Join(catalogue.Columns, ","))
	dryRun := fs.Bool("dry-run", false, "check everything, write nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("indicators import needs --file")
	}
	f, err := os.Open(*file)
	if err != nil {
		return hub.Errorf(hub.EINVALID, "无法打开文件 %s / cannot open %s: %v", *file, *file, err)
	}
	defer f.Close()
	rows, conflicts, err := catalogue.ReadCSV(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	res := &hub.CatalogueResult{Conflicts: conflicts}
	if len(conflicts) == 0 {
		db, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
		if err != nil {
			return err
		}
		defer db.Close()
		in := make([]*hub.Indicator, len(rows))
		for i, r := range rows {
			in[i] = r.Indicator
		}
		ctx = hub.NewChannelContext(ctx, "cli:"+filepath.Base(*file))
		if res, err = postgres.NewOperatorCatalogue(db).UpsertIndicators(ctx, in, *dryRun); err != nil {
			return err
		}
		for i := range res.Conflicts {
			c := &res.Conflicts[i]
			c.Row, c.Column = rows[c.Index].Row, string(c.Field)
		}
	}
	state := "已写入 / committed"
	switch {
	case len(res.Conflicts) > 0:
		state = "已拒绝，未写入 / rejected, nothing written"
	case *dryRun:
		state = "试运行，未写入 / dry run, nothing written"
	}
	fmt.Fprintf(stdout, "指标目录 / catalogue %s: %s\n新增 / created: %d\n修改 / updated: %d\n未变 / unchanged: %d\n冲突 / conflicts: %d\n",
		filepath.Base(*file), state, res.Created, res.Updated, res.Unchanged, len(res.Conflicts))
	for _, c := range res.Conflicts {
		fmt.Fprintln(stdout, c.String())
	}
	if len(res.Conflicts) > 0 {
		return errRejected{len(res.Conflicts)}
	}
	return nil
}

// runTokenRevoke revokes a token by the id `hub token create` printed.
func runTokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flags("token revoke", &cfg, stderr)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usagef("token revoke needs a token id: hub token revoke ID")
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id < 1 {
		return usagef("token revoke: %q is not a token id (the number hub token create printed)", args[0])
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := postgres.NewAuthService(db).RevokeToken(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "令牌 %d 已吊销 / token %d revoked\n", id, id)
	return nil
}

// parseLifetime reads --expires: days ("90d") or a Go duration ("12h");
// empty means no expiry.
func parseLifetime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, usagef("--expires %q: a number of days such as 90d, or a duration such as 12h", s)
}
