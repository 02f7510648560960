// Package access explains the hub's access rules in words.
//
// The rules are enforced by PostgreSQL row-level security
// (migrations/00002_access.sql), on every path. This package is the one Go
// place that states the same rules for people: explainAccess answers
// "why can I not see this?", and writes get a FORBIDDEN error that names
// the rule before the database refuses them. A test checks that both
// agree on every value of the demo data set for every role.
package access

import (
	"fmt"

	"github.com/sixprot/hub/internal/hub"
)

func dept(p *hub.Principal) string {
	if p.Department == nil {
		return ""
	}
	return *p.Department
}

func forbidden(format string, args ...any) *hub.Error {
	return hub.Errorf(hub.EFORBIDDEN, format, args...)
}

// EntryBlockedBy returns a FORBIDDEN error unless p may enter values at
// all (policy data_values_insert: department analysts only). submitValues
// and imports call it before reading their input, so a role that never
// writes values gets one error, not one conflict per row.
func EntryBlockedBy(p *hub.Principal) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case p.Role != hub.Analyst:
		return forbidden("%s 角色不能录入数据（含导入），只有部门分析员可以 / %s users may not enter values (nor import them); only department analysts can", p.Role, p.Role)
	}
	return nil
}

// ScopeBlockedBy returns a FORBIDDEN error unless region lies in p's
// scope, its region's subtree: every read policy (data_values_read) keeps
// p to that subtree, so a dashboard page, table or export of a region
// outside it could only show "—" for every figure, and say falsely that
// nothing was approved.
func ScopeBlockedBy(p *hub.Principal, region *hub.Region) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case !hub.Within(region.Path, p.RegionPath):
		return forbidden("该地区不在您的查看范围内 / this region is outside your scope")
	}
	return nil
}

// WriteBlockedBy returns a FORBIDDEN error naming the rule that keeps p
// from entering values of ind for region, or nil when the rules allow it.
func WriteBlockedBy(p *hub.Principal, ind *hub.Indicator, region *hub.Region) error {
	_, err := WriteRefusal(p, ind, region)
	return err
}

// WriteRefusal is WriteBlockedBy with the part of an input the refusal is
// about: the indicator (another department's, or derived: BAD_USER_INPUT,
// whoever asks) or the region (outside p's).
func WriteRefusal(p *hub.Principal, ind *hub.Indicator, region *hub.Region) (hub.ValueField, error) {
	if err := EntryBlockedBy(p); err != nil {
		return hub.FieldIndicator, err
	}
	switch {
	case ind.DepartmentCode != dept(p):
		return hub.FieldIndicator, forbidden("%s 部门的分析员不能录入 %s 部门的指标 %s / %s analysts may not write indicators of %s (%s)",
			dept(p), ind.DepartmentCode, ind.Key, dept(p), ind.DepartmentCode, ind.Key)
	case !hub.Within(region.Path, p.RegionPath):
		return hub.FieldRegion, forbidden("%s（%s）不在您的地区 %s 范围内 / %s is outside your region %s", region.Name, region.Code, p.Region, region.Code, p.Region)
	case ind.Formula != nil:
		return hub.FieldIndicator, hub.Errorf(hub.EINVALID, "%s 是计算指标（%s），不能录入 / %s is derived (%s) and cannot be entered", ind.Key, *ind.Formula, ind.Key, *ind.Formula)
	}
	return "", nil
}

// readBlockedBy returns the rule that keeps f.Principal from reading the
// value described by f, or "" when the rules allow it.
func readBlockedBy(f *hub.ValueFacts) string {
	p := f.Principal
	if !hub.Within(f.Region.Path, p.RegionPath) {
		return fmt.Sprintf("不在您的地区 %s 范围内 / outside your region %s", p.Region, p.Region)
	}
	if p.Role == hub.Media {
		return mediaReadBlockedBy(f)
	}
	if !f.Exists {
		return noReadableValue(f)
	}
	switch p.Role {
	case hub.Admin:
		return ""
	case hub.Coordinator:
		if f.Released || f.HeadStatus == hub.Submitted || f.HeadStatus == hub.Returned {
			return ""
		}
		return "尚未报送：协调员可见已报送及之后的数据 / not yet submitted: coordinators see values from SUBMITTED on"
	case hub.Leader:
		if f.Released {
			return ""
		}
		return "尚未审核通过：领导可见已审核和已发布的数据 / not yet approved: leaders see APPROVED and PUBLISHED values"
	case hub.Analyst:
		switch {
		case f.Indicator.DepartmentCode == dept(p):
			return ""
		case !f.Shared:
			return fmt.Sprintf("%s 部门未在地区 %s 与您的部门 %s 共享指标 %s / not shared with your department: %s has not shared %s for region %s with %s",
				f.Indicator.DepartmentCode, f.Region.Code, dept(p), f.Indicator.Key, f.Indicator.DepartmentCode, f.Indicator.Key, f.Region.Code, dept(p))
		case !f.Released:
			return "尚未审核通过：共享数据在审核通过后可见 / not yet approved: shared values are visible once APPROVED"
		}
		return ""
	}
	return "未知角色 / unknown role"
}

