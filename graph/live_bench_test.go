package graph_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/live"
)

// liveKeys submits n values of civil-affairs indicators (2031 onwards, in
// the counties other than 潍城区 370702) and moves them to SUBMITTED, in
// bulk; it returns their ids, ready to be approved one by one.
func liveKeys(b *testing.B, f *liveFixture, n int) []string {
	b.Helper()
	var regions struct{ Regions []struct{ Code string } }
	f.api.Query(b, f.coordinator, `{ regions(level: COUNTY) { code } }`, nil, &regions)
	var in []any
	for _, ind := range []string{"social_service_projects", "charity_participants", "companion_activities"} {
		for year := 2031; year <= hub.MaxYear; year++ {
			for _, r := range regions.Regions {
				if r.Code != "370702" && len(in) < n {
					in = append(in, map[string]any{"indicator": ind, "region": r.Code, "period": fmt.Sprint(year), "value": year - 2000})
				}
			}
		}
	}
	if len(in) < n {
		b.Fatalf("only %d keys", len(in))
	}
	var out struct {
		SubmitValues struct {
			Conflicts []struct{ Code, Message string }
			Values    []struct{ ID string }
		}
	}
	f.api.Query(b, f.analyst, `mutation($in: [DataValueInput!]!) { submitValues(input: $in) { conflicts { code message } values { id } } }`,
		map[string]any{"in": in}, &out)
	if len(out.SubmitValues.Conflicts) > 0 || len(out.SubmitValues.Values) != n {
		b.Fatalf("submit: %d values, conflicts %+v", len(out.SubmitValues.Values), out.SubmitValues.Conflicts)
	}
	ids := make([]string, n)
	for i, v := range out.SubmitValues.Values {
		ids[i] = v.ID
	}
	f.api.Query(b, f.analyst, `mutation($ids: [ID!]!) { transition(ids: $ids, to: SUBMITTED) { id } }`, map[string]any{"ids": ids}, nil)
	return ids
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkLive_ApprovalToSubscriber approves 1,000 values one at a time
// over HTTP on loopback and times each until a city leader's WebSocket
// subscription has it; a leader of 潍城区, whose county none of the values
// is in, subscribes too and must be told nothing.
//
//	CI=true go test ./graph -run '^$' -bench Live_ApprovalToSubscriber -benchtime 1x
func BenchmarkLive_ApprovalToSubscriber(b *testing.B) {
	const n = 1000
	b.StopTimer()
	f := benchFixture(b, live.Limits{})
	srv := httptest.NewServer(f.api.Handler)
	defer srv.Close()
	leader := f.api.User(b, hub.NewUser{Name: "bench-live-leader", Role: hub.Leader, Region: "370700"})
	outsider := f.api.User(b, hub.NewUser{Name: "bench-live-outsider", Role: hub.Leader, Region: "370702"})
	const sub = `subscription { valuesChanged { values { id status } } }`
	c, err := dialLive(b, wsURL(srv), nil, bearer(leader))
	if err != nil {
		b.Fatal(err)
	}
	c.subscribe("1", sub, nil)
	o, err := dialLive(b, wsURL(srv), nil, bearer(outsider))
	if err != nil {
		b.Fatal(err)
	}
	o.subscribe("1", sub, nil)
	waitLen(b, f.api.Live, 2)
	ids := liveKeys(b, f, n)

	var fromRequest, fromAnswer []time.Duration
	early := 0
	b.StartTimer()
	for range b.N {
		fromRequest, fromAnswer, early = fromRequest[:0], fromAnswer[:0], 0
		for i, id := range ids {
			t0 := time.Now()
			// Approvals after the first round re-approve nothing: only the
			// first round of b.N is meaningful (-benchtime 1x).
			f.api.Query(b, f.coordinator, `mutation($ids: [ID!]!) { transition(ids: $ids, to: APPROVED) { id } }`, map[string]any{"ids": []string{id}}, nil)
			t1 := time.Now()
			ev := c.nextValues("1")
			t2 := time.Now()
			if v := ev.ValuesChanged.Values; len(v) != 1 || v[0].ID != id || v[0].Status != "APPROVED" {
				b.Fatalf("approval %d: %+v", i, ev)
			}
			fromRequest = append(fromRequest, t2.Sub(t0))
			d := t2.Sub(t1)
			if c.lastArrival.Before(t1) {
				early++
				d = 0
			}
			fromAnswer = append(fromAnswer, d)
		}
	}
	b.StopTimer()
	outsiderEvents := len(o.msgs)
	b.ReportMetric(float64(percentile(fromRequest, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(fromRequest, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(percentile(fromAnswer, 0.5).Microseconds())/1000, "p50-after-answer-ms")
	b.ReportMetric(float64(percentile(fromAnswer, 0.99).Microseconds())/1000, "p99-after-answer-ms")
	b.ReportMetric(float64(outsiderEvents), "outsider-events")
	b.Logf("%d approvals: approval sent → subscriber has it p50 %s p99 %s max %s; after the approval's answer p50 %s p99 %s (%d arrived before the answer); events to the 潍城区 leader: %d",
		len(ids), percentile(fromRequest, 0.5), percentile(fromRequest, 0.99), percentile(fromRequest, 1), percentile(fromAnswer, 0.5), percentile(fromAnswer, 0.99), early, outsiderEvents)
	if outsiderEvents != 0 {
		m := <-o.msgs
		b.Fatalf("the 潍城区 leader was told of %d changes it may not read: %s", outsiderEvents, m.Payload)
	}
}

// BenchmarkLive_ThousandSubscribers holds 1,000 WebSocket subscriptions of
// city leaders and 100 of 潍城区 leaders, reports the memory and
// goroutines per subscriber (server and client in this one process), and
// times one approval's fan-out to all 1,000; the 100 must hear nothing of
// it (their first event is a later approval in their own county).
//
//	CI=true go test ./graph -run '^$' -bench Live_ThousandSubscribers -benchtime 1x
func BenchmarkLive_ThousandSubscribers(b *testing.B) {
	const leaders, outsiders = 1000, 100
	b.StopTimer()
	f := benchFixture(b, live.Limits{PerPrincipal: leaders, Total: leaders + outsiders})
	srv := httptest.NewServer(f.api.Handler)
	defer srv.Close()
	leader := f.api.User(b, hub.NewUser{Name: "bench-live-leader", Role: hub.Leader, Region: "370700"})
	outsider := f.api.User(b, hub.NewUser{Name: "bench-live-outsider", Role: hub.Leader, Region: "370702"})
	ids := liveKeys(b, f, 1)
	// A SUBMITTED value of 潍城区 for the outsiders' own event.
	var own struct {
		SubmitValues struct{ Values []struct{ ID string } }
	}
	f.api.Query(b, f.analyst, `mutation { submitValues(input: [{indicator: "social_service_projects", region: "370702", period: "2031", value: 1}]) { values { id } } }`, nil, &own)
	ownID := own.SubmitValues.Values[0].ID
	f.api.Query(b, f.analyst, `mutation($ids: [ID!]!) { transition(ids: $ids, to: SUBMITTED) { id } }`, map[string]any{"ids": []string{ownID}}, nil)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	const sub = `subscription { valuesChanged(filter: {indicators: ["social_service_projects"]}) { values { id } } }`
	clients := make([]*liveClient, leaders+outsiders)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			token := leader
			if i >= leaders {
				token = outsider
			}
			c, err := dialLive(b, wsURL(srv), nil, bearer(token))
			if err != nil {
				b.Error(err)
				return
			}
			c.subscribe("1", sub, nil)
			clients[i] = c
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	waitLen(b, f.api.Live, leaders+outsiders)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	per := float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse) / float64(leaders+outsiders)
	goroutines := float64(runtime.NumGoroutine()-g0) / float64(leaders+outsiders)

	b.StartTimer()
	t0 := time.Now()
	f.api.Query(b, f.coordinator, `mutation($ids: [ID!]!) { transition(ids: $ids, to: APPROVED) { id } }`, map[string]any{"ids": ids}, nil)
	var last atomic.Int64
	for _, c := range clients[:leaders] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := c.nextValues("1")
			if len(ev.ValuesChanged.Values) != 1 || ev.ValuesChanged.Values[0].ID != ids[0] {
				b.Errorf("leader: %+v", ev)
			}
			d := int64(time.Since(t0))
			for {
				old := last.Load()
				if d <= old || last.CompareAndSwap(old, d) {
					break
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	// The outsiders' first event is their own county's approval.
	f.api.Query(b, f.coordinator, `mutation($ids: [ID!]!) { transition(ids: $ids, to: APPROVED) { id } }`, map[string]any{"ids": []string{ownID}}, nil)
	leaked := 0
	for _, c := range clients[leaders:] {
		ev := c.nextValues("1")
		if len(ev.ValuesChanged.Values) != 1 || ev.ValuesChanged.Values[0].ID != ownID {
			leaked++
		}
	}
	b.ReportMetric(per/1024, "KiB/subscriber")
	b.ReportMetric(goroutines, "goroutines/subscriber")
	b.ReportMetric(float64(time.Duration(last.Load()).Microseconds())/1000, "fanout-ms")
	b.ReportMetric(float64(leaked), "outsider-events")
	b.Logf("%d subscriptions: %.1f KiB and %.1f goroutines each (hub and client in one process); one approval reached all %d city leaders %s after it was sent; the %d 潍城区 leaders were told of it: %d",
		leaders+outsiders, per/1024, goroutines, leaders, time.Duration(last.Load()), outsiders, leaked)
	if leaked != 0 {
		b.Fatalf("%d 潍城区 leaders were told of a change they may not read", leaked)
	}
}

// benchFixture is newLiveFixture for a benchmark.
func benchFixture(b *testing.B, limits live.Limits) *liveFixture {
	b.Helper()
	api := apitest.New(b, apitest.Options{Live: &limits})
	dept := "civil_affairs"
	return &liveFixture{api: api,
		analyst:     api.User(b, hub.NewUser{Name: "live-analyst", Role: hub.Analyst, Department: &dept, Region: "370700"}),
		coordinator: api.User(b, hub.NewUser{Name: "live-coordinator", Role: hub.Coordinator, Region: "370700"}),
	}
}

func waitLen(b testing.TB, br *live.Broker, n int) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for br.Len() != n {
		if ctx.Err() != nil {
			b.Fatalf("broker holds %d subscriptions, want %d", br.Len(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
