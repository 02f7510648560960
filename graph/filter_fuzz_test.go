package graph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// FuzzDataValuesFilter sends dataValues any filter strings (indicator,
// region code, period, department), page size and cursor as GraphQL
// variables, as an analyst scoped to 青州市 (370781). Whatever comes in,
// the answer is JSON with either data or a user-facing error code (never
// INTERNAL), and every value returned lies in the analyst's region.
func FuzzDataValuesFilter(f *testing.F) {
	api := apitest.New(f, apitest.Options{})
	dept := "education"
	token := api.User(f, hub.NewUser{Name: "fuzz-analyst", Role: hub.Analyst, Department: &dept, Region: "370781"})
	for _, s := range [][4]string{
		{"child_directors", "370781", "2022", "education"},
		{"", "370700", "2022Q3", ""},
		{"x' OR 1=1 --", "370781%", "2022-13", "civil_affairs"},
		{"child_directors", "370705", "2021", "civil_affairs"},
		{"指标", "3707810010", "9999", "\x00"},
		{"a/b/c", "", "2022-07", "education"},
	} {
		f.Add(s[0], s[1], s[2], s[3], 10, "")
	}
	f.Add("child_directors", "370781", "2022", "", 1, "Y2hpbGRfZGlyZWN0b3JzLzIwMjIvMzcwNzgx")
	f.Add("", "", "", "", -1, "!!")
	f.Add("", "", "", "", 100000, "YS9iL2M")
	const q = `query($f: DataValueFilter!, $first: Int, $after: String) {
  dataValues(filter: $f, first: $first, after: $after) { totalCount edges { cursor node { region { code } } } pageInfo { hasNextPage } } }`
	f.Fuzz(func(t *testing.T, ind, region, period, department string, first int, after string) {
		filter := map[string]any{}
		for k, v := range map[string]string{"indicators": ind, "regions": region, "periods": period, "departments": department} {
			if v != "" {
				filter[k] = []string{v}
			}
		}
		vars := map[string]any{"f": filter, "first": first}
		if after != "" {
			vars["after"] = after
		}
		resp := api.Do(t, token, q, vars)
		if len(resp.Errors) > 0 {
			switch c := resp.Code(); c {
			case hub.EINVALID, "GRAPHQL_VALIDATION_FAILED", hub.ETOOCOMPLEX, hub.ENOTFOUND:
			default:
				t.Fatalf("filter %q: status %d, code %q: %+v", filter, resp.Status, c, resp.Errors)
			}
			return
		}
		var out struct {
			DataValues struct {
				Edges []struct {
					Node struct{ Region struct{ Code string } }
				}
			}
		}
		if err := json.Unmarshal(resp.Data, &out); err != nil {
			t.Fatalf("data: %v", err)
		}
		for _, e := range out.DataValues.Edges {
			if !strings.HasPrefix(e.Node.Region.Code, "370781") {
				t.Fatalf("filter %q: analyst of 370781 sees a value of %s", filter, e.Node.Region.Code)
			}
		}
	})
}