// noReadableValue is the answer when f holds no value f.Principal may read:
// the facts are read under the row policies, so a value the principal may
// not read and a cell nobody entered are the same to it, and the answer
// names the rule of the role, never whether something hides behind it.
func noReadableValue(f *hub.ValueFacts) string {
	p := f.Principal
	switch {
	case p.Role == hub.Admin, p.Role == hub.Analyst && f.Indicator.DepartmentCode == dept(p):
		return "尚无数据 / no value has been entered yet"
	case p.Role == hub.Coordinator:
		return "没有您可读的数据：协调员可见已报送及之后的数据 / no value you may read: coordinators see values from SUBMITTED on"
	case p.Role == hub.Leader:
		return "没有您可读的数据：领导可见已审核和已发布的数据 / no value you may read: leaders see APPROVED and PUBLISHED values"
	case p.Role == hub.Analyst && !f.Shared:
		return fmt.Sprintf("%s 部门未在地区 %s 与您的部门 %s 共享指标 %s / not shared with your department: %s has not shared %s for region %s with %s",
			f.Indicator.DepartmentCode, f.Region.Code, dept(p), f.Indicator.Key, f.Indicator.DepartmentCode, f.Indicator.Key, f.Region.Code, dept(p))
	case p.Role == hub.Analyst:
		return "没有您可读的数据：共享数据在审核通过后可见 / no value you may read: shared values are visible once APPROVED"
	}
	return "未知角色 / unknown role"
}

// mediaReadBlockedBy is readBlockedBy for the media office, which may
// learn nothing about a value it may not read: an embargoed, unpublished
// or unreleased value gets the very answer of a value nobody entered. The
// answer depends on the catalogue (publicity, sensitivity) and on what the
// office may read, nothing else (policies data_values_read and
// data_values_media_not_sensitive).
func mediaReadBlockedBy(f *hub.ValueFacts) string {
	readable := f.Released && f.ReleasedStatus == hub.Published && f.PublishAt != nil && !f.PublishAt.After(f.Now) &&
		(f.Indicator.Publicity || f.Releasable)
	switch {
	case f.Indicator.Sensitive:
		return "小数值保护指标：媒体只能通过宣传统计（publicityStats）获取，小数值已抑制 / small-cell protected: the media office receives it only through publicityStats, small cells suppressed"
	case readable:
		return ""
	case !f.Indicator.Publicity:
		return "不是宣传统计指标，且没有已发布的重点数据：媒体只能看到已发布的宣传统计 / not a publicity statistic, and no published headline figure: the media office sees published publicity figures only"
	}
	return "没有已发布的数据：媒体只能看到已发布的宣传统计 / no published value: the media office sees published publicity figures only"
}

// Explain states what f.Principal may do with the value of f, and why.
func Explain(f *hub.ValueFacts) *hub.AccessExplanation {
	p := f.Principal
	e := &hub.AccessExplanation{Rules: rules(p)}
	if r := readBlockedBy(f); r != "" {
		e.ReadBlockedBy = &r
	} else {
		e.CanRead = true
	}
	if err := WriteBlockedBy(p, f.Indicator, f.Region); err != nil {
		msg := hub.ErrorMessage(err)
		e.WriteBlockedBy = &msg
	} else {
		e.CanWrite = true
	}
	return e
}

// rules lists the rules of p's role in words, as DESIGN.md states them.
func rules(p *hub.Principal) []string {
	scope := fmt.Sprintf("范围：地区 %s 及其下级 / scope: region %s and below", p.Region, p.Region)
	switch p.Role {
	case hub.Analyst:
		return []string{scope,
			fmt.Sprintf("读取：本部门（%s）任何状态的数据；其他部门在协议地区范围内共享给本部门且已审核/已发布的数据 / read: your department's (%s) values in any status; other departments' APPROVED and PUBLISHED values shared with it, within each agreement's region", dept(p), dept(p)),
			"写入：本部门指标的草稿和报送 / write: your department's indicators, as DRAFT or SUBMITTED"}
	case hub.Coordinator:
		return []string{scope,
			"读取：所有部门已报送及之后的数据 / read: every department's values from SUBMITTED on",
			"操作：审核、退回、发布；本地区范围内的共享协议和校验规则 / act: approve, return, publish; sharing agreements and validation rules of regions in your scope"}
	case hub.Leader:
		return []string{scope, "读取：已审核和已发布的数据 / read: APPROVED and PUBLISHED values", "写入：无 / write: nothing"}
	case hub.Media:
		return []string{scope, "读取：已发布的宣传统计和重点数据；小数值保护指标只经宣传统计（publicityStats），小数值已抑制 / read: PUBLISHED publicity statistics and headline figures; small-cell protected indicators only through publicityStats, small cells suppressed", "写入：无 / write: nothing"}
	case hub.Admin:
		return []string{scope, "读取：全部 / read: everything", "写入：元数据、用户、令牌 / write: metadata, users, tokens"}
	}
	return []string{scope}
}

