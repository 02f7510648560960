package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
)

const userFields = `name role department { code } region { code } service disabled hasPassword createdAt`

// userMutations are every user administration operation, each valid for
// an admin of the whole city.
var userMutations = []struct{ name, query string }{
	{"users", `{ users(first: 5) { name } }`},
	{"createUser", `mutation { createUser(input: {name: "new-analyst", role: ANALYST, department: "education", region: "370781"}) { name } }`},
	{"updateUser", `mutation { updateUser(name: "target", role: COORDINATOR) { name } }`},
	{"disableUser", `mutation { disableUser(name: "target") { name } }`},
	{"enableUser", `mutation { enableUser(name: "target") { name } }`},
}

// TestUserAdmin_AdminsManageUsersOverGraphQLAndEveryChangeIsAudited: a
// city admin creates a user, changes role, department and region, disables
// (the user's token stops at once) and enables them; each change is one
// audit row with the admin as actor, through the API channel.
func TestUserAdmin_AdminsManageUsersOverGraphQLAndEveryChangeIsAudited(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	admin := api.User(t, hub.NewUser{Name: "root", Role: hub.Admin, Region: "370700"})
	type user struct {
		Name, Role  string
		Department  *struct{ Code string }
		Region      struct{ Code string }
		Service     bool
		Disabled    bool
		HasPassword bool
	}
	var created struct{ CreateUser user }
	api.Query(t, admin, `mutation { createUser(input: {name: "qz-edu", role: ANALYST, department: "education", region: "370781"}) { `+userFields+` } }`, nil, &created)
	if u := created.CreateUser; u.Name != "qz-edu" || u.Role != "ANALYST" || u.Department == nil || u.Department.Code != "education" ||
		u.Region.Code != "370781" || u.HasPassword || u.Disabled {
		t.Fatalf("created %+v", u)
	}
	var updated struct{ UpdateUser user }
	api.Query(t, admin, `mutation { updateUser(name: "qz-edu", role: COORDINATOR, department: "", region: "370705") { `+userFields+` } }`, nil, &updated)
	if u := updated.UpdateUser; u.Role != "COORDINATOR" || u.Department != nil || u.Region.Code != "370705" {
		t.Fatalf("updated %+v", u)
	}
	// An analyst without a department is refused with words, not a 500.
	if resp := api.Do(t, admin, `mutation { updateUser(name: "qz-edu", role: ANALYST) { name } }`, nil); resp.Code() != hub.EINVALID {
		t.Fatalf("analyst without department: %q %v", resp.Code(), resp.Errors)
	}
	// The user's token works, stops when disabled, and stays stopped after
	// enabling only if revoked; here it works again.
	tok := api.User(t, hub.NewUser{Name: "lead-qz", Role: hub.Leader, Region: "370781"})
	if resp := api.Do(t, tok, `{ me { name } }`, nil); len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	var disabled struct{ DisableUser user }
	api.Query(t, admin, `mutation { disableUser(name: "lead-qz") { `+userFields+` } }`, nil, &disabled)
	if !disabled.DisableUser.Disabled {
		t.Fatalf("disable: %+v", disabled.DisableUser)
	}
	if resp := api.Do(t, tok, `{ me { name } }`, nil); resp.Code() != hub.EUNAUTHENTICATED {
		t.Fatalf("disabled user's token: %q", resp.Code())
	}
	api.Query(t, admin, `mutation { enableUser(name: "lead-qz") { name } }`, nil, nil)
	if resp := api.Do(t, tok, `{ me { name } }`, nil); len(resp.Errors) > 0 {
		t.Fatalf("enabled again: %v", resp.Errors)
	}
	// An admin may not disable themselves.
	if resp := api.Do(t, admin, `mutation { disableUser(name: "root") { name } }`, nil); resp.Code() != hub.EINVALID {
		t.Fatalf("disable oneself: %q", resp.Code())
	}
	// Listing: filters and pages by name (root, qz-edu, lead-qz).
	var list struct{ Users []user }
	api.Query(t, admin, `{ users(role: LEADER, region: "370781", first: 10) { `+userFields+` } }`, nil, &list)
	if len(list.Users) != 1 || list.Users[0].Name != "lead-qz" {
		t.Fatalf("leaders of 青州市: %+v", list.Users)
	}
	var page1, page2 struct{ Users []user }
	api.Query(t, admin, `{ users(first: 2) { name } }`, nil, &page1)
	api.Query(t, admin, `query($a: String) { users(first: 2, after: $a) { name } }`, map[string]any{"a": page1.Users[1].Name}, &page2)
	if len(page1.Users) != 2 || len(page2.Users) != 1 || page2.Users[0].Name <= page1.Users[1].Name {
		t.Fatalf("pages %+v then %+v", page1.Users, page2.Users)
	}
	if resp := api.Do(t, admin, `{ users(first: 100000) { name } }`, nil); resp.Code() != hub.EINVALID {
		t.Fatalf("first 100000: %q", resp.Code())
	}

	owner := api.DB.OwnerConn(t)
	rows, _ := owner.Query(t.Context(), `SELECT actor, channel, detail FROM audit_log WHERE action = 'user' AND actor = 'root' ORDER BY id`)
	audit, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Actor, Channel, Detail string }])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"qz-edu: create: role analyst, department education, region 370781",
		"qz-edu: role analyst → coordinator; department education → -; region 370781 → 370705",
		"lead-qz: disabled", "lead-qz: enabled"}
	if len(audit) != len(want) {
		t.Fatalf("audit rows %+v, want %d", audit, len(want))
	}
	for i, w := range want {
		if !strings.HasSuffix(audit[i].Detail, w) || audit[i].Channel != hub.ChannelAPI {
			t.Errorf("audit %d: %+v, want …%s through API", i, audit[i], w)
		}
	}
}

