package postgres_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

func str(s string) *string { return &s }

func newRule(name, left, op, right string, sev hub.Severity) hub.RuleInput {
	return hub.RuleInput{Name: &name, Left: &left, Operator: &op, Right: &right, Severity: &sev,
		TextZh: str("测试规则"), TextEn: str("test rule")}
}

func TestValidationRules_OnlyAdminsAndCoordinatorsManageThem(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	svc := postgres.NewValidationService(db.App)
	in := newRule("hope_rooms_cap", "hope_rooms", "<=", "minors_total / 100", hub.Warn)

	for _, who := range []context.Context{as(hub.Analyst, "civil_affairs"), as(hub.Leader, ""), as(hub.Media, "")} {
		if _, err := svc.CreateRule(who, in); hub.ErrorCode(err) != hub.EFORBIDDEN {
			t.Errorf("%s creates a rule: %v, want FORBIDDEN", hub.PrincipalFrom(who).Role, err)
		}
	}
	r, err := svc.CreateRule(as(hub.Coordinator, ""), in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Indicators, ",") != "hope_rooms,minors_total" || !r.Active || r.MissingValues != hub.SkipIfAnyMissing {
		t.Errorf("created rule %+v", r)
	}
	if _, err := svc.UpdateRule(as(hub.Analyst, "civil_affairs"), r.ID, hub.RuleInput{Right: str("0")}); hub.ErrorCode(err) != hub.EFORBIDDEN {
		t.Errorf("analyst updates a rule: %v, want FORBIDDEN", err)
	}
	tol := 5.0
	r, err = svc.UpdateRule(as(hub.Admin, ""), r.ID, hub.RuleInput{Tolerance: &tol})
	if err != nil || r.Tolerance != 5 || r.Right != "minors_total / 100" {
		t.Fatalf("admin sets the tolerance: %v %+v", err, r)
	}
	off := false
	if r, err = svc.UpdateRule(as(hub.Coordinator, ""), r.ID, hub.RuleInput{Active: &off}); err != nil || r.Active {
		t.Fatalf("deactivate: %v %+v", err, r)
	}
	for _, who := range []context.Context{as(hub.Analyst, "education"), as(hub.Leader, ""), as(hub.Media, "")} {
		if _, err := svc.Rules(who, false); hub.ErrorCode(err) != hub.EFORBIDDEN {
			t.Errorf("%s lists the rules: %v, want FORBIDDEN", hub.PrincipalFrom(who).Role, err)
		}
	}
	active, _ := svc.Rules(as(hub.Coordinator, ""), false)
	all, _ := svc.Rules(as(hub.Admin, ""), true)
	if len(all) != len(active)+1 {
		t.Errorf("rules: %d active, %d in all; the deactivated one must be listed only in all", len(active), len(all))
	}
	if _, err := svc.UpdateRule(as(hub.Coordinator, ""), 99999, hub.RuleInput{Active: &off}); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown rule: %v", err)
	}
	if _, err := svc.CreateRule(as(hub.Coordinator, ""), in); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("duplicate name: %v, want BAD_USER_INPUT", err)
	}
}

func TestValidationRules_BadDefinitionsAreBadUserInput(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	svc := postgres.NewValidationService(db.App)
	coordinator := as(hub.Coordinator, "")
	cases := map[string]hub.RuleInput{
		"unknown key":      newRule("r1", "minors_totl", "<=", "population_total", hub.Block),
		"derived key":      newRule("r2", "child_directors_per_10k", "<=", "100", hub.Block),
		"syntax error":     newRule("r3", "minors_total *", "<=", "population_total", hub.Block),
		"unknown operator": newRule("r4", "minors_total", "=>", "population_total", hub.Block),
		"bad name":         newRule("Bad Name", "minors_total", "<=", "population_total", hub.Block),
	}
	for name, in := range cases {
		if _, err := svc.CreateRule(coordinator, in); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("%s: %v, want BAD_USER_INPUT", name, err)
		}
	}
	r, err := svc.CreateRule(coordinator, newRule("r5", "minors_total", "<=", "population_total", hub.Block))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateRule(coordinator, r.ID, hub.RuleInput{Left: str("nonsense_key")}); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("update to an unknown key: %v, want BAD_USER_INPUT", err)
	}
}

