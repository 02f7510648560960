package hub

import (
	"io"
	"strconv"
	"strings"
)

// Protection is one of the six protections of the Minor Protection Law, or
// BASE for context figures such as the number of minors.
type Protection string

// The six protections and BASE.
const (
	Family     Protection = "FAMILY"
	School     Protection = "SCHOOL"
	Society    Protection = "SOCIETY"
	Online     Protection = "ONLINE"
	Government Protection = "GOVERNMENT"
	Judicial   Protection = "JUDICIAL"
	Base       Protection = "BASE"
)

// Protections lists the six protections in the order of the law, then BASE.
var Protections = []Protection{Family, School, Society, Online, Government, Judicial, Base}

// NameZh returns the Chinese name of the protection.
func (p Protection) NameZh() string {
	return map[Protection]string{Family: "家庭保护", School: "学校保护", Society: "社会保护", Online: "网络保护",
		Government: "政府保护", Judicial: "司法保护", Base: "基础数据"}[p]
}

// RegionLevel is a level of the administrative hierarchy.
type RegionLevel string

// Region levels from the top.
const (
	LevelProvince RegionLevel = "PROVINCE"
	LevelCity     RegionLevel = "CITY"
	LevelCounty   RegionLevel = "COUNTY"
	LevelTown     RegionLevel = "TOWN"
	LevelVillage  RegionLevel = "VILLAGE"
)

// Status is a step of a value's workflow.
type Status string

// The workflow statuses. RETURNED sends a value back to its department.
const (
	Draft     Status = "DRAFT"
	Submitted Status = "SUBMITTED"
	Approved  Status = "APPROVED"
	Published Status = "PUBLISHED"
	Returned  Status = "RETURNED"
)

// Qualifier says how exact a value is: the source's 余/多 is AT_LEAST, 约/接近 APPROX.
type Qualifier string

// Qualifiers.
const (
	Exact   Qualifier = "EXACT"
	AtLeast Qualifier = "AT_LEAST"
	Approx  Qualifier = "APPROX"
)

// ValueType is what kind of number an indicator holds.
type ValueType string

// Value types.
const (
	Count   ValueType = "COUNT"
	Amount  ValueType = "AMOUNT"
	Percent ValueType = "PERCENT"
	Rate    ValueType = "RATE"
)

// Aggregation says how values combine over regions and time.
type Aggregation string

// Aggregations.
const (
	Sum     Aggregation = "SUM"
	Average Aggregation = "AVERAGE"
	Last    Aggregation = "LAST"
	None    Aggregation = "NONE"
)

// PeriodType is the granularity of an indicator's periods.
type PeriodType string

// Period types.
const (
	Year    PeriodType = "YEAR"
	Quarter PeriodType = "QUARTER"
	Month   PeriodType = "MONTH"
)

// Role is what a user does in the hub; see DESIGN.md "Who may do what".
type Role string

// Roles. Their names are lower case on the command line and in the database,
// upper case in GraphQL.
const (
	Analyst     Role = "analyst"
	Coordinator Role = "coordinator"
	Leader      Role = "leader"
	Media       Role = "media"
	Admin       Role = "admin"
)

var (
	protectionSet  = set(Family, School, Society, Online, Government, Judicial, Base)
	levelSet       = set(LevelProvince, LevelCity, LevelCounty, LevelTown, LevelVillage)
	statusSet      = set(Draft, Submitted, Approved, Published, Returned)
	qualifierSet   = set(Exact, AtLeast, Approx)
	valueTypeSet   = set(Count, Amount, Percent, Rate)
	aggregationSet = set(Sum, Average, Last, None)
	periodTypeSet  = set(Year, Quarter, Month)
	roleSet        = set(Analyst, Coordinator, Leader, Media, Admin)
)

