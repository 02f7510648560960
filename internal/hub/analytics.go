package hub

import "context"

// MinorsKey is the key of the indicator that counts a region's minors:
// counts are compared, scored and checked for outliers per 10,000 of them.
const MinorsKey = "minors_total"

// ComparisonQuery asks how the regions at Level below Parent compare on
// an indicator in a period.
type ComparisonQuery struct {
	Indicator string
	Period    string
	// Parent defaults to the root of the caller's scope.
	Parent *string
	Level  RegionLevel
}

// ComparisonRow is one region of a comparison. Rank 1 is the highest
// value (per 10,000 minors when that is known); ties share a rank; regions
// without a value come last with a nil rank.
type ComparisonRow struct {
	RegionCode string
	// Region is the region itself when the service read it anyway, so
	// that callers need not read it again; nil otherwise.
	Region               *Region
	Value                *float64
	PerTenThousandMinors *float64
	Rank                 *int
	Status               *Status
	Qualifier            *Qualifier
}

// ProtectionScore is a region's 0–100 score on one protection.
type ProtectionScore struct {
	Protection     Protection
	Score          *float64
	IndicatorsUsed int
}

// ProtectionProfile is a region's scores on the six protections.
type ProtectionProfile struct {
	RegionCode string
	Scores     []ProtectionScore
	// Basis says what the scores are measured against (docs/analytics.md).
	Basis ProfileBasis
}

// ProfileBasis is what a profile's scores are measured against.
type ProfileBasis string

// The bases of a profile.
const (
	// PeersBasis: min–max across the peers' values.
	PeersBasis ProfileBasis = "PEERS"
	// PeerQuartilesBasis: the peers' quartiles, when the peers lie
	// outside the caller's scope (a county leader's profile against the
	// city's counties), not their values.
	PeerQuartilesBasis ProfileBasis = "PEER_QUARTILES"
)

// TrendPoint is the value of one period of a trend.
type TrendPoint struct {
	Period    string
	Value     *float64
	Qualifier *Qualifier
	Status    *Status
}

// TrendSeries is an indicator's values over periods for one region.
type TrendSeries struct {
	IndicatorKey string
	RegionCode   string
	Points       []TrendPoint
}

// AnalyticsService answers leadership's questions, aggregating only what
// the principal in the context may read.
type AnalyticsService interface {
	Comparison(ctx context.Context, q ComparisonQuery) ([]*ComparisonRow, error)
	Profile(ctx context.Context, regions []string, period string) ([]*ProtectionProfile, error)
	Trend(ctx context.Context, indicator string, regions []string, from, to string) ([]*TrendSeries, error)
}