// TestValidationRules_RLSHidesAndRefusesThemToAnalystsInSQL proves the
// policies, not only the service, keep analysts from reading and writing rules.
func TestValidationRules_RLSHidesAndRefusesThemToAnalystsInSQL(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	app := db.AppConn(t)
	asApp(t, ctx, app, principal{"analyst", "civil_affairs", "370700"}, func(tx pgx.Tx) {
		_, err := tx.Exec(ctx, `INSERT INTO validation_rules (name, left_expr, operator, right_expr, severity, text_zh, text_en,
  indicator_keys, created_by, updated_by) VALUES ('x', 'minors_total', '<', '0', 'BLOCK', 'x', 'x', '{minors_total}', 'test', 'test')`)
		if err == nil {
			t.Fatal("analyst inserted a rule")
		}
	})
	asApp(t, ctx, app, principal{"analyst", "civil_affairs", "370700"}, func(tx pgx.Tx) {
		tag, err := tx.Exec(ctx, `UPDATE validation_rules SET active = false, updated_by = 'test'`)
		if err == nil && tag.RowsAffected() > 0 {
			t.Fatalf("analyst deactivated %d rules", tag.RowsAffected())
		}
	})
	// Analysts do not see the table; their submissions get the active rules
	// through active_validation_rules.
	asApp(t, ctx, app, principal{"analyst", "civil_affairs", "370700"}, func(tx pgx.Tx) {
		var direct, applied int
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM validation_rules), (SELECT count(*) FROM active_validation_rules(NULL))`).
			Scan(&direct, &applied); err != nil || direct != 0 || applied != 5 {
			t.Errorf("analyst: %d rules in the table, %d applied (%v); want 0 and the 5 demo rules", direct, applied, err)
		}
	})
	asApp(t, ctx, app, principal{"", "", ""}, func(tx pgx.Tx) {
		var applied int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM active_validation_rules(NULL)`).Scan(&applied); err != nil || applied != 0 {
			t.Errorf("nobody gets %d rules (%v)", applied, err)
		}
	})
	asApp(t, ctx, app, principal{"admin", "", "370700"}, func(tx pgx.Tx) {
		if _, err := tx.Exec(ctx, `DELETE FROM validation_rules`); err == nil {
			t.Fatal("rules are deactivated, never deleted")
		}
	})
}

func TestSubmitValues_BlockRuleRejectsTheWholeSubmission(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	analyst := as(hub.Analyst, "civil_affairs")
	in := []hub.ValueInput{
		{Indicator: "joint_meeting_units", Region: "370702", Period: "2030", Value: f(12)},
		{Indicator: "minors_total", Region: "370702", Period: "2030", Value: f(200)},
		{Indicator: "population_total", Region: "370702", Period: "2030", Value: f(100)},
	}
	res, err := sub.SubmitValues(analyst, in, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) != 1 || res.Conflicts[0].Code != hub.EVALIDATION || res.Conflicts[0].Index != 1 ||
		!strings.Contains(res.Conflicts[0].Message, "未成年人数不能超过总人口") ||
		!strings.Contains(res.Conflicts[0].Message, "minors cannot outnumber the population") || res.Created != 0 {
		t.Fatalf("block rule: %+v", res)
	}
	// Nothing was written: the same batch with a sane population is all new.
	in[2].Value = f(1000)
	if res, err = sub.SubmitValues(analyst, in, false); err != nil || res.Created != 3 || len(res.Conflicts) != 0 {
		t.Fatalf("after the refusal: %v %+v", err, res)
	}
	// A submission is checked against the stored values too.
	res, err = sub.SubmitValues(analyst, []hub.ValueInput{{Indicator: "population_total", Region: "370702", Period: "2030", Value: f(150)}}, false)
	if err != nil || len(res.Conflicts) != 1 || res.Conflicts[0].Code != hub.EVALIDATION || res.Updated != 0 {
		t.Fatalf("against the stored minors: %v %+v", err, res)
	}
}

