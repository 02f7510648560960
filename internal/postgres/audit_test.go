package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// auditRow is one row of audit_log as the owner sees it.
type auditRow struct {
	actor, action    string
	valueID          *int64
	region, detail   *string
	indicator        *string
	oldValue, newVal *float64
}

// auditMark is the id of the newest row of the trail: rows after it are
// what a test wrote.
func auditMark(t *testing.T, db *pgtest.DB) int64 {
	t.Helper()
	var id int64
	if err := db.OwnerConn(t).QueryRow(context.Background(), `SELECT coalesce(max(id), 0) FROM audit_log`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// auditSince returns the rows of action written after mark, oldest first.
func auditSince(t *testing.T, db *pgtest.DB, mark int64, action string) []auditRow {
	t.Helper()
	rows, _ := db.OwnerConn(t).Query(context.Background(), `SELECT actor, action, value_id, region_code, detail, indicator_key,
  old_value, new_value FROM audit_log WHERE id > $1 AND action = $2 ORDER BY id`, mark, action)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auditRow, error) {
		var a auditRow
		err := r.Scan(&a.actor, &a.action, &a.valueID, &a.region, &a.detail, &a.indicator, &a.oldValue, &a.newVal)
		return a, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func is(p *string, want string) bool { return p != nil && *p == want }

func num(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

// TestAuditLog_CoordinatorDoesNotSeeDraftValues: a correction of an
// approved value is an 'update' row from the released number to a draft
// one, and a new value a 'create' row of a draft. A coordinator (city or
// district) and a leader read neither draft number, through the audit
// service nor in SQL, while the department's analyst does, and the
// coordinator still sees the released side and, once submitted, the new
// number.
func TestAuditLog_CoordinatorDoesNotSeeDraftValues(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	sub, wf, audit := postgres.NewSubmitService(db.App), postgres.NewWorkflowService(db.App), postgres.NewAuditService(db.App)
	analyst := as(hub.Analyst, "civil_affairs")
	res, err := sub.SubmitValues(analyst, []hub.ValueInput{
		{Indicator: "child_directors", Region: "370781", Period: "2022", Value: f(4000)},
		{Indicator: "minors_total", Region: "370781", Period: "2030", Value: f(7777)},
	}, false)
	if err != nil || len(res.Conflicts) > 0 || res.Values[0].Status != hub.Draft {
		t.Fatalf("drafts: %v %+v", err, res)
	}
	drafts := map[float64]bool{4000: true, 7777: true}
	filter := hub.AuditFilter{Indicators: []string{"child_directors", "minors_total"}, Regions: []string{"370781"}}

	readers := map[string]context.Context{
		"city coordinator":     as(hub.Coordinator, ""),
		"district coordinator": scoped(hub.Coordinator, "", "370781", "370700.370781"),
		"leader":               as(hub.Leader, ""),
		"other analyst":        as(hub.Analyst, "youth_league"),
	}
	for name, who := range readers {
		page, err := audit.FindAudit(who, filter, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		var sawReleasedSide bool
		for _, e := range page.Entries {
			if drafts[num(e.OldValue)] || drafts[num(e.NewValue)] {
				t.Errorf("%s reads a draft number in the audit trail: %s %v → %v", name, e.Action, num(e.OldValue), num(e.NewValue))
			}
			if e.NewStatus != nil && *e.NewStatus == hub.Draft || e.OldStatus != nil && *e.OldStatus == hub.Draft {
				t.Errorf("%s reads a DRAFT side: %+v", name, e)
			}
			if e.Action == "update" && num(e.OldValue) == 1080 && e.NewValue == nil {
				sawReleasedSide = true
			}
		}
		if name != "other analyst" && !sawReleasedSide {
			t.Errorf("%s does not see the released side (1080) of the correction", name)
		}
	}
	// In SQL, as hub_app under the same principal: the table is closed,
	// the view masks.
	app := db.AppConn(t)
	for _, p := range []principal{{"coordinator", "", "370700"}, {"coordinator", "", "370700.370781"}, {"leader", "", "370700"}} {
		asApp(t, ctx, app, p, func(tx pgx.Tx) {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_entries
WHERE old_value IN (4000, 7777) OR new_value IN (4000, 7777) OR 'DRAFT' IN (old_status, new_status)`).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d audit_entries rows show a draft (%v)", p, n, err)
			}
			// nor the row of a change it may read no side of
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_entries
WHERE value_id IS NOT NULL AND old_status IS NULL AND new_status IS NULL`).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d audit_entries rows of changes it may not read (%v)", p, n, err)
			}
		})
		asApp(t, ctx, app, p, func(tx pgx.Tx) {
			var v *float64
			err := tx.QueryRow(ctx, `SELECT new_value FROM audit_log WHERE new_value = 4000`).Scan(&v)
			if err == nil || !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("%s reads audit_log directly: %v %v", p, num(v), err)
			}
		})
	}
	// The department's analyst reads its drafts in the trail.
	asApp(t, ctx, app, principal{"analyst", "civil_affairs", "370700.370781"}, func(tx pgx.Tx) {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_entries WHERE new_value IN (4000, 7777)`).Scan(&n); err != nil || n != 2 {
			t.Errorf("civil_affairs analyst sees %d rows with its drafts (%v), want 2", n, err)
		}
	})
	// Submitted, the number is the coordinator's to review.
	if _, err := wf.Transition(analyst, []int{res.Values[0].ID}, hub.Submitted, nil); err != nil {
		t.Fatal(err)
	}
	page, err := audit.FindAudit(scoped(hub.Coordinator, "", "370781", "370700.370781"),
		hub.AuditFilter{Indicators: []string{"child_directors"}, Actions: []string{"transition"}, Regions: []string{"370781"}}, 10, 0)
	if err != nil || len(page.Entries) == 0 || num(page.Entries[0].NewValue) != 4000 || page.Entries[0].OldValue != nil {
		t.Fatalf("submitted correction as the district coordinator sees it: %v %+v", err, page)
	}
}

// TestAuditLog_CoordinatorDoesNotSeeAnotherDistrictsRuleRows: rule rows
// carry the rule's region and are visible as the rules are: a district's
// rule to its own and the city's coordinators, not to a sibling
// district's; the city's rules to every coordinator.
func TestAuditLog_CoordinatorDoesNotSeeAnotherDistrictsRuleRows(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	svc, audit := postgres.NewValidationService(db.App), postgres.NewAuditService(db.App)
	qingzhou := scoped(hub.Coordinator, "", "370781", "370700.370781")
	kuiwen := scoped(hub.Coordinator, "", "370705", "370700.370705")
	city := as(hub.Coordinator, "")
	mark := auditMark(t, db)
	private, err := svc.CreateRule(qingzhou, newRule("qz_private_cap", "hope_rooms", "<=", "12345", hub.Warn))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateRule(qingzhou, private.ID, hub.RuleInput{Right: str("54321")}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateRule(city, newRule("city_wide_cap", "hope_rooms", "<=", "99999", hub.Warn)); err != nil {
		t.Fatal(err)
	}
	rows := auditSince(t, db, mark, "rule")
	if len(rows) != 3 || !is(rows[0].region, "370781") || !is(rows[1].region, "370781") || !is(rows[2].region, "370700") {
		t.Fatalf("rule rows %+v, want three with regions 370781, 370781, 370700", rows)
	}
	sees := func(who context.Context, name string) bool {
		page, err := audit.FindAudit(who, hub.AuditFilter{Actions: []string{"rule"}}, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			if e.Detail != nil && strings.Contains(*e.Detail, name) {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		who  string
		ctx  context.Context
		rule string
		want bool
	}{
		{"kuiwen", kuiwen, "qz_private_cap", false},
		{"qingzhou", qingzhou, "qz_private_cap", true},
		{"city", city, "qz_private_cap", true},
		{"kuiwen", kuiwen, "city_wide_cap", true},
		{"analyst", as(hub.Analyst, "youth_league"), "city_wide_cap", false},
	} {
		if got := sees(c.ctx, c.rule); got != c.want {
			t.Errorf("%s sees the audit rows of %s: %v, want %v", c.who, c.rule, got, c.want)
		}
	}
}

// TestAuditLog_AnalystReadsOwnDepartmentsRowsOnly: analysts read the trail
// of their department's values in their subtree, drafts included, and of
// other departments' values only what the value rules let them read:
// released values shared with them, never drafts, nothing unshared.
func TestAuditLog_AnalystReadsOwnDepartmentsRowsOnly(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub, audit := postgres.NewSubmitService(db.App), postgres.NewAuditService(db.App)
	if res, err := sub.SubmitValues(as(hub.Analyst, "civil_affairs"), []hub.ValueInput{
		{Indicator: "minors_total", Region: "370781", Period: "2030", Value: f(7777)},
		{Indicator: "minors_total", Region: "370702", Period: "2030", Value: f(8888)},
	}, false); err != nil || len(res.Conflicts) > 0 {
		t.Fatalf("civil_affairs drafts: %v %+v", err, res)
	}
	if res, err := sub.SubmitValues(as(hub.Analyst, "education"), []hub.ValueInput{
		{Indicator: "aided_students", Region: "370781", Period: "2030", Value: f(55)},
	}, false); err != nil || len(res.Conflicts) > 0 {
		t.Fatalf("education draft: %v %+v", err, res)
	}
	type seen struct {
		rows     int
		numbers  map[float64]bool
		released int
		outside  int
	}
	read := func(who context.Context, indicator string) seen {
		page, err := audit.FindAudit(who, hub.AuditFilter{Indicators: []string{indicator}}, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		s := seen{numbers: map[float64]bool{}}
		p := hub.PrincipalFrom(who)
		for _, e := range page.Entries {
			s.rows++
			s.numbers[num(e.OldValue)], s.numbers[num(e.NewValue)] = true, true
			if e.NewStatus != nil && (*e.NewStatus == hub.Approved || *e.NewStatus == hub.Published) {
				s.released++
			}
			// a value's row (shares of the owner covering the scope are rows too)
			if e.Period != nil && p.Region != "370700" && !strings.HasPrefix(*e.RegionCode, p.Region) {
				s.outside++
			}
		}
		return s
	}
	qzCivil := scoped(hub.Analyst, "civil_affairs", "370781", "370700.370781")
	if s := read(qzCivil, "minors_total"); !s.numbers[7777] || s.numbers[8888] || s.outside > 0 || s.released == 0 {
		t.Errorf("Qingzhou's civil_affairs analyst: own draft seen %v, Kuiwen's seen %v, %d rows outside, %d released",
			s.numbers[7777], s.numbers[8888], s.outside, s.released)
	}
	// youth_league has minors_total shared (the demo's agreements), not aided_students.
	youth := as(hub.Analyst, "youth_league")
	if s := read(youth, "minors_total"); s.released == 0 || s.numbers[7777] || s.numbers[8888] {
		t.Errorf("youth_league on shared minors_total: %d released rows, drafts seen %v %v", s.released, s.numbers[7777], s.numbers[8888])
	}
	if s := read(youth, "aided_students"); s.rows != 0 {
		t.Errorf("youth_league reads %d audit rows of unshared aided_students", s.rows)
	}
	// civil_affairs has everything of education shared, released only.
	if s := read(as(hub.Analyst, "civil_affairs"), "aided_students"); s.released == 0 || s.numbers[55] {
		t.Errorf("civil_affairs on shared aided_students: %d released rows, education's draft seen %v", s.released, s.numbers[55])
	}
	if s := read(as(hub.Media, ""), "minors_total"); s.rows != 0 {
		t.Errorf("the media office reads %d audit rows", s.rows)
	}
}

// TestShares_OnlyCoordinatorsWhoseScopeCoversTheRegionWriteThem: a
// district coordinator makes and ends agreements of its district only; it
// can neither make a city-wide one or one for another district, nor revoke
// the city's; an analyst writes none; a city coordinator writes all.
func TestShares_OnlyCoordinatorsWhoseScopeCoversTheRegionWriteThem(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	svc := postgres.NewAccessService(db.App)
	qingzhou := scoped(hub.Coordinator, "", "370781", "370700.370781")
	req := func(region *string) hub.ShareRequest {
		return hub.ShareRequest{From: str("civil_affairs"), To: "youth_league", Indicators: []string{"child_directors"}, Region: region}
	}
	cityShare := hub.ShareRequest{From: str("civil_affairs"), To: "education", Indicators: []string{"minors_total"}}
	forbidden := []struct {
		name string
		ctx  context.Context
		do   func(context.Context) error
	}{
		{"district coordinator shares city-wide", qingzhou, func(c context.Context) error { return svc.Share(c, req(str("370700"))) }},
		{"district coordinator shares for another district", qingzhou, func(c context.Context) error { return svc.Share(c, req(str("370705"))) }},
		{"district coordinator revokes the city's share", qingzhou, func(c context.Context) error { return svc.Revoke(c, cityShare) }},
		{"district coordinator revokes the city's share by region", qingzhou, func(c context.Context) error {
			r := cityShare
			r.Region = str("370700")
			return svc.Revoke(c, r)
		}},
		{"analyst shares its own indicator", as(hub.Analyst, "civil_affairs"), func(c context.Context) error { return svc.Share(c, req(nil)) }},
		{"analyst revokes", as(hub.Analyst, "civil_affairs"), func(c context.Context) error { return svc.Revoke(c, cityShare) }},
		{"leader shares", as(hub.Leader, ""), func(c context.Context) error { return svc.Share(c, req(nil)) }},
	}
	for _, tt := range forbidden {
		if err := tt.do(tt.ctx); hub.ErrorCode(err) != hub.EFORBIDDEN {
			t.Errorf("%s: %v, want FORBIDDEN", tt.name, err)
		}
	}
	regions := func() map[string]bool {
		shares, err := svc.Shares(as(hub.Admin, ""), str("youth_league"))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, s := range shares {
			if s.Owner == "civil_affairs" && s.Indicator != nil && *s.Indicator == "child_directors" {
				out[s.Region] = true
			}
		}
		return out
	}
	if got := regions(); len(got) != 0 {
		t.Fatalf("refused agreements were recorded: %v", got)
	}
	if err := svc.Share(qingzhou, req(nil)); err != nil {
		t.Fatalf("district coordinator shares for its district: %v", err)
	}
	if got := regions(); len(got) != 1 || !got["370781"] {
		t.Fatalf("agreements %v, want 370781 only", got)
	}
	city := as(hub.Coordinator, "")
	if err := svc.Share(city, req(str("370705"))); err != nil {
		t.Fatalf("city coordinator shares for a district: %v", err)
	}
	if err := svc.Revoke(qingzhou, req(nil)); err != nil {
		t.Fatalf("district coordinator revokes its own: %v", err)
	}
	if got := regions(); len(got) != 1 || !got["370705"] {
		t.Fatalf("after Qingzhou's revocation: %v, want 370705 only", got)
	}
	if err := svc.Revoke(city, cityShare); err != nil {
		t.Fatalf("city coordinator revokes the city's share: %v", err)
	}
}

// TestAudit_EveryChangeWritesOneRowWithActorAndRegion: releasability,
// publication (batch and value), agreements made and ended, rule changes,
// accounts and tokens each leave exactly one row in the trail, naming the
// actor and the region, whichever path made the change; account rows are
// for admins of the region and never carry a password hash.
func TestAudit_EveryChangeWritesOneRowWithActorAndRegion(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	owner := db.OwnerConn(t)
	var id int
	if err := owner.QueryRow(ctx, `SELECT id FROM data_values WHERE indicator_key = 'child_directors'
AND region_code = '370781' AND period = '2022' AND is_released`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	one := func(what string, mark int64, action, actor, region string, check func(auditRow) bool) {
		t.Helper()
		rows := auditSince(t, db, mark, action)
		if len(rows) != 1 || rows[0].actor != actor || !is(rows[0].region, region) || check != nil && !check(rows[0]) {
			t.Errorf("%s: %d %s rows %+v, want one by %s for region %s", what, len(rows), action, rows, actor, region)
			for _, r := range rows {
				t.Logf("  detail %q", deref(r.detail))
			}
		}
	}
	media := postgres.NewMediaService(db.App, 0)
	coordinator := as(hub.Coordinator, "")

	mark := auditMark(t, db)
	if err := media.SetReleasable(coordinator, []int{id}, true); err != nil {
		t.Fatal(err)
	}
	one("setReleasable", mark, "releasable", "t-coordinator", "370781", func(r auditRow) bool {
		return r.valueID != nil && *r.valueID == int64(id) && strings.Contains(deref(r.detail), "true")
	})

	mark = auditMark(t, db)
	if _, err := media.Publish(coordinator, hub.PublishRequest{Title: "审计测试批次", IDs: []int{id}}); err != nil {
		t.Fatal(err)
	}
	rows := auditSince(t, db, mark, "publish")
	if len(rows) != 2 || rows[0].valueID != nil || !is(rows[0].region, "370700") || rows[1].valueID == nil || *rows[1].valueID != int64(id) ||
		!is(rows[1].region, "370781") || !strings.Contains(deref(rows[0].detail), "审计测试批次") || !strings.Contains(deref(rows[1].detail), "审计测试批次") {
		t.Errorf("publish: %+v, want the batch's row (370700) and the value's (370781), both with the title", rows)
	}
	if n := len(auditSince(t, db, mark, "transition")); n != 0 {
		t.Errorf("publishing also wrote %d transition rows; the publish row records the step", n)
	}
	mark = auditMark(t, db)
	if _, err := owner.Exec(ctx, `UPDATE data_values SET publish_at = publish_at + interval '1 day' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	one("embargo moved in SQL", mark, "publish", "postgres", "370781", func(r auditRow) bool { return strings.Contains(deref(r.detail), "was") })

	access := postgres.NewAccessService(db.App)
	share := hub.ShareRequest{From: str("civil_affairs"), To: "youth_league", Indicators: []string{"child_directors"}, Region: str("370781")}
	mark = auditMark(t, db)
	if err := access.Share(coordinator, share); err != nil {
		t.Fatal(err)
	}
	one("share", mark, "share", "t-coordinator", "370781", nil)
	mark = auditMark(t, db)
	if err := access.Share(coordinator, share); err != nil {
		t.Fatal(err)
	}
	if rows := auditSince(t, db, mark, "share"); len(rows) != 0 {
		t.Errorf("sharing again (nothing changed) wrote %d rows", len(rows))
	}
	if err := access.Revoke(coordinator, share); err != nil {
		t.Fatal(err)
	}
	one("unshare", mark, "unshare", "t-coordinator", "370781", nil)

	rules := postgres.NewValidationService(db.App)
	qingzhou := scoped(hub.Coordinator, "", "370781", "370700.370781")
	mark = auditMark(t, db)
	rule, err := rules.CreateRule(qingzhou, newRule("audit_probe", "hope_rooms", ">=", "0", hub.Warn))
	if err != nil {
		t.Fatal(err)
	}
	one("rule created", mark, "rule", "t-coordinator-370781", "370781", nil)
	mark = auditMark(t, db)
	if _, err := rules.UpdateRule(qingzhou, rule.ID, hub.RuleInput{Active: new(bool)}); err != nil {
		t.Fatal(err)
	}
	one("rule deactivated", mark, "rule", "t-coordinator-370781", "370781", func(r auditRow) bool { return strings.Contains(deref(r.detail), "inactive") })

	auth := postgres.NewAuthService(db.Owner)
	mark = auditMark(t, db)
	if _, err := auth.CreateUser(ctx, hub.NewUser{Name: "audited", Role: hub.Analyst, Department: str("education"), Region: "370781", Password: str("s3cret-pass")}); err != nil {
		t.Fatal(err)
	}
	one("user created", mark, "user", "postgres", "370781", nil)
	for what, change := range map[string]func() error{
		"password set": func() error { return auth.SetPassword(ctx, "audited", "another-pass") },
		"role changed": func() error {
			_, err := owner.Exec(ctx, `UPDATE users SET role = 'leader', department_code = NULL WHERE name = 'audited'`)
			return err
		},
		"disabled": func() error {
			_, err := owner.Exec(ctx, `UPDATE users SET disabled = true WHERE name = 'audited'`)
			return err
		},
	} {
		mark = auditMark(t, db)
		if err := change(); err != nil {
			t.Fatal(err)
		}
		one(what, mark, "user", "postgres", "370781", nil)
	}
	mark = auditMark(t, db)
	if _, err := owner.Exec(ctx, `UPDATE users SET disabled = true WHERE name = 'audited'`); err != nil {
		t.Fatal(err)
	}
	if rows := auditSince(t, db, mark, "user"); len(rows) != 0 {
		t.Errorf("an update that changes nothing wrote %d user rows", len(rows))
	}
	var hashes int
	if err := owner.QueryRow(ctx, `SELECT count(*) FROM audit_log a JOIN users u ON a.detail LIKE '%' || u.password_hash || '%'
WHERE a.action = 'user'`).Scan(&hashes); err != nil || hashes != 0 {
		t.Errorf("%d user rows carry a password hash (%v)", hashes, err)
	}

	if _, err := owner.Exec(ctx, `UPDATE users SET disabled = false, role = 'analyst', department_code = 'education' WHERE name = 'audited'`); err != nil {
		t.Fatal(err)
	}
	mark = auditMark(t, db)
	token, err := auth.CreateToken(ctx, "audited")
	if err != nil {
		t.Fatal(err)
	}
	one("token created", mark, "token", "postgres", "370781", func(r auditRow) bool { return !strings.Contains(deref(r.detail), token) })
	if _, err := postgres.NewAuthService(db.App).Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	mark = auditMark(t, db)
	if _, err := owner.Exec(ctx, `UPDATE tokens SET last_used_at = now() WHERE user_id = (SELECT id FROM users WHERE name = 'audited')`); err != nil {
		t.Fatal(err)
	}
	if rows := auditSince(t, db, mark, "token"); len(rows) != 0 {
		t.Errorf("using a token wrote %d token rows", len(rows))
	}
	if _, err := owner.Exec(ctx, `UPDATE tokens SET revoked_at = now() WHERE user_id = (SELECT id FROM users WHERE name = 'audited')`); err != nil {
		t.Fatal(err)
	}
	one("token revoked", mark, "token", "postgres", "370781", func(r auditRow) bool { return strings.Contains(deref(r.detail), "revoke") })

	// Account rows are the admins' of the region, nobody else's.
	audit := postgres.NewAuditService(db.App)
	count := func(who context.Context) int {
		page, err := audit.FindAudit(who, hub.AuditFilter{Actions: []string{"user", "token"}}, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range page.Entries {
			if e.Detail != nil && strings.Contains(*e.Detail, "audited") {
				n++
			}
		}
		return n
	}
	for who, want := range map[string]struct {
		ctx  context.Context
		rows bool
	}{
		"city admin":           {as(hub.Admin, ""), true},
		"Qingzhou admin":       {scoped(hub.Admin, "", "370781", "370700.370781"), true},
		"Kuiwen admin":         {scoped(hub.Admin, "", "370705", "370700.370705"), false},
		"city coordinator":     {coordinator, false},
		"the user's colleague": {as(hub.Analyst, "education"), false},
	} {
		if n := count(want.ctx); (n > 0) != want.rows {
			t.Errorf("%s reads %d account rows of the user, want any: %v", who, n, want.rows)
		}
	}
}
