package hub

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"
)

// Severity says what a violated validation rule does: BLOCK rejects the
// submission, WARN reports a finding.
type Severity string

// Severities.
const (
	Block Severity = "BLOCK"
	Warn  Severity = "WARN"
)

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return s == Block || s == Warn }

// MarshalGQL writes s as a GraphQL enum value.
func (s Severity) MarshalGQL(w io.Writer) { writeQuoted(w, string(s)) }

// UnmarshalGQL reads a GraphQL enum value.
func (s *Severity) UnmarshalGQL(v any) error {
	x, _ := v.(string)
	*s = Severity(x)
	if !s.Valid() {
		return Errorf(EINVALID, "未知严重程度 %q / unknown severity %q", x, x)
	}
	return nil
}

// MissingValues says how a rule treats an indicator without a value.
type MissingValues string

// Missing-value strategies: skip the rule when any value it reads is
// missing, or evaluate it with missing values taken as 0.
const (
	SkipIfAnyMissing MissingValues = "SKIP_IF_ANY_MISSING"
	NeverSkip        MissingValues = "NEVER_SKIP"
)

// Valid reports whether m is a known strategy.
func (m MissingValues) Valid() bool { return m == SkipIfAnyMissing || m == NeverSkip }

// MarshalGQL writes m as a GraphQL enum value.
func (m MissingValues) MarshalGQL(w io.Writer) { writeQuoted(w, string(m)) }

// UnmarshalGQL reads a GraphQL enum value.
func (m *MissingValues) UnmarshalGQL(v any) error {
	x, _ := v.(string)
	*m = MissingValues(x)
	if !m.Valid() {
		return Errorf(EINVALID, "未知缺失值策略 %q / unknown missing-value strategy %q", x, x)
	}
	return nil
}

// Operators a validation rule may compare with.
var Operators = []string{"==", "!=", "<", "<=", ">", ">="}

// ValidOperator reports whether op is one of Operators.
func ValidOperator(op string) bool {
	for _, o := range Operators {
		if o == op {
			return true
		}
	}
	return false
}

// ValidationRule compares two expressions over the indicators of one
// region and period, e.g. minors_total <= population_total.
type ValidationRule struct {
	ID   int
	Name string
	// Left and Right are expr-lang expressions over indicator keys.
	Left, Operator, Right string
	// Tolerance relaxes the comparison by this much (≥ 0).
	Tolerance     float64
	Severity      Severity
	MissingValues MissingValues
	// TextZh and TextEn say what the rule checks, for people.
	TextZh, TextEn string
	Active         bool
	// Indicators are the keys the expressions read, sorted.
	Indicators []string
	// Region is the code of the region whose subtree the rule applies to;
	// nil for rules the system loaded, which apply everywhere.
	Region    *string
	UpdatedAt time.Time
	UpdatedBy *string
}

// Text returns the rule's text, Chinese first.
func (r *ValidationRule) Text() string { return r.TextZh + " / " + r.TextEn }

// Expression returns the rule as one line, e.g. "a <= b (±2)".
func (r *ValidationRule) Expression() string {
	var b strings.Builder
	b.WriteString(r.Left + " " + r.Operator + " " + r.Right)
	if r.Tolerance != 0 {
		b.WriteString(" (±" + trimFloat(r.Tolerance) + ")")
	}
	return b.String()
}

// RuleInput creates or changes a rule; nil fields of an update stay as
// they are.
type RuleInput struct {
	Name                  *string
	Left, Operator, Right *string
	Tolerance             *float64
	Severity              *Severity
	MissingValues         *MissingValues
	TextZh, TextEn        *string
	Active                *bool
	// Region is where the rule applies (its subtree); a new rule without
	// one applies to its maker's region.
	Region *string
}

// Finding kinds.
const (
	FindingRule        = "RULE"
	FindingOutlierTime = "OUTLIER_TIME"
	FindingOutlierPeer = "OUTLIER_PEER"
)

// ValidationFinding is a violated rule or an outlier for one region and period.
type ValidationFinding struct {
	// Kind is FindingRule, FindingOutlierTime or FindingOutlierPeer.
	Kind     string
	Severity Severity
	// RuleID and Rule (its name) are set for rule findings.
	RuleID *int
	Rule   *string
	// IndicatorKey is the outlying indicator, or for rules the first key.
	IndicatorKey *string
	RegionCode   string
	Period       string
	Message      string
	// Left and Right are the evaluated sides of a rule.
	Left, Right *float64
	Outlier     *Outlier
}

// OutlierKind says what a value was compared with.
type OutlierKind string

// Outlier kinds: the same region's earlier periods, or the peer regions
// (same parent, same level) in the same period.
const (
	OutlierTime OutlierKind = "TIME"
	OutlierPeer OutlierKind = "PEER"
)

// MarshalGQL writes k as a GraphQL enum value.
func (k OutlierKind) MarshalGQL(w io.Writer) { writeQuoted(w, string(k)) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *OutlierKind) UnmarshalGQL(v any) error {
	x, _ := v.(string)
	*k = OutlierKind(x)
	if *k != OutlierTime && *k != OutlierPeer {
		return Errorf(EINVALID, "未知异常类型 %q / unknown outlier kind %q", x, x)
	}
	return nil
}

// Outlier holds the numbers that made a value an outlier: its value per
// 10,000 minors, the median and median absolute deviation (MAD) of the
// sample it was compared with, and the modified z-score
// 0.6745·(value − median)/MAD.
type Outlier struct {
	Kind       OutlierKind
	Value      float64
	Median     float64
	MAD        float64
	Score      float64
	Threshold  float64
	SampleSize int
}

// ValidationService manages validation rules and reports findings.
// Submissions are validated by the SubmitService, inside its transaction.
type ValidationService interface {
	// Rules lists the rules, the inactive ones too when all is set.
	Rules(ctx context.Context, all bool) ([]*ValidationRule, error)
	// CreateRule defines a rule; bad expressions are EINVALID.
	CreateRule(ctx context.Context, in RuleInput) (*ValidationRule, error)
	// UpdateRule changes rule id.
	UpdateRule(ctx context.Context, id int, in RuleInput) (*ValidationRule, error)
	// Report lists the rule violations and outliers of period in the
	// subtree of region (default: the caller's region), computed from the
	// values the caller may read.
	Report(ctx context.Context, period string, region *string) ([]*ValidationFinding, error)
}

func trimFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