// TestUserAdmin_OthersAndAdminsOutsideTheirSubtreeAreForbidden: every
// other role is FORBIDDEN for every operation; a county admin sees and
// changes only the users of their county, and cannot move one out of it
// or create one elsewhere. Nothing changes.
func TestUserAdmin_OthersAndAdminsOutsideTheirSubtreeAreForbidden(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	ca := "civil_affairs"
	api.User(t, hub.NewUser{Name: "target", Role: hub.Leader, Region: "370700"})
	owner := api.DB.OwnerConn(t)
	state := func() string {
		var s string
		if err := owner.QueryRow(t.Context(), `SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM users u`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := state()
	for _, u := range []hub.NewUser{
		{Name: "ca", Role: hub.Analyst, Department: &ca, Region: "370700"},
		{Name: "coord", Role: hub.Coordinator, Region: "370700"},
		{Name: "lead", Role: hub.Leader, Region: "370700"},
		{Name: "press", Role: hub.Media, Region: "370700"},
	} {
		tok := api.User(t, u)
		for _, m := range userMutations {
			if resp := api.Do(t, tok, m.query, nil); resp.Code() != hub.EFORBIDDEN {
				t.Errorf("%s %s: %q %s", u.Role, m.name, resp.Code(), resp.Data)
			}
		}
	}
	for _, m := range userMutations {
		if resp := api.Do(t, "", m.query, nil); resp.Code() != hub.EUNAUTHENTICATED {
			t.Errorf("no token, %s: %q", m.name, resp.Code())
		}
	}
	before = state() // the four users above were made by the owner
	county := api.User(t, hub.NewUser{Name: "qz-admin", Role: hub.Admin, Region: "370781"})
	api.User(t, hub.NewUser{Name: "qz-lead", Role: hub.Leader, Region: "370781"})
	before = state()
	for _, m := range userMutations[1:] {
		if m.name == "createUser" {
			continue // 370781 is the county admin's own county
		}
		if resp := api.Do(t, county, m.query, nil); resp.Code() != hub.EFORBIDDEN {
			t.Errorf("county admin on a city user, %s: %q %v", m.name, resp.Code(), resp.Errors)
		}
	}
	for name, q := range map[string]string{
		"create in another county": `mutation { createUser(input: {name: "kw", role: LEADER, region: "370705"}) { name } }`,
		"create at the city":       `mutation { createUser(input: {name: "city", role: ADMIN, region: "370700"}) { name } }`,
		"move out of the county":   `mutation { updateUser(name: "qz-lead", region: "370705") { name } }`,
		"move oneself up":          `mutation { updateUser(name: "qz-admin", region: "370700") { name } }`,
	} {
		if resp := api.Do(t, county, q, nil); resp.Code() != hub.EFORBIDDEN {
			t.Errorf("county admin, %s: %q %v", name, resp.Code(), resp.Errors)
		}
	}
	if after := state(); after != before {
		t.Error("refused user administration changed users")
	}
	var list struct{ Users []struct{ Name string } }
	api.Query(t, county, `{ users(first: 1000) { name } }`, nil, &list)
	names := []string{}
	for _, u := range list.Users {
		names = append(names, u.Name)
	}
	if strings.Join(names, ",") != "qz-admin,qz-lead" {
		t.Errorf("the county admin lists %v, want only the county's users", names)
	}
	// Within the county it works.
	if resp := api.Do(t, county, `mutation { updateUser(name: "qz-lead", role: COORDINATOR) { name } }`, nil); len(resp.Errors) > 0 {
		t.Errorf("county admin in the county: %v", resp.Errors)
	}
}

// TestUserPolicies_OnlyAdminsOfTheSubtreeWriteUsersInSQL: the row
// policies of 00057 hold for SQL run as hub_app with any principal, and
// hub_app never writes a password.
func TestUserPolicies_OnlyAdminsOfTheSubtreeWriteUsersInSQL(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	app := db.AppConn(t)
	ctx := context.Background()
	if _, err := db.OwnerConn(t).Exec(ctx, `INSERT INTO users (name, role, region_code) VALUES ('demo-leader', 'leader', '370700')`); err != nil {
		t.Fatal(err)
	}
	as := func(p hub.Principal, sql string, args ...any) (int64, error) {
		tx, err := app.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		pgtest.SetPrincipal(t, tx, p)
		tag, err := tx.Exec(ctx, sql, args...)
		return tag.RowsAffected(), err
	}
	denied := func(err error) bool {
		var pg *pgconn.PgError
		return errors.As(err, &pg) && pg.Code == "42501"
	}
	ca := "civil_affairs"
	city := hub.Principal{Name: "root", Role: hub.Admin, RegionPath: "370700"}
	county := hub.Principal{Name: "qz", Role: hub.Admin, RegionPath: "370700.370781"}
	for _, p := range []hub.Principal{
		{Name: "a", Role: hub.Analyst, Department: &ca, RegionPath: "370700"},
		{Name: "c", Role: hub.Coordinator, RegionPath: "370700"},
		{Name: "l", Role: hub.Leader, RegionPath: "370700"},
		{Name: "m", Role: hub.Media, RegionPath: "370700"},
		county, // demo-leader is the city's
	} {
		if n, err := as(p, `UPDATE users SET role = 'admin'`); n != 0 || err != nil {
			t.Errorf("%s of %s updates %d users (%v)", p.Role, p.RegionPath, n, err)
		}
		if _, err := as(p, `INSERT INTO users (name, role, region_code) VALUES ('x', 'admin', '370700')`); !denied(err) {
			t.Errorf("%s of %s inserts a city admin: %v", p.Role, p.RegionPath, err)
		}
	}
	if _, err := as(county, `INSERT INTO users (name, role, region_code) VALUES ('x', 'leader', '370781')`); err != nil {
		t.Errorf("county admin, a user of the county: %v", err)
	}
	if n, err := as(city, `UPDATE users SET disabled = true WHERE name = 'demo-leader'`); n != 1 || err != nil {
		t.Errorf("city admin disables: %d %v", n, err)
	}
	if _, err := as(city, `INSERT INTO users (name, role, region_code, password_hash) VALUES ('x', 'leader', '370781', 'h')`); !denied(err) {
		t.Errorf("hub_app writes a password hash: %v", err)
	}
	if _, err := as(city, `UPDATE users SET password_hash = 'h'`); !denied(err) {
		t.Errorf("hub_app changes a password hash: %v", err)
	}
	if _, err := as(city, `UPDATE users SET region_code = '370781' WHERE name = 'demo-leader'`); err != nil {
		t.Errorf("city admin moves a user: %v", err)
	}
}

// TestMyTokens_CreateListRevokeOwnTokensOnly: a user makes a named token
// over GraphQL (the secret once), lists their own tokens without secrets,
// cannot revoke another user's (NOT_FOUND), and a revoked token stops at
// once. Lifetimes out of bounds are BAD_USER_INPUT; both changes audited.
func TestMyTokens_CreateListRevokeOwnTokensOnly(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	lead := api.User(t, hub.NewUser{Name: "lead", Role: hub.Leader, Region: "370700"})
	press := api.User(t, hub.NewUser{Name: "press", Role: hub.Media, Region: "370700"})
	var made struct {
		CreateMyToken struct {
			Secret string
			Token  struct {
				ID, Name  string
				ExpiresAt *string
			}
		}
	}
	api.Query(t, press, `mutation { createMyToken(name: "新闻稿脚本 press script", expiresInDays: 30) { secret token { id name expiresAt } } }`, nil, &made)
	m := made.CreateMyToken
	if !strings.HasPrefix(m.Secret, "sph_") || m.Token.Name != "新闻稿脚本 press script" || m.Token.ExpiresAt == nil {
		t.Fatalf("made %+v", m)
	}
	if resp := api.Do(t, m.Secret, `{ me { name } }`, nil); len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), "press") {
		t.Fatalf("new token: %s %v", resp.Data, resp.Errors)
	}
	raw := api.Raw(t, press, `{ myTokens { id name createdAt lastUsedAt expiresAt revokedAt } }`, nil)
	if strings.Contains(string(raw), m.Secret) || !strings.Contains(string(raw), "press script") {
		t.Fatalf("myTokens: %s", raw)
	}
	var mine struct{ MyTokens []struct{ ID string } }
	if err := json.Unmarshal(raw, &struct{ Data any }{&mine}); err != nil {
		t.Fatal(err)
	}
	if len(mine.MyTokens) != 2 { // the test's own token and the new one
		t.Fatalf("press has %d tokens: %s", len(mine.MyTokens), raw)
	}
	var leads struct{ MyTokens []struct{ ID string } }
	api.Query(t, lead, `{ myTokens { id } }`, nil, &leads)
	if len(leads.MyTokens) != 1 || leads.MyTokens[0].ID == m.Token.ID {
		t.Fatalf("the leader sees %+v", leads.MyTokens)
	}
	if resp := api.Do(t, lead, `mutation($id: ID!) { revokeMyToken(id: $id) { id } }`, map[string]any{"id": m.Token.ID}); resp.Code() != hub.ENOTFOUND {
		t.Fatalf("another user's token: %q", resp.Code())
	}
	for _, days := range []int{0, 367, -1} {
		if resp := api.Do(t, press, `mutation($d: Int!) { createMyToken(name: "x", expiresInDays: $d) { secret } }`, map[string]any{"d": days}); resp.Code() != hub.EINVALID {
			t.Errorf("%d days: %q", days, resp.Code())
		}
	}
	if resp := api.Do(t, press, `mutation { createMyToken(name: "  ", expiresInDays: 1) { secret } }`, nil); resp.Code() != hub.EINVALID {
		t.Errorf("blank name: %q", resp.Code())
	}
	var revoked struct{ RevokeMyToken struct{ RevokedAt *string } }
	api.Query(t, press, `mutation($id: ID!) { revokeMyToken(id: $id) { revokedAt } }`, map[string]any{"id": m.Token.ID}, &revoked)
	if revoked.RevokeMyToken.RevokedAt == nil {
		t.Fatal("revoked without revokedAt")
	}
	if resp := api.Do(t, m.Secret, `{ me { name } }`, nil); resp.Code() != hub.EUNAUTHENTICATED {
		t.Fatalf("revoked token: %q", resp.Code())
	}
	var n int
	if err := api.DB.OwnerConn(t).QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action = 'token' AND actor = 'press'
AND detail ~ ('token ' || $1 || ' of user press: (create|revoke)')`, m.Token.ID).Scan(&n); err != nil || n != 2 {
		t.Fatalf("audit rows of the token: %d %v", n, err)
	}
}
