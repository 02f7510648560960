package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/pgtest"
)

// publishSensitive publishes the demo's 2022 counts of a sensitive
// indicator as releasable headline figures, and one 2021 count under
// embargo, as the owner.
func publishSensitive(t *testing.T, ctx context.Context, owner *pgx.Conn) {
	t.Helper()
	_, err := owner.Exec(ctx, `
UPDATE data_values SET releasable = true, status = 'PUBLISHED', publish_at = now() - interval '1 minute'
 WHERE indicator_key = 'distressed_children_aided' AND period = '2022' AND is_released;
UPDATE data_values SET releasable = true, status = 'PUBLISHED', publish_at = now() + interval '1 day'
 WHERE indicator_key = 'distressed_children_aided' AND period = '2021' AND region_code = '370702' AND is_released`)
	if err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, ctx context.Context, tx pgx.Tx, sql string) int {
	t.Helper()
	var n int
	if err := tx.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const (
	sensitiveValues  = `SELECT count(*) FROM data_values WHERE indicator_key IN (SELECT key FROM indicators WHERE sensitive)`
	sensitiveRollups = `SELECT count(*) FROM value_rollups WHERE indicator_key IN (SELECT key FROM indicators WHERE sensitive)`
	publicValues     = `SELECT count(*) FROM data_values WHERE indicator_key IN (SELECT key FROM indicators WHERE publicity)`
)

// The media role reads no sensitive value and no sensitive rollup, even
// published and released, and whatever the permissive read policies say:
// the restrictive policies of migration 00042 hold when data_values_read
// and value_rollups_read are redefined to let everything through.
func TestRLS_MediaReadsNoSensitiveRowWhateverThePermissivePoliciesSay(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	owner := db.OwnerConn(t)
	app := db.AppConn(t)
	publishSensitive(t, ctx, owner)
	media := principal{"media", "", "370700"}
	check := func(when string) {
		asApp(t, ctx, app, media, func(tx pgx.Tx) {
			if n := count(t, ctx, tx, sensitiveValues); n != 0 {
				t.Errorf("%s: media reads %d sensitive values", when, n)
			}
			if n := count(t, ctx, tx, sensitiveRollups); n != 0 {
				t.Errorf("%s: media reads %d sensitive rollups", when, n)
			}
			if n := count(t, ctx, tx, publicValues); n == 0 {
				t.Errorf("%s: media reads no publicity value at all; the test proves nothing", when)
			}
		})
	}
	check("as migrated")
	// The positive control: a leader reads them.
	asApp(t, ctx, app, principal{"leader", "", "370700"}, func(tx pgx.Tx) {
		if count(t, ctx, tx, sensitiveValues) == 0 || count(t, ctx, tx, sensitiveRollups) == 0 {
			t.Fatal("a leader reads no sensitive value or rollup")
		}
	})
	_, err := owner.Exec(ctx, `
DROP POLICY data_values_read ON data_values;
CREATE POLICY data_values_read ON data_values FOR SELECT TO hub_app USING (true);
DROP POLICY value_rollups_read ON value_rollups;
CREATE POLICY value_rollups_read ON value_rollups FOR SELECT TO hub_app USING (true)`)
	if err != nil {
		t.Fatal(err)
	}
	check("with permissive policies that let everything through")
}

// hub_published_table, the one door past those policies, opens only for
// the roles that may pull publicity statistics, and only onto PUBLISHED
// values past their embargo.
func TestPublishedTable_OnlyPublishedPastEmbargoForPublicityRoles(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	owner := db.OwnerConn(t)
	app := db.AppConn(t)
	publishSensitive(t, ctx, owner)
	const sensitive = `SELECT count(*) FROM hub_published_table(NULL) WHERE sensitive`
	for _, tc := range []struct {
		who       principal
		sensitive int
	}{
		{principal{"media", "", "370700"}, 13},
		{principal{"leader", "", "370700.370781"}, 13},
		{principal{"analyst", "civil_affairs", "370700"}, 0},
		{principal{"", "", "370700"}, 0},
	} {
		asApp(t, ctx, app, tc.who, func(tx pgx.Tx) {
			if n := count(t, ctx, tx, sensitive); n != tc.sensitive {
				t.Errorf("%s: %d sensitive published figures, want %d (the 2022 ones, not the embargoed 2021 one)", tc.who, n, tc.sensitive)
			}
			if n := count(t, ctx, tx, `SELECT count(*) FROM hub_published_table('2023')`); n != 0 {
				t.Errorf("%s: %d unpublished 2023 figures", tc.who, n)
			}
		})
	}
}
