package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
	"github.com/sixprot/hub/internal/postgres"
)

// errRejected makes hub import exit non-zero when the file had conflicts;
// the summary on stdout has said why.
type errRejected struct{ n int }

func (e errRejected) Error() string {
	return fmt.Sprintf("导入被拒绝：%d 个冲突，未写入任何数据 / import rejected: %d conflicts, nothing written", e.n, e.n)
}

// runImport imports a CSV or XLSX file as a user: the user is looked up on
// the owner's connection, the values are written on hub_app's, under the
// same row-level security as the API.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flags("import", &cfg, stderr)
	user := fs.String("user", "", "user name the values are written as (an analyst)")
	file := fs.String("file", "", "CSV or XLSX file in the template's columns")
	dryRun := fs.Bool("dry-run", false, "check everything, write nothing")
	batch := fs.Int("batch", importer.DefaultBatchSize, "rows per database round")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *user == "" || *file == "" {
		return usagef("import needs --user and --file")
	}
	limits, err := cfg.importLimits()
	if err != nil {
		return err
	}
	f, err := os.Open(*file)
	if err != nil {
		return hub.Errorf(hub.EINVALID, "无法打开文件 %s / cannot open %s: %v", *file, *file, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", *file, err)
	}

	owner, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	p, err := postgres.NewAuthService(owner).Principal(ctx, *user)
	owner.Close()
	if err != nil {
		return err
	}
	appURL, err := cfg.appURL()
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: appURL, MaxConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()

	prog := newProgress(stderr)
	im := &importer.Importer{Submit: postgres.NewSubmitService(db), BatchSize: *batch, Limits: limits}
	sum, err := im.Import(hub.NewContext(ctx, p), *file, f, st.Size(), importer.Options{DryRun: *dryRun, Progress: prog.update})
	prog.finish()
	if err != nil {
		return err
	}
	if err := sum.WriteText(stdout); err != nil {
		return err
	}
	if sum.ConflictCount > 0 {
		return errRejected{sum.ConflictCount}
	}
	return nil
}

// progress shows how far an import is: a bar on a terminal, otherwise a
// plain line at most every two seconds (logs of cron jobs stay short).
type progress struct {
	w    io.Writer
	bar  *progressbar.ProgressBar
	last time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription("导入 / importing"), progressbar.OptionShowBytes(true),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		}
	}
	return p
}

func (p *progress) update(rows int, done, total int64) {
	if p.bar != nil {
		if total > 0 && p.bar.GetMax64() != total {
			p.bar.ChangeMax64(total)
		}
		p.bar.Describe(fmt.Sprintf("导入 / importing: %d 行 / rows", rows))
		_ = p.bar.Set64(done)
		return
	}
	if time.Since(p.last) < 2*time.Second {
		return
	}
	p.last = time.Now()
	if total > 0 {
		fmt.Fprintf(p.w, "已读 %d 行（%.0f%%）/ read %d rows (%.0f%%)\n", rows, 100*float64(done)/float64(total), rows, 100*float64(done)/float64(total))
	} else {
		fmt.Fprintf(p.w, "已读 %d 行 / read %d rows\n", rows, rows)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
