package hub

import "testing"

func TestResponseMediaType_FollowsQValues(t *testing.T) {
	const g, j = MediaGraphQLResponse, MediaJSON
	for accept, want := range map[string]string{
		"":                                      j,
		"*/*":                                   j,
		"application/*":                         j,
		"text/html":                             j,
		g:                                       g,
		j:                                       j,
		g + ", " + j:                            g,
		j + ", " + g:                            g,
		g + ";q=0.5, " + j:                      j,
		g + ", " + j + ";q=0.9":                 g,
		j + ";q=0.9, " + g + ";q=0.8":           j,
		g + ";q=0, */*":                         j,
		j + ";q=0, */*":                         g,
		g + ";charset=utf-8":                    g,
		"text/html, " + g + ";q=0.9, */*;q=0.8": g,
		"*/*;q=0.1, " + g + ";q=0.2":            g,
		g + ";q=bogus, " + j + ";q=0.1":         j,
		g + ";q=0.5, " + j + ";q=0.5":           g,
		"application/*;q=0.9, " + g + ";q=0.1":  j,
	} {
		if got := ResponseMediaType(accept); got != want {
			t.Errorf("Accept %q: %s, want %s", accept, got, want)
		}
	}
}

// AcceptQ gives a type the q-value of the most specific range that
// matches it, the highest of equally specific ones, 0 when none matches.
func TestAcceptQ_MostSpecificRangeDecides(t *testing.T) {
	const html = "text/html"
	for _, tt := range []struct {
		accept   string
		q        float64
		explicit bool
	}{
		{"", 0, false},
		{"application/json", 0, false},
		{"*/*", 1, false},
		{"*/*;q=0.8", 0.8, false},
		{"text/*;q=0.5, */*;q=0.9", 0.5, false},
		{"text/html;q=0.2, text/*, */*", 0.2, true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 1, true},
		{"text/html;q=0, */*", 0, true},
		{"text/html;q=0.3, text/html;q=0.7", 0.7, true},
		{"text/html;q=bogus, */*;q=0.5", 0, true},
		{"text/html;level=1", 1, true},
		{"garbage;;, text/html;q=0.4", 0.4, true},
	} {
		if q, explicit := AcceptQ(tt.accept, html); q != tt.q || explicit != tt.explicit {
			t.Errorf("AcceptQ(%q, text/html) = %v, %v; want %v, %v", tt.accept, q, explicit, tt.q, tt.explicit)
		}
	}
}
