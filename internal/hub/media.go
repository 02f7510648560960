package hub

import (
	"context"
	"time"
)

// PublicityStat is a published figure as the media office receives it.
// A suppressed figure has no value: it is a small count of vulnerable
// children, or a figure withheld so that such a count cannot be worked
// out by subtraction.
type PublicityStat struct {
	IndicatorKey string
	RegionCode   string
	Period       string
	Value        *float64
	Qualifier    Qualifier
	Suppressed   bool
	// Suppression says why a suppressed figure is withheld: SMALL_COUNT
	// (小数保护) or COMPLEMENTARY (withheld so that another, named by
	// Protects, cannot be worked out by subtraction); "" when shown.
	Suppression Suppression
	// Protects is the region code of the withheld figure a COMPLEMENTARY
	// one protects (the same indicator and period); "" otherwise.
	Protects string
	// Aggregated marks a total computed from the published figures below.
	Aggregated bool
	// Synthetic marks generated demo data (模拟): the figure is, or a
	// figure the total adds up is, of source SourceSynthetic.
	Synthetic bool
	PublishAt *time.Time
}

// Suppression is why a publicity figure is withheld.
type Suppression string

// The reasons of suppression.
const (
	// SmallCount: a sensitive count between 1 and the threshold, which
	// could identify children (primary suppression, 小数保护).
	SmallCount Suppression = "SMALL_COUNT"
	// Complementary: a figure withheld so that a small count in the same
	// equation (a total and its parts) cannot be recovered by
	// subtraction (互补隐藏).
	Complementary Suppression = "COMPLEMENTARY"
)

// Publication is a batch of values published together; none of it
// reaches the media office before PublishAt (the embargo).
type Publication struct {
	ID        int
	Title     string
	PublishAt time.Time
	CreatedAt time.Time
	CreatedBy string
	// Values counts the values of the batch the caller may see, and
	// Periods lists their periods, in order.
	Values  int
	Periods []string
}

// PublishRequest publishes approved values as one batch.
type PublishRequest struct {
	Title string
	// IDs are the values to publish (their released, APPROVED versions).
	IDs []int
	// PublishAt is the embargo; nil means now.
	PublishAt *time.Time
}

// MediaService serves published publicity statistics.
type MediaService interface {
	// PublicityStats returns the published figures of a period in the
	// subtree of region (default: the caller's region), small cells suppressed.
	PublicityStats(ctx context.Context, period string, region *string) ([]*PublicityStat, error)
	Publications(ctx context.Context) ([]*Publication, error)
	Publish(ctx context.Context, r PublishRequest) (*Publication, error)
	// SetReleasable marks released headline figures for the media office.
	SetReleasable(ctx context.Context, ids []int, releasable bool) error
}
