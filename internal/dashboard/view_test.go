package dashboard

import (
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func TestFormatValue_WanQualifiersAndMissing(t *testing.T) {
	atLeast, approx := hub.AtLeast, hub.Approx
	f := func(x float64) *float64 { return &x }
	for _, c := range []struct {
		v    *float64
		q    *hub.Qualifier
		lang string
		want string
	}{
		{f(1080), nil, "zh", "1080"},
		{f(10038), nil, "zh", "1.004万"},
		{f(1694200), nil, "zh", "169.4万"},
		{f(102000), &atLeast, "zh", "≥10.20万"},
		{f(3000), &approx, "zh", "≈3000"},
		{f(1694200), nil, "en", "1,694,200"},
		{f(60.3412), nil, "zh", "60.34"},
		{nil, &atLeast, "zh", "—"},
	} {
		if got := formatValue(c.v, c.q, c.lang); got != c.want {
			t.Errorf("formatValue(%v, %v, %s) = %q, want %q", c.v, c.q, c.lang, got, c.want)
		}
	}
}
