package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
)

// CatalogueService reads regions, departments and indicators, and changes
// the catalogue (catalogue_admin.go).
type CatalogueService struct {
	db *DB
	// operator: db is the owner's connection and the caller the operator
	// (hub indicators import), who needs no principal.
	operator bool
}

// NewCatalogueService returns a CatalogueService over db (hub_app): its
// changes are the principal's, admins only.
func NewCatalogueService(db *DB) *CatalogueService { return &CatalogueService{db: db} }

// NewOperatorCatalogue returns a CatalogueService over the owner's
// connection for the command line: the operator changes the catalogue
// without a principal (the audit trail records the database user).
func NewOperatorCatalogue(db *DB) *CatalogueService { return &CatalogueService{db: db, operator: true} }

var _ hub.CatalogueService = (*CatalogueService)(nil)

const regionColumns = `code, name, name_en, level, parent_code, path::text, synthetic`

func scanRegion(row pgx.CollectableRow) (*hub.Region, error) {
	var r hub.Region
	err := row.Scan(&r.Code, &r.Name, &r.NameEn, &r.Level, &r.ParentCode, &r.Path, &r.Synthetic)
	return &r, err
}

const departmentColumns = `code, name, name_en, retired_at`

func scanDepartment(row pgx.CollectableRow) (*hub.Department, error) {
	var d hub.Department
	err := row.Scan(&d.Code, &d.Name, &d.NameEn, &d.RetiredAt)
	return &d, err
}

const indicatorColumns = `key, name, name_en, protection, unit, department_code, value_type, aggregation,
       period_type, collection_level, publicity, sensitive, formula, description, lower_is_better, retired_at,
       rag_amber::float8, rag_green::float8`

func scanIndicator(row pgx.CollectableRow) (*hub.Indicator, error) {
	var i hub.Indicator
	err := row.Scan(&i.Key, &i.Name, &i.NameEn, &i.Protection, &i.Unit, &i.DepartmentCode, &i.ValueType,
		&i.Aggregation, &i.PeriodType, &i.CollectionLevel, &i.Publicity, &i.Sensitive, &i.Formula, &i.Description,
		&i.LowerIsBetter, &i.RetiredAt, &i.RAGAmber, &i.RAGGreen)
	return &i, err
}

// collect queues sql and gathers its rows with scan into *out.
func collect[T any](b *pgx.Batch, out *[]T, scan pgx.RowToFunc[T], sql string, args ...any) {
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		var err error
		*out, err = pgx.CollectRows(rows, scan)
		return err
	})
}

// list runs one query as the principal of ctx and returns its rows.
func list[T any](ctx context.Context, db *DB, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	var out []T
	err := db.read(ctx, func(b *pgx.Batch) { collect(b, &out, scan, sql, args...) })
	return out, err
}

// Regions lists regions, by level and parent when given, ordered by code;
// with a search, the first hub.MaxRegionSearch whose name or code contains it.
func (s *CatalogueService) Regions(ctx context.Context, f hub.RegionFilter) ([]*hub.Region, error) {
	const q = `SELECT ` + regionColumns + ` FROM regions
WHERE ($1::text IS NULL OR level = $1) AND ($2::text IS NULL OR parent_code = $2)
  AND ($3::text IS NULL OR strpos(name, $3) > 0 OR strpos(coalesce(name_en, ''), $3) > 0 OR strpos(code, $3) > 0)
ORDER BY code
LIMIT CASE WHEN $3::text IS NULL THEN NULL ELSE $4::int END`
	rs, err := list(ctx, s.db, scanRegion, q, f.Level, f.Parent, f.Search, hub.MaxRegionSearch)
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	return rs, nil
}

// Departments lists the active departments by code, and the retired too
// with includeRetired.
func (s *CatalogueService) Departments(ctx context.Context, includeRetired bool) ([]*hub.Department, error) {
	ds, err := list(ctx, s.db, scanDepartment, `SELECT `+departmentColumns+` FROM departments
WHERE $1 OR retired_at IS NULL ORDER BY code`, includeRetired)
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	return ds, nil
}

