package validation

import "github.com/sixprot/hub/internal/hub"

// ReportScope checks the period of a report and returns the code of the
// region it is about: region, or the caller's own (scope) when nil.
func ReportScope(period string, region *string, scope string) (string, error) {
	if _, err := hub.ParsePeriod(period); err != nil {
		return "", hub.Errorf(hub.EINVALID, "无效的期间 %q / invalid period %q", period, period)
	}
	if region != nil {
		return *region, nil
	}
	return scope, nil
}

// ReportInput is what a validation report of a period in a subtree reads,
// from what the caller can read.
type ReportInput struct {
	OutlierInput
	// Rules are all active rules.
	Rules []Scoped
	// Values are those of Keys(Rules) for Period in the subtree of Path.
	Values Values
	// Paths are the paths of Values.Regions(), by code.
	Paths map[string]string
}

// Report lists the rule violations and then the outliers (Outliers) of
// in.Period in the subtree of in.Path; never nil. A rule's violations are
// findings whatever its severity (values loaded past the API, or stored
// before a rule existed, can violate BLOCK rules too), by region code and
// then in the order of the rules; a rule that cannot be evaluated is a WARN
// finding wherever it applies.
func Report(in ReportInput) []*hub.ValidationFinding {
	out := append(ruleFindings(in.Rules, in.Values, in.Paths, in.Period), Outliers(in.OutlierInput)...)
	if out == nil {
		out = []*hub.ValidationFinding{}
	}
	return out
}
