package hub

import (
	"fmt"
	"strconv"
)

// Period is a reporting period: a year (2022), a quarter (2022Q3) or a
// month (2022-07).
type Period struct {
	Year    int
	Quarter int // 1–4 for a quarter, else 0
	Month   int // 1–12 for a month, else 0
}

// Years the hub accepts. Reports before the Minor Protection Law's
// revision are rare; the bounds catch typing errors such as 20222.
const (
	MinYear = 1990
	MaxYear = 2100
)

// ParsePeriod parses "2022", "2022Q3" or "2022-07". Anything else is a
// BAD_USER_INPUT error that names the value.
func ParsePeriod(s string) (Period, error) {
	bad := func() (Period, error) {
		return Period{}, Errorf(EINVALID, "无效的期间 %q：应为 2022、2022Q3 或 2022-07 / invalid period %q: use 2022, 2022Q3 or 2022-07", s, s)
	}
	if len(s) < 4 || !digits(s[:4]) {
		return bad()
	}
	year, _ := strconv.Atoi(s[:4])
	if year < MinYear || year > MaxYear {
		return Period{}, Errorf(EINVALID, "期间 %q 的年份超出 %d–%d / period %q: year outside %d–%d", s, MinYear, MaxYear, s, MinYear, MaxYear)
	}
	p := Period{Year: year}
	switch rest := s[4:]; {
	case rest == "":
	case len(rest) == 2 && rest[0] == 'Q' && '1' <= rest[1] && rest[1] <= '4':
		p.Quarter = int(rest[1] - '0')
	case len(rest) == 3 && rest[0] == '-' && digits(rest[1:]):
		p.Month, _ = strconv.Atoi(rest[1:])
		if p.Month < 1 || p.Month > 12 {
			return bad()
		}
	default:
		return bad()
	}
	return p, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// String formats p the way ParsePeriod reads it.
func (p Period) String() string {
	switch {
	case p.Quarter != 0:
		return fmt.Sprintf("%04dQ%d", p.Year, p.Quarter)
	case p.Month != 0:
		return fmt.Sprintf("%04d-%02d", p.Year, p.Month)
	default:
		return fmt.Sprintf("%04d", p.Year)
	}
}

// Type returns the granularity of p.
func (p Period) Type() PeriodType {
	switch {
	case p.Quarter != 0:
		return Quarter
	case p.Month != 0:
		return Month
	default:
		return Year
	}
}

// Contains reports whether q lies within p: a year contains its quarters
// and months, a quarter its three months, and every period itself.
func (p Period) Contains(q Period) bool {
	if p.Year != q.Year {
		return false
	}
	switch p.Type() {
	case Year:
		return true
	case Quarter:
		if q.Type() == Month {
			return (q.Month-1)/3+1 == p.Quarter
		}
		return q == p
	default:
		return q == p
	}
}
