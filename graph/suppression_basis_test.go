package graph_test

import (
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// publicityStats says why a figure is withheld and, for a complement,
// which region's figure it protects; protectionProfile says what its
// scores are measured against: a county leader's profile of its county is
// PEER_QUARTILES, the city leader's PEERS.
func TestPublicityStatsSuppressionAndProfileBasis(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	cells := api.PublishSmallCells(t, "370702", "370703", "370704")
	var out struct {
		PublicityStats []struct {
			Indicator   struct{ Key string }
			Region      struct{ Code string }
			Suppressed  bool
			Suppression *string
			Protects    *struct{ Code, Name string }
		}
	}
	api.Query(t, media, `{ publicityStats(period: "2022") { indicator { key } region { code } suppressed suppression protects { code name } } }`, nil, &out)
	small, complements := false, 0
	for _, s := range out.PublicityStats {
		switch {
		case !s.Suppressed && (s.Suppression != nil || s.Protects != nil):
			t.Errorf("a shown figure has a reason: %+v", s)
		case s.Indicator.Key == cells.Indicator && s.Region.Code == cells.Small:
			small = s.Suppression != nil && *s.Suppression == "SMALL_COUNT" && s.Protects == nil
		case s.Suppressed && s.Suppression != nil && *s.Suppression == "COMPLEMENTARY":
			complements++
			if s.Protects == nil || s.Protects.Code != cells.Small || s.Protects.Name != "潍城区" {
				t.Errorf("a complement protects %+v, want %s", s.Protects, cells.Small)
			}
		}
	}
	if !small || complements == 0 {
		t.Errorf("small cell named %v, %d complements", small, complements)
	}

	basis := func(token string) string {
		var p struct {
			ProtectionProfile []struct{ Basis string }
		}
		api.Query(t, token, `{ protectionProfile(regions: ["370781"], period: "2022") { basis } }`, nil, &p)
		return p.ProtectionProfile[0].Basis
	}
	county := api.User(t, hub.NewUser{Name: "qz", Role: hub.Leader, Region: "370781"})
	city := api.User(t, hub.NewUser{Name: "city", Role: hub.Leader, Region: "370700"})
	if b := basis(county); b != "PEER_QUARTILES" {
		t.Errorf("county leader's basis %q", b)
	}
	if b := basis(city); b != "PEERS" {
		t.Errorf("city leader's basis %q", b)
	}
}