func TestSubmitValues_WarnRulesComeBackAsWarnings(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	analyst := as(hub.Analyst, "civil_affairs")
	in := []hub.ValueInput{
		{Indicator: "minors_total", Region: "370702", Period: "2030", Value: f(100)},
		{Indicator: "population_total", Region: "370702", Period: "2030", Value: f(1000)},
		{Indicator: "minors_share", Region: "370702", Period: "2030", Value: f(30)},
	}
	for _, dry := range []bool{true, false} {
		res, err := sub.SubmitValues(analyst, in, dry)
		if err != nil || len(res.Conflicts) != 0 || res.Created != 3 {
			t.Fatalf("dry %v: %v %+v", dry, err, res)
		}
		if len(res.Warnings) != 1 || *res.Warnings[0].Rule != "minors_share_consistent" || res.Warnings[0].Severity != hub.Warn ||
			*res.Warnings[0].Left != 10 || *res.Warnings[0].Right != 30 || res.Warnings[0].RegionCode != "370702" {
			t.Fatalf("dry %v: warnings %+v", dry, res.Warnings)
		}
	}
	// The dry run wrote nothing, the real run did: resending is unchanged, still warned.
	res, _ := sub.SubmitValues(analyst, in, false)
	if res.Unchanged != 3 || len(res.Warnings) != 1 {
		t.Fatalf("resend: %+v", res)
	}
}

// TestSubmitValues_RulesUseOnlyValuesTheSubmitterCanRead: education may not
// see civil affairs' draft of minors_total, so its submission is not
// judged by it (and cannot learn it from a refusal).
func TestSubmitValues_RulesUseOnlyValuesTheSubmitterCanRead(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	minors := []hub.ValueInput{{Indicator: "minors_total", Region: "370702", Period: "2030", Value: f(10)}}
	if res, err := sub.SubmitValues(as(hub.Analyst, "civil_affairs"), minors, false); err != nil || res.Created != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	aided := []hub.ValueInput{{Indicator: "aided_students", Region: "370702", Period: "2030", Value: f(50)}}
	res, err := sub.SubmitValues(as(hub.Analyst, "education"), aided, false)
	if err != nil || len(res.Conflicts) != 0 || res.Created != 1 {
		t.Fatalf("education judged by a draft it cannot see: %v %+v", err, res)
	}
	// In the 2022 data minors_total is released and shared with education: the rule applies.
	aided = []hub.ValueInput{{Indicator: "aided_students", Region: "370705", Period: "2022", Value: f(500000)}}
	res, err = sub.SubmitValues(as(hub.Analyst, "education"), aided, false)
	if err != nil || len(res.Conflicts) != 1 || res.Conflicts[0].Code != hub.EVALIDATION {
		t.Fatalf("aided students above the shared minors: %v %+v", err, res)
	}
}

func findings(fs []*hub.ValidationFinding, kind, region string) []*hub.ValidationFinding {
	var out []*hub.ValidationFinding
	for _, f := range fs {
		if f.Kind == kind && f.RegionCode == region {
			out = append(out, f)
		}
	}
	return out
}

