package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
)

// intakeStep is one section of docs/intake.md's "Sending a month": the
// request body inside its curl block (or the previous section's) and the
// answer documented under it.
type intakeStep struct {
	heading, curl, body, answer string
}

// intakeSteps reads the sections of "## Sending a month" in docs/intake.md.
func intakeSteps(t *testing.T) []intakeStep {
	t.Helper()
	doc, err := os.ReadFile("../docs/intake.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Sending a month\n")
	if !ok {
		t.Fatal(`docs/intake.md has no section "## Sending a month"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var steps []intakeStep
	prev := intakeStep{}
	for _, part := range strings.Split(section, "\n### ")[1:] {
		heading, text, _ := strings.Cut(part, "\n")
		st := intakeStep{heading: heading, curl: prev.curl, body: prev.body}
		if _, block, ok := strings.Cut(text, "```sh\n"); ok {
			block, _, _ = strings.Cut(block, "```")
			curl, body, ok := strings.Cut(block, "<<'JSON'\n")
			if !ok {
				t.Fatalf("%s: the curl block has no <<'JSON' body", heading)
			}
			body, _, ok = strings.Cut(body, "\nJSON\n")
			if !ok {
				t.Fatalf("%s: the JSON body does not end with a line JSON", heading)
			}
			st.curl, st.body = curl, body
		}
		_, answer, ok := strings.Cut(text, "```json\n")
		if !ok {
			t.Fatalf("%s: no documented answer (a json block)", heading)
		}
		st.answer, _, _ = strings.Cut(answer, "```")
		steps = append(steps, st)
		prev = st
	}
	return steps
}

// TestIntakeDoc_RequestsRunAsWritten sends the requests of docs/intake.md
// as written, with a service account's token as the page issues it, and
// checks every documented answer: the first batch is created, the same
// batch again unchanged, a corrected batch updated, a batch with conflicts
// refused by input with its codes and messages (and nothing written), and
// an expired token UNAUTHENTICATED.
func TestIntakeDoc_RequestsRunAsWritten(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	ctx := context.Background()
	auth := postgres.NewAuthService(api.DB.Owner)
	ca := "civil_affairs"
	if _, err := auth.CreateUser(ctx, hub.NewUser{Name: "qz-visit-platform", Role: hub.Analyst, Department: &ca,
		Region: "370781", Service: true}); err != nil {
		t.Fatal(err)
	}
	token, err := auth.IssueToken(ctx, "qz-visit-platform", 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := auth.IssueToken(ctx, "qz-visit-platform", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.DB.OwnerConn(t).Exec(ctx, `UPDATE tokens SET created_at = now() - interval '2 hours',
  expires_at = now() - interval '1 hour' WHERE id = $1`, expired.ID); err != nil {
		t.Fatal(err)
	}

	steps := intakeSteps(t)
	if len(steps) < 5 {
		t.Fatalf("docs/intake.md documents %d steps, want the first batch, a repeat, a correction, conflicts and an expired token", len(steps))
	}
	for _, st := range steps {
		for _, want := range []string{"/graphql", `-H "Authorization: Bearer $HUB_TOKEN"`, `-H 'Content-Type: application/json'`, "--data-binary @-"} {
			if !strings.Contains(st.curl, want) {
				t.Errorf("%s: the curl command lacks %s", st.heading, want)
			}
		}
		tok := token.Token
		if strings.Contains(st.heading, "expired token") {
			tok = expired.Token
		}
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(st.body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		api.Handler.ServeHTTP(rec, req)
		wantCode := http.StatusOK
		if strings.Contains(st.heading, "expired token") {
			wantCode = http.StatusUnauthorized // the HTTP edge refuses it before GraphQL
		}
		if rec.Code != wantCode {
			t.Errorf("%s: HTTP %d, want %d", st.heading, rec.Code, wantCode)
		}
		var got, want any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v", st.heading, err)
		}
		if err := json.Unmarshal([]byte(st.answer), &want); err != nil || !reflect.DeepEqual(got, want) {
			var b bytes.Buffer
			_ = json.Compact(&b, rec.Body.Bytes())
			t.Errorf("%s: the hub answered\n%s\ndocs/intake.md says\n%s", st.heading, b.String(), st.answer)
		}
	}
	var stored []string
	rows, _ := api.DB.OwnerConn(t).Query(ctx, `SELECT region_code || ' ' || indicator_key || ' ' || value || ' v' || version
FROM data_values WHERE indicator_key IN ('companion_cards_issued', 'companion_visits') ORDER BY 1`)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		stored = append(stored, s)
	}
	want := []string{"370781001 companion_cards_issued 12 v1", "370781001 companion_visits 57 v1",
		"370781002 companion_cards_issued 8 v1", "370781002 companion_visits 33 v2"}
	if !reflect.DeepEqual(stored, want) {
		t.Fatalf("stored after the doc's requests: %q, want %q (the correction edits the draft in place as version 2; the batch with conflicts wrote nothing)", stored, want)
	}
}
