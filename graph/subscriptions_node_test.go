package graph_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/live"
)

// TestSubscriptions_NodeGraphQLWSClient: the npm graphql-ws client
// (tools/js/live.mjs) subscribes as a city leader on one hub and as a
// county leader of 潍城区 on another, over one database. The city leader
// receives both approvals, the county leader only its own county's (its
// one event is 370702's), and a bad token is closed with 4401.
func TestSubscriptions_NodeGraphQLWSClient(t *testing.T) {
	// As nodeTools (introspection_test.go, package graph): skipped without
	// Node or tools/js/node_modules, except under CI.
	dir, _ := filepath.Abs("../tools/js")
	_, errNode := exec.LookPath("node")
	_, errMod := os.Stat(filepath.Join(dir, "node_modules", "graphql-ws", "package.json"))
	if err := errors.Join(errNode, errMod); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node or tools/js/node_modules/graphql-ws missing (run npm ci in tools/js): %v", err)
		}
		t.Skipf("node or tools/js/node_modules/graphql-ws missing: %v", err)
	}
	f := newLiveFixture(t, live.Limits{})
	b := apitest.New(t, apitest.Options{DB: f.api.DB, Live: &live.Limits{}})
	srvA, srvB := serveLive(t, f.api.Handler), serveLive(t, b.Handler)
	city := f.api.User(t, hub.NewUser{Name: "node-city-leader", Role: hub.Leader, Region: "370700"})
	county := f.api.User(t, hub.NewUser{Name: "node-county-leader", Role: hub.Leader, Region: "370702"})

	run := func(url, who, token string, events int) (*exec.Cmd, *bufio.Scanner) {
		cmd := exec.Command("node", "live.mjs")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HUB_WS="+url, "HUB_TOKENS="+who+"="+token,
			`HUB_FILTER={"indicators":["minors_total"],"periods":["2030"]}`, "HUB_EVENTS="+who+"="+string(rune('0'+events)))
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd, bufio.NewScanner(stdout)
	}
	cityCmd, cityOut := run(wsURL(srvA), "city", city, 2)
	countyCmd, countyOut := run(wsURL(srvB), "county", county, 1)
	waitSubscriptions(t, f.api.Live, 1)
	waitSubscriptions(t, b.Live, 1)

	f.approve(t, b, "370705", 45)
	f.approve(t, f.api, "370702", 46)

	type line struct {
		Who       string
		CloseCode *int
		Errors    []any
		Values    []struct {
			Status, Period string
			Value          float64
			Region         struct{ Code string }
		}
	}
	read := func(name string, cmd *exec.Cmd, sc *bufio.Scanner) (regions []string, bad *int) {
		for sc.Scan() {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("%s: %q: %v", name, sc.Text(), err)
			}
			switch {
			case l.Who == "bad":
				bad = l.CloseCode
			case len(l.Errors) > 0:
				t.Fatalf("%s: %s", name, sc.Text())
			default:
				for _, v := range l.Values {
					regions = append(regions, v.Region.Code+" "+v.Status)
				}
			}
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("node live.mjs (%s): %v", name, err)
		}
		return regions, bad
	}
	got, bad := read("city", cityCmd, cityOut)
	if strings.Join(got, ",") != "370705 APPROVED,370702 APPROVED" {
		t.Errorf("city leader received %v", got)
	}
	if bad == nil || *bad != 4401 {
		t.Errorf("bad token: close code %v, want 4401", bad)
	}
	got, _ = read("county", countyCmd, countyOut)
	if strings.Join(got, ",") != "370702 APPROVED" {
		t.Errorf("county leader received %v, want only 370702", got)
	}
}
