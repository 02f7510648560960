package graph

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sixprot/hub/internal/hub"
)

// FuzzDecodeCursor: any string a client sends as `after` is refused with
// BAD_USER_INPUT or decodes to a key that encodes back to a cursor for the
// same key; nothing panics.
func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{
		encodeCursor(hub.ValueKey{Indicator: "child_directors", Period: "2022", Region: "370781"}),
		encodeCursor(hub.ValueKey{Indicator: "a", Period: "2022Q3", Region: "370705001"}),
		"", "!!!", "YQ", "Ly8", "YS9iL2MvZA", "////", "bad cursor", "eyJ9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := decodeCursor(s)
		if err != nil {
			if hub.ErrorCode(err) != hub.EINVALID {
				t.Fatalf("decodeCursor(%q): code %s", s, hub.ErrorCode(err))
			}
			return
		}
		back, err := decodeCursor(encodeCursor(*k))
		if err != nil || *back != *k {
			t.Fatalf("cursor %q: key %+v does not round-trip (%+v, %v)", s, *k, back, err)
		}
	})
}

// FuzzCursorRoundTrip: every key made of indicator, period and region
// without '/' that PostgreSQL text can hold (UTF-8, no NUL) survives
// encoding.
func FuzzCursorRoundTrip(f *testing.F) {
	f.Add("child_directors", "2022", "370781")
	f.Add("", "", "")
	f.Add("指标", "2022-07", "370705001001")
	f.Fuzz(func(t *testing.T, ind, period, region string) {
		for _, part := range []string{ind, period, region} {
			if strings.Contains(part, "/") || !utf8.ValidString(part) || strings.ContainsRune(part, 0) {
				return
			}
		}
		k := hub.ValueKey{Indicator: ind, Period: period, Region: region}
		got, err := decodeCursor(encodeCursor(k))
		if err != nil || *got != k {
			t.Fatalf("%+v → %+v, %v", k, got, err)
		}
	})
}
