package dashboard

import (
	"encoding/json"
	"sync"
)

// boundaryFiles are the vendored boundaries (assets/maps, README.md
// there), by the code of the region whose children they draw. ECharts
// registers each under that code.
var boundaryFiles = map[string]string{"370700": "maps/shan1_dong1_wei2_fang1.geojson"}

// boundaryNames returns the names of the features of parent's boundary
// file (nil without one): the map's regions are matched to the hub's by
// name, as ECharts matches data to features.
func boundaryNames(parent string) map[string]bool {
	names, _ := boundaries()
	return names[parent]
}

var boundaries = sync.OnceValues(func() (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	for code, file := range boundaryFiles {
		b, err := files.ReadFile("assets/" + file)
		if err != nil {
			return nil, err
		}
		var fc struct {
			Features []struct {
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			} `json:"features"`
		}
		if err := json.Unmarshal(b, &fc); err != nil {
			return nil, err
		}
		out[code] = map[string]bool{}
		for _, f := range fc.Features {
			out[code][f.Properties.Name] = true
		}
	}
	return out, nil
})
