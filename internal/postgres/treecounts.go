package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/validation"
)

// treeCounts counts the towns and villages in the subtree of each region
// of $1 (itself included): the tree is data, and formulas and rules read
// these counts as towns and villages (hub.TreeCounts).
const treeCounts = countsOfRegions + `
WHERE a.code = ANY($1)
GROUP BY a.code`

// countsOfRegions is the select of treeCounts, for regions a chosen by the
// caller's WHERE (grouped by a.code).
const countsOfRegions = `SELECT a.code, count(*) FILTER (WHERE x.level = 'TOWN')::int, count(*) FILTER (WHERE x.level = 'VILLAGE')::int
FROM regions a JOIN regions x ON x.path <@ a.path`

// regionCount is one row of treeCounts.
type regionCount struct {
	code string
	hub.TreeCounts
}

func scanRegionCount(row pgx.CollectableRow) (regionCount, error) {
	var c regionCount
	err := row.Scan(&c.code, &c.Towns, &c.Villages)
	return c, err
}

// RegionCounts returns how many towns and villages each region's subtree
// holds, in the order of codes (zero for an unknown code).
func (s *CatalogueService) RegionCounts(ctx context.Context, codes []string) ([]hub.TreeCounts, error) {
	rows, err := list(ctx, s.db, scanRegionCount, treeCounts, codes)
	if err != nil {
		return nil, fmt.Errorf("count towns and villages: %w", err)
	}
	by := make(map[string]hub.TreeCounts, len(rows))
	for _, r := range rows {
		by[r.code] = r.TreeCounts
	}
	out := make([]hub.TreeCounts, len(codes))
	for i, c := range codes {
		out[i] = by[c]
	}
	return out, nil
}

// addTreeCounts files, for rules that read towns or villages (keys), the
// counts of regions under those names for each period, next to the values
// read for them.
func addTreeCounts(ctx context.Context, tx pgx.Tx, values validation.Values, keys, regions, periods []string) error {
	if !slices.ContainsFunc(keys, hub.IsTreeCount) || len(regions) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, treeCounts, regions)
	if err != nil {
		return fmt.Errorf("count towns and villages: %w", err)
	}
	counts, err := pgx.CollectRows(rows, scanRegionCount)
	if err != nil {
		return fmt.Errorf("count towns and villages: %w", err)
	}
	for _, c := range counts {
		for _, k := range keys {
			if n, ok := c.Count(k); ok {
				for _, p := range periods {
					values[validation.ValueKey{Indicator: k, Region: c.code, Period: p}] = &n
				}
			}
		}
	}
	return nil
}
