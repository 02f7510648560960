package graph_test

import (
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// Red-amber-green thresholds over GraphQL: an admin sets them on an
// indicator (updateIndicator), reads them back, replaces one, and removes
// them (clearRag); thresholds in the wrong order for the indicator's
// direction, or only one of them, are BAD_USER_INPUT and change nothing.
func TestIndicatorThresholds_SetReadRefuseAndClear(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	admin := api.User(t, hub.NewUser{Name: "root", Role: hub.Admin, Region: "370700"})
	const update = `mutation($key: ID!, $in: IndicatorPatch!) { updateIndicator(key: $key, input: $in) { key ragAmber ragGreen } }`
	type out struct {
		UpdateIndicator struct {
			RagAmber, RagGreen *float64
		}
	}
	var o out
	api.Query(t, admin, update, map[string]any{"key": "child_directors", "in": map[string]any{"ragAmber": 40, "ragGreen": 65}}, &o)
	if o.UpdateIndicator.RagAmber == nil || *o.UpdateIndicator.RagAmber != 40 || *o.UpdateIndicator.RagGreen != 65 {
		t.Fatalf("set: %+v", o)
	}
	api.Query(t, admin, update, map[string]any{"key": "child_directors", "in": map[string]any{"ragGreen": 70}}, &o)
	if *o.UpdateIndicator.RagAmber != 40 || *o.UpdateIndicator.RagGreen != 70 {
		t.Fatalf("replace green: %+v", o)
	}
	for name, in := range map[string]map[string]any{
		"green below amber (more is better)": {"ragGreen": 30},
		"amber above green (more is better)": {"ragAmber": 90},
	} {
		if resp := api.Do(t, admin, update, map[string]any{"key": "child_directors", "in": in}); resp.Code() != hub.EINVALID {
			t.Errorf("%s: %q %s", name, resp.Code(), resp.Data)
		}
	}
	// A lower-is-better indicator takes them the other way round.
	if resp := api.Do(t, admin, update, map[string]any{"key": "minor_dispute_cases", "in": map[string]any{"ragAmber": 5, "ragGreen": 2}}); resp.Code() != "" {
		t.Errorf("lower-is-better thresholds refused: %q", resp.Code())
	}
	if resp := api.Do(t, admin, update, map[string]any{"key": "minor_dispute_cases", "in": map[string]any{"clearRag": true, "ragAmber": 5}}); resp.Code() != hub.EINVALID {
		t.Errorf("one threshold alone: %q", resp.Code())
	}
	api.Query(t, admin, update, map[string]any{"key": "child_directors", "in": map[string]any{"clearRag": true}}, &o)
	if o.UpdateIndicator.RagAmber != nil || o.UpdateIndicator.RagGreen != nil {
		t.Fatalf("clear: %+v", o)
	}
	var read struct {
		Indicators []struct {
			Key                string
			RagAmber, RagGreen *float64
		}
	}
	api.Query(t, admin, `{ indicators { key ragAmber ragGreen } }`, nil, &read)
	for _, i := range read.Indicators {
		if i.Key == "minor_dispute_cases" && (i.RagAmber == nil || *i.RagAmber != 5 || *i.RagGreen != 2) {
			t.Errorf("read back: %+v", i)
		}
	}
}
