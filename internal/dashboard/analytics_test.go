package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/dashboard"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// fixedAnalytics answers with fixed figures and records what it was asked,
// to show how the dashboard uses an AnalyticsService once one is wired.
type fixedAnalytics struct {
	asked []string
}

func (a *fixedAnalytics) Comparison(ctx context.Context, q hub.ComparisonQuery) ([]*hub.ComparisonRow, error) {
	a.asked = append(a.asked, "comparison "+q.Indicator+" "+q.Period+" "+*q.Parent+" "+string(q.Level)+" "+hub.PrincipalFrom(ctx).Name)
	v, pc, r, atLeast := 1080.0, 60.34, 1, hub.AtLeast
	return []*hub.ComparisonRow{{RegionCode: "370781", Value: &v, PerTenThousandMinors: &pc, Rank: &r, Qualifier: &atLeast},
		{RegionCode: "370705"}}, nil
}

func (a *fixedAnalytics) Profile(ctx context.Context, regions []string, period string) ([]*hub.ProtectionProfile, error) {
	a.asked = append(a.asked, "profile "+strings.Join(regions, ",")+" "+period)
	s := 70.0
	return []*hub.ProtectionProfile{{RegionCode: regions[0], Scores: []hub.ProtectionScore{{Protection: hub.Family, Score: &s, IndicatorsUsed: 3}}}}, nil
}

func (a *fixedAnalytics) Trend(ctx context.Context, indicator string, regions []string, from, to string) ([]*hub.TrendSeries, error) {
	a.asked = append(a.asked, "trend "+indicator+" "+from+"-"+to)
	return nil, nil
}

func TestDashboard_UsesAnalyticsServiceWhenWired(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	owner := postgres.NewAuthService(db.Owner)
	if _, err := owner.CreateUser(ctx, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"}); err != nil {
		t.Fatal(err)
	}
	token, err := owner.CreateToken(ctx, "leader")
	if err != nil {
		t.Fatal(err)
	}
	a := &fixedAnalytics{}
	mux := http.NewServeMux()
	dashboard.New(dashboard.Config{Auth: postgres.NewAuthService(db.App), Sessions: postgres.NewSessionService(db.App),
		Catalogue: postgres.NewCatalogueService(db.App), Values: postgres.NewValueService(db.App), Analytics: a}).Register(mux)

	body := get(t, mux, token, "/dashboard?period=2022&regions=370781").Body.String()
	if !strings.Contains(body, `<td class="num">≥1080</td>`) || strings.Contains(body, "分析服务尚未接入") {
		t.Errorf("ranking does not come from the analytics service:\n%s", body)
	}
	want := []string{"comparison child_directors 2022 370700 COUNTY leader", "profile 370781 2022", "trend child_directors 2018-2022"}
	if strings.Join(a.asked, "|") != strings.Join(want, "|") {
		t.Errorf("asked %q, want %q", a.asked, want)
	}
	var out struct {
		Charts map[string]map[string]any `json:"charts"`
	}
	if err := json.Unmarshal(get(t, mux, token, "/dashboard/data.json?period=2022&regions=370781").Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if s, _ := json.Marshal(out.Charts["radar"]["series"]); !strings.Contains(string(s), "青州市") || !strings.Contains(string(s), "70") {
		t.Errorf("radar series: %s", s)
	}
}
