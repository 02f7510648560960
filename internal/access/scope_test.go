package access

import (
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func TestScopeBlockedBy_RegionsOutsideTheSubtreeAreForbidden(t *testing.T) {
	county := &hub.Principal{Name: "qz", Role: hub.Leader, Region: "370781", RegionPath: "370700.370781"}
	for _, c := range []struct {
		p    *hub.Principal
		path string
		want string
	}{
		{county, "370700.370781", ""},
		{county, "370700.370781.370781001", ""},
		{county, "370700", hub.EFORBIDDEN},         // the city above it
		{county, "370700.370702", hub.EFORBIDDEN},  // a sibling county
		{county, "370700.3707810", hub.EFORBIDDEN}, // a longer code is no child
		{&hub.Principal{Role: hub.Admin, RegionPath: "370700"}, "370700.370702", ""},
		{nil, "370700", hub.EUNAUTHENTICATED},
	} {
		err := ScopeBlockedBy(c.p, &hub.Region{Path: c.path})
		if got := hub.ErrorCode(err); (err == nil) != (c.want == "") || err != nil && got != c.want {
			t.Errorf("ScopeBlockedBy(%v, %s) = %v, want %q", c.p, c.path, err, c.want)
		}
	}
	if msg := hub.ErrorMessage(ScopeBlockedBy(county, &hub.Region{Path: "370700"})); msg != "该地区不在您的查看范围内 / this region is outside your scope" {
		t.Errorf("message %q", msg)
	}
}
