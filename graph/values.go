package graph

import (
	"context"
	"slices"
	"sync"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/loader"
)

// DataValue's indicator and region are plain fields of hub.DataValue in
// the schema's binding (gqlgen.yml), not resolvers: gqlgen marshals a plain
// field at once, where a resolver field costs a goroutine, a field context
// and a loader round per row. So every resolver that returns values
// attaches them first, with attachValueFields; a value that reaches the
// response without them fails its non-null field with an error, never a
// silent null, and TestValueFields_EveryPathAttaches checks every field of
// the schema that returns values.

// Paths from a resolver's field to the values it returns.
var (
	connectionValues = []step{{"DataValueConnection", "edges"}, {"DataValueEdge", "node"}}
	submittedValues  = []step{{"SubmitResult", "values"}}
	changedValues    = []step{{"ValuesChange", "values"}}
)

// attachValueFields attaches to values their indicators and regions, as far
// as the query selects them under path (the steps from the current field
// to the values; none when the field returns the values themselves). Both
// come from the request's loaders (the catalogue, cached in process by
// hub serve), in one batch each, and stay in the loaders for later fields.
func attachValueFields(ctx context.Context, values []*hub.DataValue, path ...step) error {
	if len(values) == 0 {
		return nil
	}
	l := loader.For(ctx)
	var wg sync.WaitGroup
	var indErr, regErr error
	if selects(ctx, append(slices.Clip(path), step{"DataValue", "indicator"})...) {
		wg.Go(func() {
			var is []*hub.Indicator
			is, indErr = loader.LoadAll(ctx, l.Indicator, keysOf(values, func(v *hub.DataValue) string { return v.IndicatorKey }))
			for i, v := range values {
				if indErr == nil {
					v.Indicator = is[i]
				}
			}
		})
	}
	if selects(ctx, append(slices.Clip(path), step{"DataValue", "region"})...) {
		var rs []*hub.Region
		rs, regErr = loader.LoadAll(ctx, l.Region, keysOf(values, func(v *hub.DataValue) string { return v.RegionCode }))
		for i, v := range values {
			if regErr == nil {
				v.Region = rs[i]
			}
		}
	}
	wg.Wait()
	if indErr != nil {
		return indErr
	}
	return regErr
}
