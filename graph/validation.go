package graph

import (
	"strconv"

	"github.com/sixprot/hub/graph/model"
	"github.com/sixprot/hub/internal/hub"
)

func ruleInput(in model.ValidationRuleInput) hub.RuleInput {
	out := hub.RuleInput{Name: &in.Name, Left: &in.Left, Operator: &in.Operator, Right: &in.Right,
		Tolerance: in.Tolerance, Severity: &in.Severity, MissingValues: in.MissingValues, TextZh: &in.TextZh, TextEn: &in.TextEn,
		Region: in.Region}
	return out
}

func rulePatch(in model.ValidationRulePatch) hub.RuleInput {
	return hub.RuleInput{Name: in.Name, Left: in.Left, Operator: in.Operator, Right: in.Right, Tolerance: in.Tolerance,
		Severity: in.Severity, MissingValues: in.MissingValues, TextZh: in.TextZh, TextEn: in.TextEn, Active: in.Active,
		Region: in.Region}
}

func parseRuleID(id string) (int, error) {
	n, err := strconv.Atoi(id)
	if err != nil {
		return 0, hub.Errorf(hub.EINVALID, "无效的规则编号 %q / invalid rule id %q", id, id)
	}
	return n, nil
}
