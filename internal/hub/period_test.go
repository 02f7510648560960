package hub

import (
	"strings"
	"testing"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in   string
		want Period
		typ  PeriodType
	}{
		{"2022", Period{Year: 2022}, Year},
		{"2022Q1", Period{Year: 2022, Quarter: 1}, Quarter},
		{"2022Q4", Period{Year: 2022, Quarter: 4}, Quarter},
		{"2022-01", Period{Year: 2022, Month: 1}, Month},
		{"2022-12", Period{Year: 2022, Month: 12}, Month},
		{"1990", Period{Year: 1990}, Year},
	}
	for _, tt := range tests {
		got, err := ParsePeriod(tt.in)
		if err != nil {
			t.Errorf("ParsePeriod(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want || got.Type() != tt.typ || got.String() != tt.in {
			t.Errorf("ParsePeriod(%q) = %+v (%s, %q), want %+v (%s)", tt.in, got, got.Type(), got.String(), tt.want, tt.typ)
		}
	}
}

func TestParsePeriod_RejectsBadInputNamingIt(t *testing.T) {
	for _, in := range []string{"", "22", "20222", "2022Q0", "2022Q5", "2022q3", "2022-00", "2022-13", "2022-7",
		"2022-007", "2022/07", " 2022", "2022 ", "1989", "2101", "２０２２", "2022Q3x", "abcd"} {
		_, err := ParsePeriod(in)
		if err == nil {
			t.Errorf("ParsePeriod(%q) accepted a bad period", in)
			continue
		}
		if ErrorCode(err) != EINVALID {
			t.Errorf("ParsePeriod(%q) code = %s, want %s", in, ErrorCode(err), EINVALID)
		}
		if in != "" && !strings.Contains(err.Error(), in) {
			t.Errorf("ParsePeriod(%q) error %q does not name the value", in, err)
		}
	}
}

func TestPeriodContains(t *testing.T) {
	p := func(s string) Period {
		v, err := ParsePeriod(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		outer, inner string
		want         bool
	}{
		{"2022", "2022Q3", true},
		{"2022", "2022-07", true},
		{"2022", "2023-01", false},
		{"2022Q3", "2022-07", true},
		{"2022Q3", "2022-09", true},
		{"2022Q3", "2022-10", false},
		{"2022Q3", "2022Q3", true},
		{"2022-07", "2022-07", true},
		{"2022-07", "2022", false},
	}
	for _, tt := range tests {
		if got := p(tt.outer).Contains(p(tt.inner)); got != tt.want {
			t.Errorf("%s.Contains(%s) = %v, want %v", tt.outer, tt.inner, got, tt.want)
		}
	}
}

// FuzzParsePeriod checks that any accepted period formats back to itself
// and that nothing panics.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2022", "2022Q3", "2022-07", "2022-13", "", "9999Q9", "2022-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParsePeriod(%q): code %s", s, ErrorCode(err))
			}
			return
		}
		if p.String() != s {
			t.Fatalf("ParsePeriod(%q).String() = %q", s, p.String())
		}
	})
}
