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
