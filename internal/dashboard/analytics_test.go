package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
	"github.com/sixprot/hub/internal/server"
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
	a := &fixedAnalytics{}
	svc, token := withAnalytics(t, a)
	// The dashboard behind the HTTP edge, which checks the token.
	mux := server.Handler(server.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Services: svc, RateLimit: server.RateLimit{PerSecond: -1}})

	body := get(t, mux, token, "/dashboard?period=2022&regions=370781").Body.String()
	if !strings.Contains(body, `<td class="num">≥1080</td>`) || strings.Contains(body, "分析服务尚未接入") {
		t.Errorf("ranking does not come from the analytics service:\n%s", body)
	}
	// The first trend lists the periods with released figures (the period
	// list), over the last 12 years; the headline cards read the year
	// before as well, for 同比.
	first := fmt.Sprintf("trend child_directors %d-%d", time.Now().Year()-11, time.Now().Year())
	want := []string{first, "trend minors_total 2021-2022", "trend child_directors 2021-2022", "trend hope_rooms 2021-2022",
		"comparison child_directors 2022 370700 COUNTY leader", "profile 370781 2022", "trend child_directors 2018-2022"}
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

// TestDashboard_RankingAndRadarComeFromTheAPI compares the page with the
// API: per 10,000 minors, the ranking table lists the regions in the
// order and with the ranks of the comparison query, and the radar draws
// the protectionProfile scores.
func TestDashboard_RankingAndRadarComeFromTheAPI(t *testing.T) {
	api, token := setup(t)
	var out struct {
		Comparison []struct {
			Region struct{ Code string }
			Rank   *int
		}
		ProtectionProfile []struct {
			Region struct{ Code string }
			Scores []struct{ Score *float64 }
		}
	}
	api.Query(t, token, `{ comparison(indicator: "child_directors", period: "2022") { region { code } rank }
  protectionProfile(regions: ["370781"], period: "2022") { region { code } scores { score } } }`, nil, &out)
	var want []string
	for _, r := range out.Comparison {
		rank := "—"
		if r.Rank != nil {
			rank = fmt.Sprint(*r.Rank)
		}
		want = append(want, r.Region.Code+" "+rank)
	}
	body := get(t, api.Handler, token, "/dashboard?period=2022&percap=1").Body.String()
	var got []string
	for _, m := range regexp.MustCompile(`<tr data-region="(\d+)"><td>([^<]+)</td>`).FindAllStringSubmatch(body, -1) {
		got = append(got, m[1]+" "+m[2])
	}
	if strings.Join(got, "|") != strings.Join(want, "|") || len(want) < 10 {
		t.Errorf("ranking table %v\nAPI comparison %v", got, want)
	}

	data := get(t, api.Handler, token, "/dashboard/data.json?period=2022&regions=370781").Body.Bytes()
	var charts struct {
		Charts map[string]map[string]any `json:"charts"`
	}
	if err := json.Unmarshal(data, &charts); err != nil {
		t.Fatal(err)
	}
	series, _ := json.Marshal(charts.Charts["radar"]["series"])
	for _, s := range out.ProtectionProfile[0].Scores {
		if s.Score != nil && !strings.Contains(string(series), strconv.FormatFloat(math.Round(*s.Score*100)/100, 'f', -1, 64)) {
			t.Errorf("radar %s lacks the API's score %v (2 decimals)", series, *s.Score)
		}
	}
	if !strings.Contains(string(series), "青州市") {
		t.Errorf("radar has no 青州市 series: %s", series)
	}
}

// withAnalytics is the demo database's services with a in place of the
// analytics service, and the token of a city leader.
func withAnalytics(t *testing.T, a hub.AnalyticsService) (svc hub.Services, token string) {
	t.Helper()
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
	svc = postgres.NewServices(db.App, postgres.ServicesConfig{})
	svc.Analytics = a
	return svc, token
}
