package postgres

import (
	"context"
	"fmt"
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
	return &MediaService{db: db, threshold: media.Threshold(threshold)}
}

var _ hub.MediaService = (*MediaService)(nil)

// publishedTable is the whole published table of a period, every region:
// PUBLISHED values past their embargo, of publicity indicators or released
// as headline figures. hub_published_table (migration 00042) reads it past
// the row policies, which keep sensitive values from the media role
// everywhere else; it is the one door through which a sensitive figure
// reaches the media office, and it only leads here, to suppression.
const publishedTable = `SELECT indicator_key, region_code, parent_code, region_path, period, value, qualifier,
       publish_at, sensitive, aggregation, collection_level, source = $2
FROM hub_published_table($1::text)`

// regionTree is the region tree down to towns (the deepest collection
// level), which tells a complete total from a partial one.
const regionTree = `SELECT code, coalesce(parent_code, ''), path::text, level FROM regions WHERE level <> 'VILLAGE'`

// PublicityStats returns the published figures of period in the subtree of
// region (default: the caller's), within the caller's scope, with totals
// for the regions above the figures and small cells suppressed
// (media.Stats), read in one round trip.
func (s *MediaService) PublicityStats(ctx context.Context, period string, region *string) ([]*hub.PublicityStat, error) {
	p := hub.PrincipalFrom(ctx)
	if err := access.PublicityBlockedBy(p); err != nil {
		return nil, err
	}
	root, err := media.StatsScope(period, region, p.Region)
	if err != nil {
		return nil, err
	}
	in := media.StatsInput{Code: root, Scope: p.RegionPath, Threshold: s.threshold}
	err = s.db.read(ctx, func(b *pgx.Batch) {
		collect(b, &in.Figures, func(row pgx.CollectableRow) (media.Figure, error) {
			var f media.Figure
			st := &f.Stat
			err := row.Scan(&st.IndicatorKey, &st.RegionCode, &f.Parent, &f.Path, &st.Period, &st.Value, &st.Qualifier,
				&st.PublishAt, &f.Sensitive, &f.Aggregation, &f.CollectionLevel, &st.Synthetic)
			return f, err
		}, publishedTable, period, hub.SourceSynthetic)
		collect(b, &in.Tree, func(row pgx.CollectableRow) (media.Region, error) {
			var r media.Region
			err := row.Scan(&r.Code, &r.Parent, &r.Path, &r.Level)
			return r, err
		}, regionTree)
		collect(b, &in.Asked, scanRegion, `SELECT `+regionColumns+` FROM regions WHERE code = $1`, root)
	})
	if err != nil {
		return nil, fmt.Errorf("publicity stats: %w", err)
	}
	return media.Stats(in)
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
	if media.CountsPublishedOnly(hub.PrincipalFrom(ctx)) {
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
	at, err := media.CheckPublish(r, time.Now())
	if err != nil {
		return nil, err
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
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, create, r.Title, at).Scan(&pub.ID, &pub.Title, &pub.PublishAt, &pub.CreatedAt, &pub.CreatedBy); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, publish, r.IDs, at, pub.ID)
		done, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		pub.Values = len(done)
		return media.NotPublished(r.IDs, done)
	})
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return pub, nil
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
		return media.NotMarked(ids, done)
	})
	if err != nil {
		return fmt.Errorf("set releasable: %w", err)
	}
	return nil
}
