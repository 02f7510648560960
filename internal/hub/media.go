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
	// Aggregated marks a total computed from the published figures below.
	Aggregated bool
	// Synthetic marks generated demo data (模拟): the figure is, or a
	// figure the total adds up is, of source SourceSynthetic.
	Synthetic bool
	PublishAt *time.Time
}

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
