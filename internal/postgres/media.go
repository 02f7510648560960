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

// publishedStats are the published figures of a period in a subtree that
// the media office may have: PUBLISHED, past their embargo, of publicity
// indicators or released as headline figures. The policies apply on top.
const publishedStats = `
SELECT v.indicator_key, v.region_code, coalesce(r.parent_code, ''), r.path::text, v.period, v.value, v.qualifier,
       v.publish_at, i.sensitive, i.aggregation
FROM data_values v
JOIN indicators i ON i.key = v.indicator_key
JOIN regions r ON r.code = v.region_code
WHERE v.is_released AND v.status = 'PUBLISHED' AND v.publish_at <= now()
  AND (i.publicity OR v.releasable)
  AND v.period = $1
  AND v.region_path <@ (SELECT path FROM regions WHERE code = $2)
ORDER BY v.indicator_key, v.region_path`

type publishedRow struct {
	stat        hub.PublicityStat
	parent      string
	path        string
	sensitive   bool
	aggregation hub.Aggregation
}

// PublicityStats returns the published figures of period in the subtree of
// region, adds totals for the regions above the figures (sums of the
// published figures only), and suppresses small cells.
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
	var rows []publishedRow
	var regions []*hub.Region
	err := s.db.read(ctx, func(b *pgx.Batch) {
		collect(b, &rows, func(row pgx.CollectableRow) (publishedRow, error) {
			var r publishedRow
			st := &r.stat
			err := row.Scan(&st.IndicatorKey, &st.RegionCode, &r.parent, &r.path, &st.Period, &st.Value, &st.Qualifier,
				&st.PublishAt, &r.sensitive, &r.aggregation)
			return r, err
		}, publishedStats, period, root)
		collect(b, &regions, scanRegion, `SELECT `+regionColumns+` FROM regions WHERE code = $1`, root)
	})
	if err != nil {
		return nil, fmt.Errorf("publicity stats: %w", err)
	}
	if len(regions) == 0 {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", root, root)
	}
	cells := withTotals(rows, regions[0])
	media.Suppress(cells, s.threshold)
	out := make([]*hub.PublicityStat, len(cells))
	for i, c := range cells {
		out[i] = c.Stat
	}
	return out, nil
}

// withTotals returns the published figures plus, for SUM indicators, a
// total for every region between a figure and root that has no figure of
// its own. Totals are computed before suppression, so that complementary
// suppression protects the cells they contain.
func withTotals(rows []publishedRow, root *hub.Region) []media.Cell {
	type key struct{ indicator, code string }
	cells := make([]media.Cell, 0, len(rows))
	stored := map[key]bool{}
	for i := range rows {
		r := &rows[i]
		st := r.stat
		cells = append(cells, media.Cell{Stat: &st, Parent: r.parent, Sensitive: r.sensitive})
		stored[key{st.IndicatorKey, st.RegionCode}] = true
	}
	totals := map[key]*media.Cell{}
	var order []key
	for i, r := range rows {
		if r.aggregation != hub.Sum || r.stat.Value == nil {
			continue
		}
		codes := strings.Split(r.path, ".")
		// Ancestors from the parent up to root, each with its own parent.
		for j := len(codes) - 2; j >= 0; j-- {
			code := codes[j]
			if !strings.HasPrefix(strings.Join(codes[:j+1], "."), root.Path) {
				break
			}
			k := key{r.stat.IndicatorKey, code}
			if stored[k] {
				break // a published figure of its own: no total above it either
			}
			t := totals[k]
			if t == nil {
				parent := ""
				if j > 0 {
					parent = codes[j-1]
				}
				v := 0.0
				t = &media.Cell{Parent: parent, Sensitive: r.sensitive, Stat: &hub.PublicityStat{
					IndicatorKey: r.stat.IndicatorKey, RegionCode: code, Period: r.stat.Period,
					Value: &v, Qualifier: hub.Exact, Aggregated: true, PublishAt: r.stat.PublishAt}}
				totals[k] = t
				order = append(order, k)
			}
			*t.Stat.Value += *rows[i].stat.Value
			t.Stat.Qualifier = combine(t.Stat.Qualifier, r.stat.Qualifier)
			if r.stat.PublishAt != nil && (t.Stat.PublishAt == nil || r.stat.PublishAt.After(*t.Stat.PublishAt)) {
				t.Stat.PublishAt = r.stat.PublishAt
			}
		}
	}
	for _, k := range order {
		cells = append(cells, *totals[k])
	}
	return cells
}

// combine gives the qualifier of a sum: approximate if any term is,
// else at least if any term is.
func combine(a, b hub.Qualifier) hub.Qualifier {
	switch {
	case a == hub.Approx || b == hub.Approx:
		return hub.Approx
	case a == hub.AtLeast || b == hub.AtLeast:
		return hub.AtLeast
	}
	return hub.Exact
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
	pubs, err := list(ctx, s.db, func(row pgx.CollectableRow) (*hub.Publication, error) {
		var p hub.Publication
		err := row.Scan(&p.ID, &p.Title, &p.PublishAt, &p.CreatedAt, &p.CreatedBy, &p.Values, &p.Periods)
		return &p, err
	}, q)
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
