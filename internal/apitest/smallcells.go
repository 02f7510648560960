package apitest

import (
	"context"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// SmallCells describes figures of a sensitive indicator published to the
// media office by PublishSmallCells.
type SmallCells struct {
	Indicator, Name, Period string
	// Small is the county whose count is below the suppression threshold.
	Small string
	// Values are the published counts by county.
	Values map[string]float64
	// Coordinator is the token of the coordinator who published them.
	Coordinator string
}

// SmallCellIndicator is the sensitive indicator PublishSmallCells uses:
// orphans and children in distress given basic living support, a count
// collected per county, APPROVED for 2022 in the demo.
const SmallCellIndicator = "distressed_children_aided"

// PublishSmallCells gives the demo's approved 2022 counts of
// SmallCellIndicator in counties the figures of SmallCells.Values (3 for
// the first county, 40 and more for the others, all EXACT), and publishes
// them as a coordinator does: marked releasable as headline figures, then
// published. The first county's 3 is the small cell.
func (a *API) PublishSmallCells(t testing.TB, counties ...string) *SmallCells {
	t.Helper()
	s := &SmallCells{Indicator: SmallCellIndicator, Name: "孤困儿童基本生活保障人数", Period: "2022", Small: counties[0],
		Values: map[string]float64{}}
	values := make([]float64, len(counties))
	for i, c := range counties {
		values[i] = 3
		if i > 0 {
			values[i] = float64(40 + 7*i)
		}
		s.Values[c] = values[i]
	}
	conn := a.DB.OwnerConn(t)
	tag, err := conn.Exec(context.Background(), `UPDATE data_values v SET value = x.value, qualifier = 'EXACT'
FROM unnest($1::text[], $2::float8[]) AS x(code, value)
WHERE v.indicator_key = $3 AND v.period = $4 AND v.region_code = x.code AND v.is_released AND v.status = 'APPROVED'`,
		counties, values, s.Indicator, s.Period)
	if err != nil {
		t.Fatal(err)
	}
	if int(tag.RowsAffected()) != len(counties) {
		t.Fatalf("%d approved %s values of %v, want %d", tag.RowsAffected(), s.Indicator, counties, len(counties))
	}
	s.Coordinator = a.User(t, hub.NewUser{Name: "small-cells-coordinator", Role: hub.Coordinator, Region: "370700"})
	var found struct {
		DataValues struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	a.Query(t, s.Coordinator, `query($i: [ID!], $p: [String!], $r: [ID!]) {
  dataValues(filter: {indicators: $i, periods: $p, regions: $r, statuses: [APPROVED]}, first: 100) { edges { node { id } } } }`,
		map[string]any{"i": []string{s.Indicator}, "p": []string{s.Period}, "r": counties}, &found)
	ids := make([]string, len(found.DataValues.Edges))
	for i, e := range found.DataValues.Edges {
		ids[i] = e.Node.ID
	}
	if len(ids) != len(counties) {
		t.Fatalf("coordinator sees %d of %d values to publish", len(ids), len(counties))
	}
	vars := map[string]any{"i": ids}
	a.Query(t, s.Coordinator, `mutation($i: [ID!]!) { setReleasable(ids: $i, releasable: true) }`, vars, nil)
	a.Query(t, s.Coordinator, `mutation($i: [ID!]!) { publish(ids: $i, title: "困境儿童保障 2022") { id } }`, vars, nil)
	return s
}
