package demo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/demo"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
)

type valueNode struct {
	Value     *float64 `json:"value"`
	Qualifier string   `json:"qualifier"`
	Status    string   `json:"status"`
	Comment   *string  `json:"comment"`
	Source    string   `json:"source"`
	Period    string   `json:"period"`
	Region    struct {
		Code string `json:"code"`
	} `json:"region"`
	Indicator struct {
		Key string `json:"key"`
	} `json:"indicator"`
}

type valuesPage struct {
	DataValues struct {
		TotalCount int `json:"totalCount"`
		PageInfo   struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
		Edges []struct {
			Node valueNode `json:"node"`
		} `json:"edges"`
	} `json:"dataValues"`
}

const valuesQuery = `query($f: DataValueFilter!, $first: Int, $after: String) {
  dataValues(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { value qualifier status comment source period region { code } indicator { key } } }
  }
}`

// TestDemo_EverySeedFigureComesBackExactly reads all 93 figures of the
// 2022 reports through the GraphQL dataValues query.
func TestDemo_EverySeedFigureComesBackExactly(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "admin", Role: hub.Admin, Region: "370700"})
	figures, err := demo.Figures()
	if err != nil {
		t.Fatal(err)
	}
	if len(figures) != 93 {
		t.Fatalf("seed has %d figures, want 93", len(figures))
	}
	got := map[string]valueNode{}
	var after any
	for {
		var page valuesPage
		api.Query(t, token, valuesQuery, map[string]any{"f": map[string]any{"periods": []string{"2022"}}, "first": 1000, "after": after}, &page)
		for _, e := range page.DataValues.Edges {
			got[e.Node.Indicator.Key+"@"+e.Node.Region.Code] = e.Node
		}
		if !page.DataValues.PageInfo.HasNextPage {
			break
		}
		after = *page.DataValues.PageInfo.EndCursor
	}
	for _, f := range figures {
		v, ok := got[f.Indicator+"@"+f.Region]
		switch {
		case !ok:
			t.Errorf("%s %s: missing", f.Region, f.Indicator)
		case v.Value == nil || *v.Value != f.Value:
			t.Errorf("%s %s: value %v, want %v", f.Region, f.Indicator, v.Value, f.Value)
		case v.Qualifier != string(f.Qualifier) || v.Source != "seed" || v.Status != wantStatus(f.Indicator):
			t.Errorf("%s %s: %s %s %s, want %s %s seed", f.Region, f.Indicator, v.Qualifier, v.Status, v.Source, f.Qualifier, wantStatus(f.Indicator))
		case f.Note != "" && (v.Comment == nil || *v.Comment != f.Note):
			t.Errorf("%s %s: comment %v, want %q", f.Region, f.Indicator, v.Comment, f.Note)
		}
	}
	// The figures the issue names.
	check := func(key string, want float64, q string) {
		t.Helper()
		v := got[key]
		if v.Value == nil || *v.Value != want || v.Qualifier != q {
			t.Errorf("%s = %v %s, want %v %s", key, v.Value, v.Qualifier, want, q)
		}
	}
	check("child_directors@370781", 1080, "EXACT")
	check("brochures_distributed@370705", 20000, "AT_LEAST")
}

// TestDemo_LoadTwiceChangesNothing runs the loader on a loaded database.
func TestDemo_LoadTwiceChangesNothing(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	sum, err := demo.Load(context.Background(), postgres.NewLoader(api.DB.Owner))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Inserted != 0 {
		t.Errorf("second load inserted %d values, want 0", sum.Inserted)
	}
}

// TestDemo_SyntheticValuesAreLabelledAndNeverSeedKeys checks every value's
// source and that synthetic rows carry the label.
func TestDemo_SyntheticValuesAreLabelledAndNeverSeedKeys(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "admin", Role: hub.Admin, Region: "370700"})
	figures, _ := demo.Figures()
	seedKeys := map[string]bool{}
	for _, f := range figures {
		seedKeys[fmt.Sprint(f.Indicator, f.Region, f.Period)] = true
	}
	var after any
	seen := 0
	for {
		var page valuesPage
		api.Query(t, token, valuesQuery, map[string]any{"f": map[string]any{}, "first": 1000, "after": after}, &page)
		for _, e := range page.DataValues.Edges {
			n := e.Node
			seen++
			isSeed := seedKeys[fmt.Sprint(n.Indicator.Key, n.Region.Code, n.Period)]
			switch {
			case isSeed && n.Source != "seed":
				t.Errorf("%s %s %s: seed figure has source %s", n.Indicator.Key, n.Region.Code, n.Period, n.Source)
			case !isSeed && (n.Source != "synthetic" || n.Comment == nil || *n.Comment != demo.SyntheticComment):
				t.Errorf("%s %s %s: generated value not labelled (source %s)", n.Indicator.Key, n.Region.Code, n.Period, n.Source)
			}
		}
		if !page.DataValues.PageInfo.HasNextPage {
			break
		}
		after = *page.DataValues.PageInfo.EndCursor
	}
	if seen < 4000 {
		t.Errorf("demo has %d values, want the synthetic years and districts too", seen)
	}
}

// wantStatus is a seed figure's status: loaded APPROVED, then the demo's
// publication publishes the publicity statistics.
func wantStatus(indicator string) string {
	inds, _ := demo.Indicators()
	for _, i := range inds {
		if i.Key == indicator && i.Publicity {
			return "PUBLISHED"
		}
	}
	return "APPROVED"
}
