package hub

import (
	"context"
	"fmt"
	"math"
)

// ValueInput is one value a caller submits.
type ValueInput struct {
	Indicator string
	Region    string
	Period    string
	// Value nil means "not reported", which is not 0.
	Value     *float64
	Qualifier Qualifier
	Comment   *string
	// ExpectedVersion, when set, is the version the caller last saw.
	ExpectedVersion *int
}

// Conflict says why one input was refused, on every write path: Index is
// the input's number as the caller gave it (its position in submitValues;
// an import numbers its inputs by row and moves the number to Row), Field
// the part of the input the refusal is about, which an import shows as
// Column (letter and header).
type Conflict struct {
	Index   int
	Row     int
	Column  string
	Field   ValueField
	Code    string
	Message string
}

// SubmitResult counts what a submission or a batch of an import did (or
// would do, on a dry run).
type SubmitResult struct {
	Created, Updated, Unchanged int
	Conflicts                   []Conflict
	// Values are the values written, in input order (submitValues only).
	Values []*DataValue
	// Warnings are the WARN rules the submitted values violate, evaluated
	// with the values already stored; BLOCK rules violated are conflicts
	// with code EVALIDATION.
	Warnings []*ValidationFinding
}

// SubmitService writes values, all or nothing.
type SubmitService interface {
	SubmitValues(ctx context.Context, in []ValueInput, dryRun bool) (*SubmitResult, error)
}

// CheckValue checks v against the indicator's value type: counts are
// non-negative integers, percents lie in 0–100, amounts are non-negative.
func CheckValue(ind *Indicator, v *float64) error {
	if v == nil {
		return nil
	}
	x := *v
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Errorf(EINVALID, "数值无效 / value is not a finite number")
	}
	switch ind.ValueType {
	case Count:
		if x < 0 || x != math.Trunc(x) {
			return Errorf(EINVALID, "%s 是计数，须为非负整数 / %s is a count: a non-negative integer, not %v", ind.Key, ind.Key, x)
		}
	case Percent:
		if x < 0 || x > 100 {
			return Errorf(EINVALID, "%s 是百分比，须在 0–100 之间 / %s is a percent: 0–100, not %v", ind.Key, ind.Key, x)
		}
	case Amount, Rate:
		if x < 0 {
			return Errorf(EINVALID, "%s 不能为负 / %s may not be negative: %v", ind.Key, ind.Key, x)
		}
	}
	return nil
}

// CheckPeriod checks that period is of the indicator's period type.
func CheckPeriod(ind *Indicator, period string) error {
	p, err := ParsePeriod(period)
	if err != nil {
		return Errorf(EINVALID, "无效的期间 %q / invalid period %q", period, period)
	}
	if p.Type() != ind.PeriodType {
		return Errorf(EINVALID, "%s 按 %s 报送，不是 %s / %s is reported per %s, %s is not", ind.Key, ind.PeriodType, period, ind.Key, ind.PeriodType, period)
	}
	return nil
}

func (c Conflict) String() string {
	if c.Row == 0 {
		return fmt.Sprintf("#%d %s: %s", c.Index, c.Code, c.Message)
	}
	col := c.Column
	if col == "" {
		col = "-"
	}
	return fmt.Sprintf("第 %d 行 / row %d, 列 / column %s: %s %s", c.Row, c.Row, col, c.Code, c.Message)
}