// TestValidationReport_FlagsFangziPopulation2022: the real 2022 report of
// 坊子区 gives 3,620,000 people, 83,094 minors and a share of 23 %.
func TestValidationReport_FlagsFangziPopulation2022(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	svc := postgres.NewValidationService(db.App)
	fs, err := svc.Report(as(hub.Coordinator, ""), "2022", nil)
	if err != nil {
		t.Fatal(err)
	}
	fz := findings(fs, hub.FindingRule, "370704")
	if len(fz) != 1 || *fz[0].Rule != "minors_share_consistent" || fz[0].Severity != hub.Warn ||
		math.Abs(*fz[0].Left-83094.0/3620000*100) > 1e-9 || *fz[0].Right != 23 {
		t.Fatalf("坊子区 2022: %+v", fz)
	}
	for _, f := range fs {
		if f.Kind == hub.FindingRule && f.Severity == hub.Block {
			t.Errorf("the demo data violate a BLOCK rule: %s %s", f.RegionCode, f.Message)
		}
		if f.Kind == hub.FindingRule && f.RegionCode != "370704" {
			t.Logf("also: %s %s", f.RegionCode, f.Message)
		}
	}
	// Asked for one county, the report keeps to it.
	other, err := svc.Report(as(hub.Coordinator, ""), "2022", str("370705"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range other {
		if f.RegionCode != "370705" {
			t.Errorf("report for 370705 lists %s", f.RegionCode)
		}
	}
}

// TestValidationReport_AnalystSeesNoFindingsAboutHiddenValues: a draft
// that violates a rule is reported to its department only.
func TestValidationReport_AnalystSeesNoFindingsAboutHiddenValues(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	svc := postgres.NewValidationService(db.App)
	conn := db.OwnerConn(t)
	_, err := conn.Exec(context.Background(), `INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value, status)
SELECT i.key, i.department_code, r.code, r.path, '2030', v, 'DRAFT'
FROM regions r, indicators i, (VALUES ('minors_total', 200.0), ('population_total', 100.0)) x(k, v)
WHERE r.code = '370702' AND i.key = x.k`)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ctx  context.Context
		want int
	}{
		{as(hub.Analyst, "civil_affairs"), 1},
		{as(hub.Admin, ""), 1},
		{as(hub.Analyst, "education"), 0},
		{as(hub.Coordinator, ""), 0},
		{as(hub.Leader, ""), 0},
	} {
		fs, err := svc.Report(c.ctx, "2030", str("370702"))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(findings(fs, hub.FindingRule, "370702")); got != c.want {
			t.Errorf("%s/%v sees %d findings, want %d: %+v", hub.PrincipalFrom(c.ctx).Role, hub.PrincipalFrom(c.ctx).Department, got, c.want, fs)
		}
	}
	// The media office reads no report at all (issue 13).
	if _, err := svc.Report(as(hub.Media, ""), "2030", str("370702")); hub.ErrorCode(err) != hub.EFORBIDDEN {
		t.Errorf("media reads the validation report: %v", err)
	}
	// The 坊子 share finding needs minors_share, which civil affairs does not share with education.
	fs, _ := svc.Report(as(hub.Analyst, "education"), "2022", nil)
	if got := findings(fs, hub.FindingRule, "370704"); len(got) != 0 {
		t.Errorf("education sees a finding about minors_share it cannot read: %+v", got)
	}
}

func TestValidationReport_ListsOutliersWithTheirNumbers(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	svc := postgres.NewValidationService(db.App)
	conn := db.OwnerConn(t)
	ctx := context.Background()
	// 370702 suddenly reports fifty times its usual number of hope rooms.
	var value, minors float64
	err := conn.QueryRow(ctx, `UPDATE data_values SET value = value * 50
WHERE indicator_key = 'hope_rooms' AND region_code = '370702' AND period = '2023' AND is_head RETURNING value`).Scan(&value)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT value FROM data_values WHERE indicator_key = 'minors_total' AND region_code = '370702'
  AND period = '2023' AND is_head`).Scan(&minors); err != nil {
		t.Fatal(err)
	}
	fs, err := svc.Report(as(hub.Admin, ""), "2023", str("370702"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[hub.OutlierKind]*hub.Outlier{}
	for _, f := range fs {
		if f.Outlier != nil && *f.IndicatorKey == "hope_rooms" && f.RegionCode == "370702" {
			kinds[f.Outlier.Kind] = f.Outlier
			if f.Severity != hub.Warn || !strings.Contains(f.Message, "MAD") {
				t.Errorf("outlier finding %+v", f)
			}
		}
	}
	for _, k := range []hub.OutlierKind{hub.OutlierTime, hub.OutlierPeer} {
		o := kinds[k]
		if o == nil {
			t.Fatalf("no %s outlier for hope_rooms in %+v", k, fs)
		}
		want := value / minors * 10000
		if math.Abs(o.Value-want) > 1e-9 || o.Score <= 3.5 || o.Threshold != 3.5 || o.MAD <= 0 ||
			math.Abs(o.Score-0.6745*(o.Value-o.Median)/o.MAD) > 1e-9 {
			t.Errorf("%s outlier %+v; want value %v and score 0.6745·(value−median)/MAD > 3.5", k, o, want)
		}
	}
	if kinds[hub.OutlierTime].SampleSize != 4 {
		t.Errorf("time outlier compared with %d periods, want 2019–2022", kinds[hub.OutlierTime].SampleSize)
	}
	// At the median of its earlier periods the value is no time outlier.
	atMedian := kinds[hub.OutlierTime].Median * minors / 10000
	if _, err := conn.Exec(ctx, `UPDATE data_values SET value = $1
WHERE indicator_key = 'hope_rooms' AND region_code = '370702' AND period = '2023' AND is_head`, atMedian); err != nil {
		t.Fatal(err)
	}
	fs, _ = svc.Report(as(hub.Admin, ""), "2023", str("370702"))
	for _, f := range fs {
		if f.Outlier != nil && f.Outlier.Kind == hub.OutlierTime && *f.IndicatorKey == "hope_rooms" {
			t.Errorf("time outlier at the median: %s", f.Message)
		}
	}
}

func TestAudit_RecordsChannelAndFileName(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	conn := db.OwnerConn(t)
	ctx := context.Background()
	cases := []struct {
		ctx           context.Context
		period        string
		channel, file string
		source        string
	}{
		{as(hub.Analyst, "civil_affairs"), "2030", "API", "", "api"},
		{hub.NewChannelContext(as(hub.Analyst, "civil_affairs"), hub.ImportChannel("潍坊2030.xlsx")), "2031", "IMPORT", "潍坊2030.xlsx", "import"},
		{hub.NewChannelContext(as(hub.Analyst, "civil_affairs"), "cli"), "2032", "CLI", "", "api"},
	}
	for _, c := range cases {
		in := []hub.ValueInput{{Indicator: "joint_meeting_units", Region: "370702", Period: c.period, Value: f(3)}}
		if res, err := sub.SubmitValues(c.ctx, in, false); err != nil || res.Created != 1 {
			t.Fatalf("%s: %v %+v", c.channel, err, res)
		}
		var channel, source string
		var file *string
		err := conn.QueryRow(ctx, `SELECT a.channel, a.file_name, v.source FROM audit_log a JOIN data_values v ON v.id = a.value_id
WHERE a.indicator_key = 'joint_meeting_units' AND a.period = $1 AND a.action = 'create'`, c.period).Scan(&channel, &file, &source)
		if err != nil {
			t.Fatal(err)
		}
		if channel != c.channel || (file == nil) != (c.file == "") || file != nil && *file != c.file || source != c.source {
			t.Errorf("audit row: channel %s, file %v, source %s; want %s, %q, %s", channel, file, source, c.channel, c.file, c.source)
		}
	}
	// Transitions carry the channel too.
	var id int
	if err := conn.QueryRow(ctx, `SELECT id FROM data_values WHERE indicator_key = 'joint_meeting_units' AND period = '2032' AND is_head`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.NewWorkflowService(db.App).Transition(hub.NewChannelContext(as(hub.Analyst, "civil_affairs"), hub.ChannelCLI),
		[]int{id}, hub.Submitted, nil); err != nil {
		t.Fatal(err)
	}
	var trChannel string
	if err := conn.QueryRow(ctx, `SELECT channel FROM audit_log WHERE value_id = $1 AND action = 'transition'`, id).Scan(&trChannel); err != nil || trChannel != "CLI" {
		t.Errorf("transition audited via %q (%v), want CLI", trChannel, err)
	}
	// Rule changes are audited with the channel too.
	if _, err := postgres.NewValidationService(db.App).CreateRule(as(hub.Coordinator, ""),
		newRule("audited_rule", "hope_rooms", ">=", "0", hub.Warn)); err != nil {
		t.Fatal(err)
	}
	var channel, detail string
	if err := conn.QueryRow(ctx, `SELECT channel, detail FROM audit_log WHERE action = 'rule' ORDER BY id DESC LIMIT 1`).Scan(&channel, &detail); err != nil {
		t.Fatal(err)
	}
	if channel != "API" || !strings.Contains(detail, "audited_rule") {
		t.Errorf("rule audit: %s %s", channel, detail)
	}
	// And they are readable through the audit service with the file name.
	page, err := postgres.NewAuditService(db.App).FindAudit(as(hub.Admin, ""), hub.AuditFilter{Indicators: []string{"joint_meeting_units"}}, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sawFile bool
	for _, e := range page.Entries {
		sawFile = sawFile || e.Channel == "IMPORT" && e.FileName != nil && *e.FileName == "潍坊2030.xlsx"
	}
	if !sawFile {
		t.Errorf("auditLog lacks the import's file name: %+v", page.Entries)
	}
}

func TestAudit_AppendOnlyForHubApp(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	app := db.AppConn(t)
	for _, sql := range []string{`UPDATE audit_log SET actor = 'someone else'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		asApp(t, ctx, app, principal{"admin", "", "370700"}, func(tx pgx.Tx) {
			_, err := tx.Exec(ctx, sql)
			if err == nil || !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("%s as hub_app: %v, want permission denied", sql, err)
			}
		})
	}
	var can bool
	if err := db.OwnerConn(t).QueryRow(ctx, `SELECT has_table_privilege('hub_app', 'audit_log', 'UPDATE')
  OR has_table_privilege('hub_app', 'audit_log', 'DELETE')`).Scan(&can); err != nil || can {
		t.Errorf("hub_app holds UPDATE or DELETE on audit_log: %v %v", can, err)
	}
}

