package sso_test

import (
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/sso"
)

func strp(s string) *string { return &s }

// TestMap_FirstMatchingRuleGivesRoleDepartmentAndRegion: a rule matches
// a string claim by equality and a list claim by membership; the first
// match wins; no match leaves the role nil (refused at sign-on).
func TestMap_FirstMatchingRuleGivesRoleDepartmentAndRegion(t *testing.T) {
	cfg := sso.Config{Rules: []sso.Rule{
		{Claim: "groups", Equals: "wf-leaders", Role: "leader", Region: "370700"},
		{Claim: "groups", Equals: "qz-edu", Role: "analyst", Department: strp("education"), Region: "370781"},
		{Claim: "dept", Equals: "publicity", Role: "media", Region: "370700"},
	}}
	for _, c := range []struct {
		name   string
		claims map[string]any
		role   hub.Role // "" = unmapped
		region string
		dept   string
	}{
		{"leader group", map[string]any{"groups": []any{"x", "wf-leaders"}}, hub.Leader, "370700", ""},
		{"first rule wins", map[string]any{"groups": []any{"qz-edu", "wf-leaders"}}, hub.Leader, "370700", ""},
		{"analyst with department", map[string]any{"groups": []any{"qz-edu"}}, hub.Analyst, "370781", "education"},
		{"string attribute", map[string]any{"dept": "publicity"}, hub.Media, "370700", ""},
		{"no match", map[string]any{"groups": []any{"engineering"}, "dept": "x"}, "", "", ""},
		{"group as a string is not a list member by prefix", map[string]any{"groups": "wf-leaders-old"}, "", "", ""},
	} {
		c.claims["sub"], c.claims["preferred_username"] = "s-1", "jane"
		id := sso.Map(cfg, "https://idp", c.claims)
		if id.Identity != "https://idp#s-1" || id.Name != "jane" {
			t.Errorf("%s: identity %q name %q", c.name, id.Identity, id.Name)
		}
		switch {
		case c.role == "" && id.Role != nil:
			t.Errorf("%s: mapped to %s", c.name, *id.Role)
		case c.role != "" && (id.Role == nil || *id.Role != c.role || id.Region != c.region):
			t.Errorf("%s: %+v", c.name, id)
		case c.dept != "" && (id.Department == nil || *id.Department != c.dept):
			t.Errorf("%s: department %v", c.name, id.Department)
		}
	}
}
