package graph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/live"
	"github.com/sixprot/hub/internal/trusted"
)

// TestTrustedDocuments_BindSubscriptions: the list of trusted documents
// binds every transport, subscriptions included. With a manifest that
// lists only one query, a leader may run that query over WebSocket but
// its valuesChanged subscription is refused PERSISTED_QUERY_NOT_ALLOWED,
// over WebSocket and over SSE, and the broker never holds it; an admin's
// same subscription, on either transport, is held and hears an approval
// (made through a second stack, without a manifest, on the same database).
func TestTrustedDocuments_BindSubscriptions(t *testing.T) {
	b, _ := json.Marshal(map[string]string{trusted.SHA256(trustedMe): trustedMe})
	docs, err := trusted.Read(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	a := apitest.New(t, apitest.Options{TrustedDocuments: docs, Live: &live.Limits{}})
	open := apitest.New(t, apitest.Options{DB: a.DB})
	dept := "civil_affairs"
	f := &liveFixture{api: a,
		analyst:     a.User(t, hub.NewUser{Name: "tdl-analyst", Role: hub.Analyst, Department: &dept, Region: "370700"}),
		coordinator: a.User(t, hub.NewUser{Name: "tdl-coordinator", Role: hub.Coordinator, Region: "370700"}),
	}
	leader := a.User(t, hub.NewUser{Name: "tdl-leader", Role: hub.Leader, Region: "370700"})
	admin := a.User(t, hub.NewUser{Name: "tdl-admin", Role: hub.Admin, Region: "370700"})
	srv := serveLive(t, a.Handler)
	filter := map[string]any{"f": map[string]any{"indicators": []string{"minors_total"}, "periods": []string{"2030"}}}

	// errorCode is extensions.code of the first error of a payload
	// (a next's {errors: [...]} or an error's [...]).
	errorCode := func(p json.RawMessage) string {
		var errs []struct{ Extensions struct{ Code string } }
		var resp struct {
			Errors []struct{ Extensions struct{ Code string } }
		}
		if json.Unmarshal(p, &errs) != nil {
			_ = json.Unmarshal(p, &resp)
			errs = resp.Errors
		}
		if len(errs) == 0 {
			return ""
		}
		return errs[0].Extensions.Code
	}

	// WebSocket, leader: the listed query runs, the subscription is refused.
	lc, err := dialLive(t, wsURL(srv), nil, bearer(leader))
	if err != nil {
		t.Fatal(err)
	}
	lc.subscribe("me", trustedMe, nil)
	if m := lc.mustNext(); m.ID != "me" || m.Type != "next" || errorCode(m.Payload) != "" || !strings.Contains(string(m.Payload), "tdl-leader") {
		t.Fatalf("leader, listed query over WebSocket: %s %s %s", m.ID, m.Type, m.Payload)
	}
	if m := lc.mustNext(); m.ID != "me" || m.Type != "complete" {
		t.Fatalf("leader, listed query over WebSocket, want complete: %s %s %s", m.ID, m.Type, m.Payload)
	}
	lc.subscribe("1", valuesSub, filter)
	m := lc.mustNext()
	if m.ID != "1" || (m.Type != "next" && m.Type != "error") || errorCode(m.Payload) != "PERSISTED_QUERY_NOT_ALLOWED" ||
		strings.Contains(string(m.Payload), `"valuesChanged"`) {
		t.Fatalf("leader, subscription over WebSocket: want PERSISTED_QUERY_NOT_ALLOWED, got %s %s %s", m.ID, m.Type, m.Payload)
	}

	// SSE, leader: refused too, and the stream ends.
	if body := readAll(sse(t, srv, leader, valuesSub, filter)); !strings.Contains(body, `"PERSISTED_QUERY_NOT_ALLOWED"`) || strings.Contains(body, `"valuesChanged"`) {
		t.Fatalf("leader, subscription over SSE: %s", body)
	}
	if n := a.Live.Len(); n != 0 {
		t.Fatalf("the broker holds %d subscriptions after the leader's refusals", n)
	}

	// Admin, on both transports: held, and told of an approval.
	ac, err := dialLive(t, wsURL(srv), nil, bearer(admin))
	if err != nil {
		t.Fatal(err)
	}
	ac.subscribe("1", valuesSub, filter)
	stream := sse(t, srv, admin, valuesSub, filter)
	waitSubscriptions(t, a.Live, 2)
	f.approve(t, open, "370705", 42)
	untilApproved(t, ac, "1", "DRAFT", "SUBMITTED", "APPROVED")
	for {
		var ev struct {
			Data   valuesEvent
			Errors []any
		}
		p := nextSSE(t, stream)
		if err := json.Unmarshal(p, &ev); err != nil || len(ev.Errors) > 0 || len(ev.Data.ValuesChanged.Values) != 1 {
			t.Fatalf("admin over SSE: %v %s", err, p)
		}
		if v := ev.Data.ValuesChanged.Values[0]; v.Status == "APPROVED" {
			if v.Region.Code != "370705" || *v.Value != 42 {
				t.Fatalf("admin over SSE: %s", p)
			}
			break
		}
	}
}
