package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/media"
)

// MediaService serves published publicity statistics.
type MediaService struct {
	db        *DB
	threshold float64
}

// NewMediaService returns a MediaService that suppresses sensitive counts
// below threshold (media.DefaultThreshold when 0).
func NewMediaService(db *DB, threshold float64) *MediaService {
	if threshold <= 0 {
		threshold = media.DefaultThreshold
	}
	return &MediaService{db: db, threshold: threshold}
}

var _ hub.MediaService = (*MediaService)(nil)

// publishedTable is the whole published table of a period, every region:
// PUBLISHED values past their embargo, of publicity indicators or released
// as headline figures. hub_published_table (migration 00042) reads it past
// the row policies, which keep sensitive values from the media role
// everywhere else; it is the one door through which a sensitive figure
// reaches the media office, and it only leads here, to suppression.
const publishedTable = `SELECT indicator_key, region_code, parent_code, region_path, period, value, qualifier,
       publish_at, sensitive, aggregation, collection_level
FROM hub_published_table($1::text)`

// regionTree is the region tree down to towns (the deepest collection
// level), which tells a complete total from a partial one.
const regionTree = `SELECT code, coalesce(parent_code, ''), path::text, level FROM regions WHERE level <> 'VILLAGE'`

// PublicityStats returns the published figures of period in the subtree of
// region (default: the caller's), within the caller's scope, with totals
// for the regions above the figures and small cells suppressed. Totals and
// suppression are computed over the whole published table of the period
// (media.Table), and only then cut to the subtree: whatever regions are
// asked for, the answers are parts of one suppressed table.
func (s *MediaService) PublicityStats(ctx context.Context, period string, region *string) ([]*hub.PublicityStat, error) {
	p := hub.PrincipalFrom(ctx)
	if err := access.PublicityBlockedBy(p); err != nil {
		return nil, err
	}
	if _, err := hub.ParsePeriod(period); err != nil {
		return nil, err
	}
	root := p.Region
	if region != nil {
		root = *region
	}
	var figures []media.Figure
	var tree []media.Region
	var regions []*hub.Region
	err := s.db.read(ctx, func(b *pgx.Batch) {
		collect(b, &figures, func(row pgx.CollectableRow) (media.Figure, error) {
			var f media.Figure
			st := &f.Stat
			err := row.Scan(&st.IndicatorKey, &st.RegionCode, &f.Parent, &f.Path, &st.Period, &st.Value, &st.Qualifier,
				&st.PublishAt, &f.Sensitive, &f.Aggregation, &f.CollectionLevel)
			return f, err
		}, publishedTable, period)
		collect(b, &tree, func(row pgx.CollectableRow) (media.Region, error) {
			var r media.Region
			err := row.Scan(&r.Code, &r.Parent, &r.Path, &r.Level)
			return r, err
		}, regionTree)
		collect(b, &regions, scanRegion, `SELECT `+regionColumns+` FROM regions WHERE code = $1`, root)
	})
	if err != nil {
		return nil, fmt.Errorf("publicity stats: %w", err)
	}
	if len(regions) == 0 {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", root, root)
	}
	return media.NewTable(figures, tree, s.threshold).Within(regions[0].Path, p.RegionPath), nil
}