// BenchmarkValidationReport_City2022 times the city-wide report of the demo
// (rules and outliers) as a coordinator:
// CI=true go test ./internal/postgres/ -run '^$' -bench ValidationReport -benchtime 20x
func BenchmarkValidationReport_City2022(b *testing.B) {
	db := pgtest.New(b, pgtest.Options{Demo: true})
	svc := postgres.NewValidationService(db.App)
	ctx := as(hub.Coordinator, "")
	for b.Loop() {
		if _, err := svc.Report(ctx, "2022", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSubmitValues_Validation times a dry run of 1,008 values (12
// counties × 84 years of minors_total and population_total) with the demo
// rules active and with all rules deactivated:
// CI=true go test ./internal/postgres/ -run '^$' -bench SubmitValues_Validation -benchtime 5x
func BenchmarkSubmitValues_Validation(b *testing.B) {
	db := pgtest.New(b, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	analyst := as(hub.Analyst, "civil_affairs")
	counties := []string{"370702", "370703", "370704", "370705", "370724", "370725", "370781", "370782", "370783", "370784", "370785", "370786"}
	var in []hub.ValueInput
	for y := 2030; y < 2072; y++ {
		for _, c := range counties {
			p := strconv.Itoa(y)
			in = append(in, hub.ValueInput{Indicator: "minors_total", Region: c, Period: p, Value: f(100)},
				hub.ValueInput{Indicator: "population_total", Region: c, Period: p, Value: f(1000)})
		}
	}
	run := func(b *testing.B) {
		for b.Loop() {
			res, err := sub.SubmitValues(analyst, in, true)
			if err != nil || len(res.Conflicts) > 0 || res.Created != len(in) {
				b.Fatalf("%v %+v", err, res.Conflicts)
			}
		}
	}
	b.Run("rules", run)
	if _, err := db.OwnerConn(b).Exec(context.Background(), `UPDATE validation_rules SET active = false`); err != nil {
		b.Fatal(err)
	}
	b.Run("no-rules", run)
}

func scoped(role hub.Role, dept, region, path string) context.Context {
	p := &hub.Principal{Name: "t-" + string(role) + "-" + region, Role: role, Region: region, RegionPath: path}
	if dept != "" {
		p.Department = &dept
	}
	return hub.NewContext(context.Background(), p)
}

// TestValidationRules_ApplyToTheirRegionAndAreManagedWithinScope: a rule
// applies to its region's subtree. A district coordinator's BLOCK rule
// refuses its own district's values and flags them in the report, and
// leaves the other districts alone; it cannot set a rule for another
// district, nor change the city's rules (which still apply to it); a
// sibling district does not even see it.
func TestValidationRules_ApplyToTheirRegionAndAreManagedWithinScope(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	svc := postgres.NewValidationService(db.App)
	sub := postgres.NewSubmitService(db.App)
	cityAnalyst, cityCoord := as(hub.Analyst, "civil_affairs"), as(hub.Coordinator, "")
	qingzhou := scoped(hub.Coordinator, "", "370781", "370700.370781")
	kuiwen := scoped(hub.Coordinator, "", "370705", "370700.370705")
	units := func(region string, v float64) []hub.ValueInput {
		return []hub.ValueInput{{Indicator: "joint_meeting_units", Region: region, Period: "2030", Value: f(v)}}
	}
	for _, region := range []string{"370781", "370705"} {
		if res, err := sub.SubmitValues(cityAnalyst, units(region, 12), false); err != nil || res.Created != 1 {
			t.Fatalf("before the rule, %s: %v %+v", region, err, res)
		}
	}

	rule, err := svc.CreateRule(qingzhou, newRule("qingzhou_units_cap", "joint_meeting_units", "<=", "10", hub.Block))
	if err != nil {
		t.Fatal(err)
	}
	if rule.Region == nil || *rule.Region != "370781" {
		t.Fatalf("a district coordinator's rule belongs to %v, want 370781", rule.Region)
	}
	// (as an admin: coordinators do not see drafts)
	report, err := svc.Report(as(hub.Admin, ""), "2030", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, m := len(findings(report, hub.FindingRule, "370781")), len(findings(report, hub.FindingRule, "370705")); n != 1 || m != 0 {
		t.Errorf("report: %d findings for 370781 and %d for 370705, want 1 and 0", n, m)
	}
	res, err := sub.SubmitValues(cityAnalyst, units("370781", 13), false)
	if err != nil || len(res.Conflicts) != 1 || res.Conflicts[0].Code != hub.EVALIDATION {
		t.Errorf("370781 over the cap: %v %+v, want a VALIDATION conflict", err, res)
	}
	if res, err = sub.SubmitValues(cityAnalyst, units("370705", 13), false); err != nil || res.Updated != 1 || len(res.Conflicts) != 0 {
		t.Errorf("370705 is outside the rule's region: %v %+v", err, res)
	}

	// Managing within scope only.
	other := newRule("kuiwen_cap", "joint_meeting_units", "<=", "10", hub.Block)
	other.Region = str("370705")
	if _, err := svc.CreateRule(qingzhou, other); hub.ErrorCode(err) != hub.EFORBIDDEN {
		t.Errorf("rule for another district: %v, want FORBIDDEN", err)
	}
	if _, err := svc.UpdateRule(qingzhou, rule.ID, hub.RuleInput{Region: str("370700")}); hub.ErrorCode(err) != hub.EFORBIDDEN {
		t.Errorf("moving the rule up to the city: %v, want FORBIDDEN", err)
	}
	cityRule, err := svc.CreateRule(cityCoord, newRule("city_units_floor", "joint_meeting_units", ">=", "1", hub.Warn))
	if err != nil {
		t.Fatal(err)
	}
	visible := func(ctx context.Context) map[string]bool {
		rules, err := svc.Rules(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, r := range rules {
			out[r.Name] = true
		}
		return out
	}
	if v := visible(qingzhou); !v["city_units_floor"] || !v["qingzhou_units_cap"] || !v["minors_within_population"] {
		t.Errorf("the district coordinator sees %v: want its rule, the city's and the system's", v)
	}
	off := false
	if _, err := svc.UpdateRule(qingzhou, cityRule.ID, hub.RuleInput{Active: &off}); hub.ErrorCode(err) != hub.EFORBIDDEN {
		t.Errorf("district switches off the city's rule: %v, want FORBIDDEN", err)
	}
	if v := visible(kuiwen); v["qingzhou_units_cap"] {
		t.Error("a sibling district sees 370781's rule")
	}
	if _, err := svc.UpdateRule(kuiwen, rule.ID, hub.RuleInput{Active: &off}); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("sibling switches off 370781's rule: %v, want NOT_FOUND", err)
	}
	if r, err := svc.UpdateRule(cityCoord, rule.ID, hub.RuleInput{Active: &off}); err != nil || r.Active {
		t.Errorf("the city coordinator manages the district's rule: %v %+v", err, r)
	}
}

// TestValidationRules_CostlyRulesAreRefusedAtCreation: rules are bounded in
// length, size and what they may compute when they are written.
func TestValidationRules_CostlyRulesAreRefusedAtCreation(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	svc := postgres.NewValidationService(db.App)
	coordinator := as(hub.Coordinator, "")
	for name, left := range map[string]string{
		"nested sums":   "minors_total + sum(1..999, sum(1..999, sum(1..999, #)))",
		"repeat":        `len(repeat("x", 100000000)) + minors_total`,
		"long":          "minors_total" + strings.Repeat(" + 0", 300),
		"many nodes":    "minors_total" + strings.Repeat("+0", 150),
		"big range":     "minors_total + (1..1000000000)[0]",
		"dividing ints": "minors_total + 7 % 0",
	} {
		start := time.Now()
		_, err := svc.CreateRule(coordinator, newRule("costly_"+strings.ReplaceAll(name, " ", "_"), left, "<=", "population_total", hub.Block))
		if hub.ErrorCode(err) != hub.EINVALID || time.Since(start) > 2*time.Second {
			t.Errorf("%s: %v after %v", name, err, time.Since(start))
		}
		// Nor can a rule be changed into one.
		r, err := svc.CreateRule(coordinator, newRule("fine_"+strings.ReplaceAll(name, " ", "_"), "minors_total", "<=", "population_total", hub.Warn))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateRule(coordinator, r.ID, hub.RuleInput{Left: &left}); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("%s by update: %v", name, err)
		}
	}
}

// TestValidationRules_ActiveRulesPerRegionAreBounded: a region holds at most
// hub.MaxActiveRulesPerRegion active rules, by creation or reactivation.
func TestValidationRules_ActiveRulesPerRegionAreBounded(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	svc := postgres.NewValidationService(db.App)
	county := hub.NewContext(context.Background(), &hub.Principal{Name: "t-coord", Role: hub.Coordinator, Region: "370702", RegionPath: "370700.370702"})
	var first *hub.ValidationRule
	for i := range hub.MaxActiveRulesPerRegion {
		r, err := svc.CreateRule(county, newRule(fmt.Sprintf("cap_%d", i), "hope_rooms", "<=", strconv.Itoa(1000+i), hub.Warn))
		if err != nil {
			t.Fatalf("rule %d: %v", i, err)
		}
		if first == nil {
			first = r
		}
	}
	_, err := svc.CreateRule(county, newRule("one_too_many", "hope_rooms", "<=", "1", hub.Warn))
	if hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(err.Error(), strconv.Itoa(hub.MaxActiveRulesPerRegion)) {
		t.Fatalf("rule %d of the region: %v", hub.MaxActiveRulesPerRegion+1, err)
	}
	// Other regions have their own allowance.
	if _, err := svc.CreateRule(as(hub.Coordinator, ""), newRule("city_rule", "hope_rooms", "<=", "1", hub.Warn)); err != nil {
		t.Fatalf("a city rule: %v", err)
	}
	off, on := false, true
	if _, err := svc.UpdateRule(county, first.ID, hub.RuleInput{Active: &off}); err != nil {
		t.Fatal(err)
	}
	extra, err := svc.CreateRule(county, newRule("one_too_many", "hope_rooms", "<=", "1", hub.Warn))
	if err != nil {
		t.Fatalf("after a deactivation: %v", err)
	}
	if _, err := svc.UpdateRule(county, first.ID, hub.RuleInput{Active: &on}); hub.ErrorCode(err) != hub.EINVALID {
		t.Fatalf("reactivation over the bound: %v", err)
	}
	// Changing an active rule is not adding one.
	if _, err := svc.UpdateRule(county, extra.ID, hub.RuleInput{Right: str("2")}); err != nil {
		t.Fatalf("change of an active rule at the bound: %v", err)
	}
}

// TestSubmitValues_ARuleThatSlipsThroughCannotBreakSubmissions: a costly
// rule stored past the API (before the bounds, or by SQL) is not run;
// every submission and report it applies to carries a WARN finding that
// says so, fast, instead of timing out or failing INTERNAL; a BLOCK rule
// that cannot be evaluated blocks nothing.
func TestSubmitValues_ARuleThatSlipsThroughCannotBreakSubmissions(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	owner := db.OwnerConn(t)
	for _, left := range []string{`len(repeat("x", 100000000)) + minors_total`, "sum(1..999, sum(1..999, sum(1..999, #))) + minors_total"} {
		if _, err := owner.Exec(ctx, `INSERT INTO validation_rules (name, left_expr, operator, right_expr, severity, text_zh, text_en,
  indicator_keys, region_code, created_by, updated_by) VALUES ($1, $2, '<', '0', 'BLOCK', '昂贵', 'costly', '{minors_total}', '370700', 'sql', 'sql')`,
			fmt.Sprintf("costly_%d", len(left)), left); err != nil {
			t.Fatal(err)
		}
	}
	sub := postgres.NewSubmitService(db.App)
	analyst := as(hub.Analyst, "civil_affairs")
	start := time.Now()
	res, err := sub.SubmitValues(analyst, []hub.ValueInput{{Indicator: "minors_total", Region: "370702", Period: "2030", Value: f(10)}}, false)
	took := time.Since(start)
	if err != nil || res.Created != 1 || len(res.Conflicts) != 0 || took > 5*time.Second {
		t.Fatalf("submission under costly rules: %v %+v after %v", err, res, took)
	}
	broken := 0
	for _, w := range res.Warnings {
		if strings.HasPrefix(*w.Rule, "costly_") && w.Severity == hub.Warn && strings.Contains(w.Message, "无法计算") {
			broken++
		}
	}
	if broken != 2 {
		t.Fatalf("want a WARN finding for each costly rule, got %+v", res.Warnings)
	}
	report, err := postgres.NewValidationService(db.App).Report(as(hub.Coordinator, ""), "2022", nil)
	if err != nil {
		t.Fatalf("report under costly rules: %v", err)
	}
	found := 0
	for _, f := range report {
		if f.Rule != nil && strings.HasPrefix(*f.Rule, "costly_") {
			found++
		}
	}
	if found == 0 {
		t.Fatalf("the report does not say the costly rules were not checked: %+v", report)
	}
}
