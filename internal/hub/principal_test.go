package hub

import (
	"context"
	"errors"
	"testing"
)

func TestSigned_RefusesNobodyWithTheOneWording(t *testing.T) {
	p, err := Signed(context.Background())
	if p != nil || !errors.Is(err, ErrNoPrincipal) || ErrorCode(err) != EUNAUTHENTICATED {
		t.Fatalf("Signed(nobody) = %v, %v; want nil, ErrNoPrincipal (UNAUTHENTICATED)", p, err)
	}
	const want = "需要登录：请先登录或提供 Bearer 令牌 / authentication required: sign in or send Authorization: Bearer <token>"
	if got := ErrorMessage(err); got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	me := &Principal{Name: "a", RegionPath: "370700"}
	if p, err := Signed(NewContext(context.Background(), me)); p != me || err != nil {
		t.Errorf("Signed(a) = %v, %v; want a, nil", p, err)
	}
}

func TestWithin_IsTheSubtreeTestOfLtreePaths(t *testing.T) {
	for _, c := range []struct {
		path, scope string
		want        bool
	}{
		{"370700", "370700", true},                  // the region itself
		{"370700.370702", "370700", true},           // a child
		{"370700.370702.370702001", "370700", true}, // a grandchild
		{"370700", "370700.370702", false},          // the parent
		{"370700.370703", "370700.370702", false},   // a sibling
		{"3707001", "370700", false},                // a longer code is no child
		{"370700.3707021", "370700.370702", false},
		{"370701.370700", "370700", false}, // the code further down the path
		{"370700", "", false},              // an empty scope holds no region
		{"", "", true},
		{"", "370700", false},
	} {
		if got := Within(c.path, c.scope); got != c.want {
			t.Errorf("Within(%q, %q) = %v, want %v", c.path, c.scope, got, c.want)
		}
	}
}
