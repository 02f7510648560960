package demo

import (
	"context"
	"fmt"

	"github.com/sixprot/hub/internal/hub"
)

// Store is what the demo writes to; internal/postgres implements it on the
// owner's connection.
type Store interface {
	ImportRegions(ctx context.Context, regions []*hub.Region, channel string) (*hub.RegionImport, error)
	UpsertDepartments(ctx context.Context, ds []*hub.Department) error
	UpsertIndicators(ctx context.Context, is []*hub.Indicator) error
	UpsertShares(ctx context.Context, shares []*hub.Share) error
	PublishPeriod(ctx context.Context, title, period string) error
	InsertValues(ctx context.Context, channel string, values []hub.ValueRecord) (int64, error)
	// UpsertRules adds the rules whose name is not taken.
	UpsertRules(ctx context.Context, rules []*hub.ValidationRule) error
}

// Summary says what a load did.
type Summary struct {
	Regions, Indicators, SeedValues, SyntheticValues int
	// Inserted counts the values that were new; a second load inserts none.
	Inserted int64
}

// Load writes the demo data set. Loading again changes nothing: reference
// data is upserted and values are only added where a key has none.
func Load(ctx context.Context, st Store) (*Summary, error) {
	depts, err := Departments()
	if err != nil {
		return nil, err
	}
	inds, err := Indicators()
	if err != nil {
		return nil, err
	}
	regions, err := Regions()
	if err != nil {
		return nil, err
	}
	figures, err := Figures()
	if err != nil {
		return nil, err
	}
	if _, err := st.ImportRegions(ctx, regions, "demo:regions"); err != nil {
		return nil, err
	}
	if err := st.UpsertDepartments(ctx, depts); err != nil {
		return nil, err
	}
	if err := st.UpsertIndicators(ctx, inds); err != nil {
		return nil, err
	}

	if err := st.UpsertShares(ctx, Shares()); err != nil {
		return nil, err
	}
	rules, err := Rules()
	if err != nil {
		return nil, err
	}
	if err := st.UpsertRules(ctx, rules); err != nil {
		return nil, err
	}

	seed := make([]hub.ValueRecord, len(figures))
	for i, f := range figures {
		comment := optional(f.Note)
		seed[i] = hub.ValueRecord{Indicator: f.Indicator, Region: f.Region, Period: f.Period, Value: &f.Value,
			Qualifier: f.Qualifier, Comment: comment, Status: hub.Approved, Source: "seed"}
	}
	// Seed figures go first, so that no synthetic value can take their key.
	n1, err := st.InsertValues(ctx, "demo:seed", seed)
	if err != nil {
		return nil, fmt.Errorf("load seed figures: %w", err)
	}
	synthetic := newSynth(inds, regions, figures).values()
	n2, err := st.InsertValues(ctx, "demo:synthetic", synthetic)
	if err != nil {
		return nil, fmt.Errorf("load synthetic values: %w", err)
	}
	// The committee office published the 2022 publicity statistics.
	if err := st.PublishPeriod(ctx, PublicationTitle, "2022"); err != nil {
		return nil, err
	}
	return &Summary{Regions: len(regions), Indicators: len(inds), SeedValues: len(seed),
		SyntheticValues: len(synthetic), Inserted: n1 + n2}, nil
}

// Shares returns the demo's sharing agreements: civil affairs shares the
// base figures every department needs to compute per-capita values, and
// education shares all its indicators with civil affairs.
func Shares() []*hub.Share {
	ind := func(k string) *string { return &k }
	var out []*hub.Share
	for _, grantee := range []string{"education", "womens_federation", "youth_league", "publicity"} {
		for _, k := range []string{hub.MinorsKey, "population_total"} {
			out = append(out, &hub.Share{Owner: "civil_affairs", Grantee: grantee, Indicator: ind(k), CreatedBy: "demo"})
		}
	}
	return append(out, &hub.Share{Owner: "education", Grantee: "civil_affairs", CreatedBy: "demo"})
}

// PublicationTitle names the demo's publication of the 2022 publicity statistics.
const PublicationTitle = "2022年度未成年人保护宣传统计 / 2022 publicity statistics"