// Indicators lists indicators, by protection and department when given;
// retired ones only with f.IncludeRetired.
func (s *CatalogueService) Indicators(ctx context.Context, f hub.IndicatorFilter) ([]*hub.Indicator, error) {
	const q = `SELECT ` + indicatorColumns + ` FROM indicators
WHERE ($1::text IS NULL OR protection = $1) AND ($2::text IS NULL OR department_code = $2)
  AND ($3 OR retired_at IS NULL)
ORDER BY key`
	is, err := list(ctx, s.db, scanIndicator, q, f.Protection, f.Department, f.IncludeRetired)
	if err != nil {
		return nil, fmt.Errorf("list indicators: %w", err)
	}
	return is, nil
}

// byKey orders items by keys: one result per key, nil where none matched.
func byKey[T any](keys []string, items []T, key func(T) string) []T {
	m := make(map[string]T, len(items))
	for _, it := range items {
		m[key(it)] = it
	}
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// groupByKey groups items under keys, in the order of keys.
func groupByKey[T any](keys []string, items []T, key func(T) string) [][]T {
	m := make(map[string][]T, len(keys))
	for _, it := range items {
		m[key(it)] = append(m[key(it)], it)
	}
	out := make([][]T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// RegionsByCode returns the regions with the given codes, in their order.
func (s *CatalogueService) RegionsByCode(ctx context.Context, codes []string) ([]*hub.Region, error) {
	rs, err := byKeyCached(s.db.caches.regionCache(), codes, func(r *hub.Region) string { return r.Code }, func(codes []string) ([]*hub.Region, error) {
		rs, err := list(ctx, s.db, scanRegion, `SELECT `+regionColumns+` FROM regions WHERE code = ANY($1)`, codes)
		return byKey(codes, rs, func(r *hub.Region) string { return r.Code }), err
	})
	if err != nil {
		return nil, fmt.Errorf("regions by code: %w", err)
	}
	return rs, nil
}

// RegionChildren returns the children of each parent, ordered by code.
func (s *CatalogueService) RegionChildren(ctx context.Context, parents []string) ([][]*hub.Region, error) {
	rs, err := list(ctx, s.db, scanRegion,
		`SELECT `+regionColumns+` FROM regions WHERE parent_code = ANY($1) ORDER BY code`, parents)
	if err != nil {
		return nil, fmt.Errorf("region children: %w", err)
	}
	return groupByKey(parents, rs, func(r *hub.Region) string { return *r.ParentCode }), nil
}

// DepartmentsByCode returns the departments with the given codes, in their order.
func (s *CatalogueService) DepartmentsByCode(ctx context.Context, codes []string) ([]*hub.Department, error) {
	ds, err := byKeyCached(s.db.caches.departmentCache(), codes, func(d *hub.Department) string { return d.Code }, func(codes []string) ([]*hub.Department, error) {
		ds, err := list(ctx, s.db, scanDepartment, `SELECT `+departmentColumns+` FROM departments WHERE code = ANY($1)`, codes)
		return byKey(codes, ds, func(d *hub.Department) string { return d.Code }), err
	})
	if err != nil {
		return nil, fmt.Errorf("departments by code: %w", err)
	}
	return ds, nil
}

// IndicatorsByKey returns the indicators with the given keys, in their order.
func (s *CatalogueService) IndicatorsByKey(ctx context.Context, keys []string) ([]*hub.Indicator, error) {
	is, err := byKeyCached(s.db.caches.indicatorCache(), keys, func(i *hub.Indicator) string { return i.Key }, func(keys []string) ([]*hub.Indicator, error) {
		is, err := list(ctx, s.db, scanIndicator, `SELECT `+indicatorColumns+` FROM indicators WHERE key = ANY($1)`, keys)
		return byKey(keys, is, func(i *hub.Indicator) string { return i.Key }), err
	})
	if err != nil {
		return nil, fmt.Errorf("indicators by key: %w", err)
	}
	return is, nil
}

// IndicatorsByDepartment returns each department's active indicators,
// ordered by key.
func (s *CatalogueService) IndicatorsByDepartment(ctx context.Context, departments []string) ([][]*hub.Indicator, error) {
	is, err := list(ctx, s.db, scanIndicator,
		`SELECT `+indicatorColumns+` FROM indicators WHERE department_code = ANY($1) AND retired_at IS NULL ORDER BY key`, departments)
	if err != nil {
		return nil, fmt.Errorf("indicators by department: %w", err)
	}
	return groupByKey(departments, is, func(i *hub.Indicator) string { return i.DepartmentCode }), nil
}
