package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
	"github.com/sixprot/hub/internal/regions"
)

// runRegionsImport brings the region tree in line with a tree file (CSV:
// code, name, parent_code, level); a second run changes nothing and says so.
func runRegionsImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flags("regions import", &cfg, stderr)
	file := fs.String("file", "", "CSV file: code,name,parent_code,level (docs/architecture.md, The region tree)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("regions import needs --file")
	}
	f, err := os.Open(*file)
	if err != nil {
		return hub.Errorf(hub.EINVALID, "无法打开文件 %s / cannot open %s: %v", *file, *file, err)
	}
	defer f.Close()
	tree, err := regions.Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer db.Close()
	name := filepath.Base(*file)
	sum, err := postgres.NewRegionStore(db).Import(ctx, tree, hub.ImportChannel(name), name)
	if err != nil {
		return err
	}
	regions.Describe(sum, stdout)
	return nil
}
