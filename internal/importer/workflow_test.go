package importer_test

import (
	"context"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

func head(t *testing.T, db *pgtest.DB, region string) (status string, value float64, version int, reason *string) {
	t.Helper()
	err := db.OwnerConn(t).QueryRow(context.Background(), `SELECT status, value, version, status_reason FROM data_values
WHERE indicator_key = 'minors_total' AND region_code = $1 AND period = '2030' AND is_head`, region).Scan(&status, &value, &version, &reason)
	if err != nil {
		t.Fatal(err)
	}
	return status, value, version, reason
}

// TestImport_CorrectsReturnedAndWithdrawsSubmittedValues: an import of a
// RETURNED value (refused INTERNAL before) makes it a DRAFT that keeps its
// return reason; an import changing a SUBMITTED value withdraws it to
// DRAFT, so the number approved is the number reviewed. A dry run says
// the same and writes nothing.
func TestImport_CorrectsReturnedAndWithdrawsSubmittedValues(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := analyst("civil_affairs")
	coordinator := hub.NewContext(context.Background(), &hub.Principal{Name: "t-coordinator", Role: hub.Coordinator, Region: "370700", RegionPath: "370700"})
	sum, err := run(t, db, ctx, "first.csv", []byte("指标代码,地区代码,期间,数值\nminors_total,370702,2030,40\nminors_total,370703,2030,50\n"), false, 0)
	if err != nil || sum.Status != importer.Committed {
		t.Fatalf("first import: %v %+v", err, sum)
	}
	wf := postgres.NewWorkflowService(db.App)
	idOf := func(region string) int {
		var id int
		if err := db.OwnerConn(t).QueryRow(context.Background(), `SELECT id FROM data_values
WHERE indicator_key = 'minors_total' AND region_code = $1 AND period = '2030' AND is_head`, region).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	retID, subID := idOf("370702"), idOf("370703")
	if _, err := wf.Transition(ctx, []int{retID, subID}, hub.Submitted, nil); err != nil {
		t.Fatal(err)
	}
	reason := "请核对 / check the source"
	if _, err := wf.Transition(coordinator, []int{retID}, hub.Returned, &reason); err != nil {
		t.Fatal(err)
	}
	retRegion, subRegion := "370702", "370703"
	_, _, retVersion, _ := head(t, db, retRegion)
	_, _, subVersion, _ := head(t, db, subRegion)

	csv := "指标代码,地区代码,期间,数值\nminors_total," + retRegion + ",2030,41\nminors_total," + subRegion + ",2030,5000\n"
	sum, err = run(t, db, ctx, "fix.csv", []byte(csv), true, 0)
	if err != nil || sum.Status != importer.DryRun || sum.Updated != 2 || sum.ConflictCount != 0 {
		t.Fatalf("dry run: %v %+v", err, sum)
	}
	if status, value, _, _ := head(t, db, retRegion); status != "RETURNED" || value == 41 {
		t.Fatalf("dry run wrote the returned value: %s %v", status, value)
	}
	if status, value, _, _ := head(t, db, subRegion); status != "SUBMITTED" || value == 5000 {
		t.Fatalf("dry run wrote the submitted value: %s %v", status, value)
	}
	sum, err = run(t, db, ctx, "fix.csv", []byte(csv), false, 0)
	if err != nil || sum.Status != importer.Committed || sum.Updated != 2 {
		t.Fatalf("import: %v %+v", err, sum)
	}
	if status, value, version, why := head(t, db, retRegion); status != "DRAFT" || value != 41 || version != retVersion+1 || why == nil || *why != reason {
		t.Fatalf("corrected returned value: %s %v v%d reason %v, want DRAFT 41 v%d %q", status, value, version, why, retVersion+1, reason)
	}
	if status, value, version, _ := head(t, db, subRegion); status != "DRAFT" || value != 5000 || version != subVersion+1 {
		t.Fatalf("edited submitted value: %s %v v%d, want DRAFT 5000 v%d", status, value, version, subVersion+1)
	}
	_, err = wf.TransitionSeen(coordinator, hub.TransitionRequest{IDs: []int{subID}, ExpectedVersions: []int{subVersion}, To: hub.Approved})
	if hub.ErrorCode(err) != hub.ECONFLICT {
		t.Fatalf("approving the reviewed version after the import changed it: %v, want CONFLICT", err)
	}
}