func set[T ~string](vs ...T) map[T]bool {
	m := make(map[T]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// Valid reports whether p is a known protection.
func (p Protection) Valid() bool { return protectionSet[p] }

// Valid reports whether l is a known level.
func (l RegionLevel) Valid() bool { return levelSet[l] }

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return statusSet[s] }

// Valid reports whether q is a known qualifier.
func (q Qualifier) Valid() bool { return qualifierSet[q] }

// Valid reports whether t is a known value type.
func (t ValueType) Valid() bool { return valueTypeSet[t] }

// Valid reports whether a is a known aggregation.
func (a Aggregation) Valid() bool { return aggregationSet[a] }

// Valid reports whether t is a known period type.
func (t PeriodType) Valid() bool { return periodTypeSet[t] }

// ParseRole returns the role named s (case-insensitive) or a BAD_USER_INPUT error.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(s))
	if !roleSet[r] {
		return "", Errorf(EINVALID, "未知角色 %q；可用 analyst, coordinator, leader, media, admin / unknown role %q", s, s)
	}
	return r, nil
}

// The GraphQL enums are bound to these types; gqlgen calls MarshalGQL and
// UnmarshalGQL, which need only io.Writer, so hub stays free of gqlgen.

// unmarshalEnum sets *dst to v when v is one of valid, the values of the
// GraphQL enum what.
func unmarshalEnum[T ~string](dst *T, v any, valid map[T]bool, what string) error {
	s, ok := v.(string)
	if !ok || !valid[T(s)] {
		*dst = ""
		return Errorf(EINVALID, "%v is not a valid %s", v, what)
	}
	*dst = T(s)
	return nil
}

func writeQuoted(w io.Writer, s string) { _, _ = io.WriteString(w, strconv.Quote(s)) }

// MarshalGQL writes p as a GraphQL enum value.
func (p Protection) MarshalGQL(w io.Writer) { writeQuoted(w, string(p)) }

// UnmarshalGQL reads p from a GraphQL enum value.
func (p *Protection) UnmarshalGQL(v any) error {
	return unmarshalEnum(p, v, protectionSet, "Protection")
}

// MarshalGQL writes l as a GraphQL enum value.
func (l RegionLevel) MarshalGQL(w io.Writer) { writeQuoted(w, string(l)) }

// UnmarshalGQL reads l from a GraphQL enum value.
func (l *RegionLevel) UnmarshalGQL(v any) error { return unmarshalEnum(l, v, levelSet, "RegionLevel") }

// MarshalGQL writes s as a GraphQL enum value.
func (s Status) MarshalGQL(w io.Writer) { writeQuoted(w, string(s)) }

// UnmarshalGQL reads s from a GraphQL enum value.
func (s *Status) UnmarshalGQL(v any) error { return unmarshalEnum(s, v, statusSet, "ValueStatus") }

// MarshalGQL writes q as a GraphQL enum value.
func (q Qualifier) MarshalGQL(w io.Writer) { writeQuoted(w, string(q)) }

// UnmarshalGQL reads q from a GraphQL enum value.
func (q *Qualifier) UnmarshalGQL(v any) error { return unmarshalEnum(q, v, qualifierSet, "Qualifier") }

// MarshalGQL writes t as a GraphQL enum value.
func (t ValueType) MarshalGQL(w io.Writer) { writeQuoted(w, string(t)) }

// UnmarshalGQL reads t from a GraphQL enum value.
func (t *ValueType) UnmarshalGQL(v any) error { return unmarshalEnum(t, v, valueTypeSet, "ValueType") }

// MarshalGQL writes a as a GraphQL enum value.
func (a Aggregation) MarshalGQL(w io.Writer) { writeQuoted(w, string(a)) }

// UnmarshalGQL reads a from a GraphQL enum value.
func (a *Aggregation) UnmarshalGQL(v any) error {
	return unmarshalEnum(a, v, aggregationSet, "Aggregation")
}

// MarshalGQL writes t as a GraphQL enum value.
func (t PeriodType) MarshalGQL(w io.Writer) { writeQuoted(w, string(t)) }

// UnmarshalGQL reads t from a GraphQL enum value.
func (t *PeriodType) UnmarshalGQL(v any) error {
	return unmarshalEnum(t, v, periodTypeSet, "PeriodType")
}

// MarshalGQL writes r as a GraphQL enum value (upper case).
func (r Role) MarshalGQL(w io.Writer) { writeQuoted(w, strings.ToUpper(string(r))) }

// UnmarshalGQL reads r from a GraphQL enum value.
func (r *Role) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return Errorf(EINVALID, "%v is not a valid Role", v)
	}
	role, err := ParseRole(s)
	*r = role
	return err
}

// String returns the role's name.
func (r Role) String() string { return string(r) }