// Publications lists the publication batches, newest first, with how many
// of their values the caller may see and of which periods.
func (s *MediaService) Publications(ctx context.Context) ([]*hub.Publication, error) {
	const q = `SELECT p.id, p.title, p.publish_at, p.created_at, p.created_by, c.n, c.periods
FROM publications p
CROSS JOIN LATERAL (
  SELECT count(*), coalesce(array_agg(DISTINCT v.period ORDER BY v.period), '{}')
  FROM data_values v WHERE v.publication_id = p.id
) c(n, periods)
ORDER BY p.publish_at DESC, p.id DESC`
	// The media office reads sensitive figures only through publicityStats,
	// so the policies hide them from it; it counts what publicityStats
	// gives it instead: the batch's values past their embargo, in its scope.
	const forMedia = `WITH t AS (
  SELECT publication_id, period FROM hub_published_table(NULL) WHERE region_path::ltree <@ hub_scope()
)
SELECT p.id, p.title, p.publish_at, p.created_at, p.created_by, c.n, c.periods
FROM publications p
CROSS JOIN LATERAL (
  SELECT count(*), coalesce(array_agg(DISTINCT t.period ORDER BY t.period), '{}')
  FROM t WHERE t.publication_id = p.id
) c(n, periods)
ORDER BY p.publish_at DESC, p.id DESC`
	sql := q
	if p := hub.PrincipalFrom(ctx); p != nil && p.Role == hub.Media {
		sql = forMedia
	}
	pubs, err := list(ctx, s.db, func(row pgx.CollectableRow) (*hub.Publication, error) {
		var p hub.Publication
		err := row.Scan(&p.ID, &p.Title, &p.PublishAt, &p.CreatedAt, &p.CreatedBy, &p.Values, &p.Periods)
		return &p, err
	}, sql)
	if err != nil {
		return nil, fmt.Errorf("list publications: %w", err)
	}
	return pubs, nil
}

// Publish creates a publication batch and publishes its values, all or
// nothing: every value must be an approved figure the caller can see, of
// a publicity indicator or released as a headline figure.
func (s *MediaService) Publish(ctx context.Context, r hub.PublishRequest) (*hub.Publication, error) {
	p := hub.PrincipalFrom(ctx)
	if err := access.PublishBlockedBy(p); err != nil {
		return nil, err
	}
	if strings.TrimSpace(r.Title) == "" {
		return nil, hub.Errorf(hub.EINVALID, "请给发布批次一个标题 / give the publication a title")
	}
	if len(r.IDs) == 0 {
		return nil, hub.Errorf(hub.EINVALID, "没有要发布的数据 / no values to publish")
	}
	at := time.Now()
	if r.PublishAt != nil {
		at = *r.PublishAt
	}
	const create = `INSERT INTO publications (title, publish_at, created_by) VALUES ($1, $2, hub_user())
RETURNING id, title, publish_at, created_at, created_by`
	const publish = `UPDATE data_values v SET status = 'PUBLISHED', publish_at = $2, publication_id = $3,
       updated_at = now(), updated_by = hub_user()
FROM indicators i
WHERE i.key = v.indicator_key AND v.id = ANY($1) AND v.is_released AND v.status = 'APPROVED'
  AND (i.publicity OR v.releasable)
RETURNING v.id`
	pub := &hub.Publication{}
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, create, r.Title, at).Scan(&pub.ID, &pub.Title, &pub.PublishAt, &pub.CreatedAt, &pub.CreatedBy); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, publish, r.IDs, at, pub.ID)
		done, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		if missing := missingIDs(r.IDs, done); len(missing) > 0 {
			return hub.Errorf(hub.EINVALID, "不能发布数据 %v：须为您可见的已审核宣传统计或已标记可发布的数据 / cannot publish values %v: each must be an APPROVED value you can see, of a publicity indicator or released as a headline figure", missing, missing)
		}
		pub.Values = len(done)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return pub, nil
}

func missingIDs(want, got []int) []int {
	seen := make(map[int]bool, len(got))
	for _, id := range got {
		seen[id] = true
	}
	var missing []int
	for _, id := range want {
		if !seen[id] {
			missing = append(missing, id)
			seen[id] = true
		}
	}
	return missing
}

// SetReleasable marks (or unmarks) released figures as headline figures
// the media office may receive once published.
func (s *MediaService) SetReleasable(ctx context.Context, ids []int, releasable bool) error {
	if err := access.PublishBlockedBy(hub.PrincipalFrom(ctx)); err != nil {
		return err
	}
	const q = `UPDATE data_values SET releasable = $2 WHERE id = ANY($1) AND is_released RETURNING id`
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, q, ids, releasable)
		done, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		if missing := missingIDs(ids, done); len(missing) > 0 {
			return hub.Errorf(hub.EINVALID, "数据 %v 不存在、不可见或未审核 / values %v do not exist, are not visible to you, or are not approved", missing, missing)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set releasable: %w", err)
	}
	return nil
}