// ChangeBlockedBy returns a FORBIDDEN error naming the rule that keeps p
// from changing a value of department in the region with path (policy
// data_values_update: analysts their department's values in their
// subtree, coordinators any value in theirs), or nil. Which step the
// change may be is the workflow's business (workflow_transitions).
func ChangeBlockedBy(p *hub.Principal, department, path string) error {
	if err := StatusChangeBlockedBy(p); err != nil {
		return err
	}
	switch {
	case !hub.Within(path, p.RegionPath):
		return forbidden("该数据不在您的地区 %s 范围内 / the value is outside your region %s", p.Region, p.Region)
	case p.Role == hub.Analyst && department != dept(p):
		return forbidden("%s 部门的分析员不能变更 %s 部门的数据 / %s analysts may not change values of %s", dept(p), department, dept(p), department)
	}
	return nil
}

// StatusChangeBlockedBy returns a FORBIDDEN error unless p's role changes
// values at all (analysts and coordinators; leaders, the media office and
// admins never do), so that transition refuses them before any lookup.
func StatusChangeBlockedBy(p *hub.Principal) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case p.Role != hub.Analyst && p.Role != hub.Coordinator:
		return forbidden("%s 角色不能变更数据的状态 / %s users may not change the status of values", p.Role, p.Role)
	}
	return nil
}

// ShareBlockedBy returns a FORBIDDEN error naming the rule that keeps p
// from making or ending a sharing agreement of region (policies
// shares_insert, shares_delete), or nil: coordinators and admins manage
// the agreements of regions in their scope (DESIGN.md: coordinators manage
// sharing rules); an agreement opens only its region's subtree.
func ShareBlockedBy(p *hub.Principal, region *hub.Region) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case p.Role != hub.Coordinator && p.Role != hub.Admin:
		return forbidden("只有协调员和管理员可以管理共享协议，%s 角色不能 / only coordinators and admins manage sharing agreements; %s users may not", p.Role, p.Role)
	case !hub.Within(region.Path, p.RegionPath):
		return forbidden("共享协议的地区 %s（%s）不在您的地区 %s 范围内 / the agreement's region %s is outside your region %s",
			region.Name, region.Code, p.Region, region.Code, p.Region)
	}
	return nil
}

// PublicityBlockedBy returns a FORBIDDEN error when p may not pull
// publicity statistics: the media office, coordinators, leaders and
// admins may; department analysts work with the values themselves.
func PublicityBlockedBy(p *hub.Principal) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case p.Role == hub.Analyst:
		return forbidden("宣传统计供媒体、协调员、领导和管理员使用 / publicity statistics are for the media office, coordinators, leaders and admins")
	}
	return nil
}

// PublishBlockedBy returns a FORBIDDEN error unless p is a coordinator:
// only the committee office publishes values or releases headline figures.
func PublishBlockedBy(p *hub.Principal) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case p.Role != hub.Coordinator:
		return forbidden("只有协调员（未保办）可以发布数据 / only coordinators publish values; %s users may not", p.Role)
	}
	return nil
}

// RuleManageBlockedBy returns the rule that keeps p from listing, defining
// or changing validation rules (policies validation_rules_read, _insert,
// _update), or nil for admins and coordinators. Everybody's submissions
// are still checked against the active rules.
func RuleManageBlockedBy(p *hub.Principal) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case p.Role != hub.Admin && p.Role != hub.Coordinator:
		return forbidden("只有管理员和协调员可以管理校验规则 / only admins and coordinators manage validation rules; %s users may not", p.Role)
	}
	return nil
}

// ValidationReportBlockedBy returns a FORBIDDEN error when p may not read
// the validation report: the report quotes values and rates per 10,000
// minors, which would hand the media office figures that reach it only
// through publicityStats, small cells suppressed. Everybody else reads the
// report of what they may read.
func ValidationReportBlockedBy(p *hub.Principal) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case p.Role == hub.Media:
		return forbidden("媒体不能查看校验报告：媒体只能获取已发布的宣传统计 / the media office may not read the validation report; it receives published publicity statistics only")
	}
	return nil
}

// TemplateBlockedBy returns a FORBIDDEN error when p may not download an
// import template: the template is for entering values, and the media
// office enters none.
func TemplateBlockedBy(p *hub.Principal) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case p.Role == hub.Media:
		return forbidden("媒体不录入数据，没有导入模板 / the media office enters no values, so it gets no import template")
	}
	return nil
}

// UserAdminBlockedBy returns FORBIDDEN unless p may administer the users
// of the region at path (path "" asks whether p administers users at
// all): admins whose scope holds that region. The row policies
// users_insert and users_update (migration 00057) are the rule.
func UserAdminBlockedBy(p *hub.Principal, region, path string) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case p.Role != hub.Admin:
		return forbidden("只有管理员可以管理用户 / only admins administer users (you are %s)", p.Role)
	case path != "" && !hub.Within(path, p.RegionPath):
		return forbidden("%s 不在您的管辖范围（%s）内 / %s is outside your scope (%s)", region, p.Region, region, p.Region)
	}
	return nil
}
