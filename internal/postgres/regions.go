package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/regions"
)

// RegionStore changes the region tree on the owner's connection: `hub
// regions import`, `hub demo` and the province generator go through it.
// internal/regions plans an import; migration 00050 moves subtrees, carries
// new paths to values, rollups and shares, and rebuilds the rollups a
// change touches, in the same transaction.
type RegionStore struct{ db *DB }

// NewRegionStore returns a RegionStore over db, which must connect as the owner.
func NewRegionStore(db *DB) *RegionStore { return &RegionStore{db: db} }

const (
	regionsCreate = `INSERT INTO regions (code, parent_code, level, name, name_en, synthetic)
SELECT code, parent_code, level, name, name_en, synthetic
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[])
  WITH ORDINALITY AS r(code, parent_code, level, name, name_en, synthetic, n)
ORDER BY n`
	regionsRename = `UPDATE regions g SET name = r.name, name_en = r.name_en
FROM unnest($1::text[], $2::text[], $3::text[]) AS r(code, name, name_en)
WHERE g.code = r.code`
	// One statement for every move: the rollups are rebuilt once.
	regionsMove = `UPDATE regions g SET parent_code = r.parent_code
FROM unnest($1::text[], $2::text[]) AS r(code, parent_code)
WHERE g.code = r.code`
	regionsAudit = `SELECT hub_audit_append('region', NULL, NULL, r.code, r.detail)
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(code, detail, n) ORDER BY n`
)

// Import brings the stored tree in line with file (see regions.NewPlan) in
// one transaction and returns what changed; the same file again changes
// nothing. Renames and moves are recorded one audit row each, creations in
// one row; channel and fileName are what the trail names as their source.
func (s *RegionStore) Import(ctx context.Context, file []*hub.Region, channel, fileName string) (*hub.RegionImport, error) {
	var out *hub.RegionImport
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('hub.channel', $1, true), set_config('hub.file', $2, true)`, channel, fileName); err != nil {
			return err
		}
		// Imports run one at a time; readers go on reading.
		if _, err := tx.Exec(ctx, `LOCK TABLE regions IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+regionColumns+` FROM regions`)
		if err != nil {
			return err
		}
		stored, err := pgx.CollectRows(rows, scanRegion)
		if err != nil {
			return fmt.Errorf("read regions: %w", err)
		}
		plan, err := regions.NewPlan(stored, file)
		if err != nil {
			return err
		}
		out = &plan.Summary
		if len(plan.Create) > 0 {
			n := len(plan.Create)
			codes, parents, lv, names, ens, syn := make([]string, n), make([]*string, n), make([]string, n), make([]string, n), make([]*string, n), make([]bool, n)
			for i, r := range plan.Create {
				codes[i], parents[i], lv[i], names[i], ens[i], syn[i] = r.Code, r.ParentCode, string(r.Level), r.Name, r.NameEn, r.Synthetic
			}
			if _, err := tx.Exec(ctx, regionsCreate, codes, parents, lv, names, ens, syn); err != nil {
				return fmt.Errorf("create regions: %w", err)
			}
		}
		if len(plan.Rename) > 0 {
			var codes, names []string
			var ens []*string
			for _, r := range plan.Rename {
				codes, names, ens = append(codes, r.Code), append(names, r.Name), append(ens, r.NameEn)
			}
			if _, err := tx.Exec(ctx, regionsRename, codes, names, ens); err != nil {
				return fmt.Errorf("rename regions: %w", err)
			}
		}
		if len(plan.Move) > 0 {
			var codes []string
			var parents []*string
			for _, r := range plan.Move {
				codes, parents = append(codes, r.Code), append(parents, r.ParentCode)
			}
			if _, err := tx.Exec(ctx, regionsMove, codes, parents); err != nil {
				return fmt.Errorf("move regions: %w", err)
			}
		}
		var codes, details []string
		if len(plan.Create) > 0 {
			codes = append(codes, plan.Create[0].Code)
			details = append(details, fmt.Sprintf("新增地区 %d 个 / %d regions created", len(plan.Create), len(plan.Create)))
		}
		for _, c := range plan.Summary.Changes {
			if c.Kind != hub.RegionCreate {
				codes, details = append(codes, c.Code), append(details, regions.AuditText(c))
			}
		}
		if len(codes) > 0 {
			if _, err := tx.Exec(ctx, regionsAudit, codes, details); err != nil {
				return fmt.Errorf("audit region changes: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import regions: %w", err)
	}
	return out, nil
}

// Root returns the code of the tree's one root, the default scope of new
// users. With no regions, or several roots (several cities in one hub),
// there is no default and the caller must name a region.
func (s *RegionStore) Root(ctx context.Context) (string, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT code FROM regions WHERE parent_code IS NULL ORDER BY code LIMIT 3`)
	if err != nil {
		return "", fmt.Errorf("find the root region: %w", err)
	}
	roots, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("find the root region: %w", err)
	}
	switch len(roots) {
	case 0:
		return "", hub.Errorf(hub.EINVALID, "还没有地区：先运行 hub regions import 或 hub demo / there are no regions yet: run hub regions import or hub demo first")
	case 1:
		return roots[0], nil
	}
	return "", hub.Errorf(hub.EINVALID, "地区树有多个根（%v…），请用 --region 指定 / the region tree has several roots (%v…): name one with --region", roots, roots)
}
