package graph_test

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/trusted"
)

const (
	trustedMe  = "query Me { me { name role } }"
	trustedCmp = `query Comparison { comparison(indicator: "child_directors", period: "2022") { region { name } rank } }`
	unlisted   = "query Regions { regions(level: COUNTY) { code name } }"
)

func persisted(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

// trustedAPI serves the demo with the documents of manifest as the only
// ones non-admins may run, and returns a leader's and an admin's tokens.
func trustedAPI(t *testing.T, manifest string) (api *apitest.API, leader, admin string) {
	t.Helper()
	docs, err := trusted.Read(strings.NewReader(manifest))
	if err != nil {
		t.Fatal(err)
	}
	if err := graph.CheckTrustedDocuments(docs); err != nil {
		t.Fatal(err)
	}
	api = apitest.New(t, apitest.Options{TrustedDocuments: docs})
	leader = api.User(t, hub.NewUser{Name: "td-leader", Role: hub.Leader, Region: "370700"})
	admin = api.User(t, hub.NewUser{Name: "td-admin", Role: hub.Admin, Region: "370700"})
	return api, leader, admin
}

func wantData(t *testing.T, what string, r *apitest.Response, has string) {
	t.Helper()
	if len(r.Errors) > 0 || r.Status != http.StatusOK || !strings.Contains(string(r.Data), has) {
		t.Errorf("%s: %d %s %+v", what, r.Status, r.Data, r.Errors)
	}
}

func wantNotAllowed(t *testing.T, what string, r *apitest.Response) {
	t.Helper()
	if r.Code() != "PERSISTED_QUERY_NOT_ALLOWED" || (len(r.Data) > 0 && string(r.Data) != "null") {
		t.Errorf("%s: want PERSISTED_QUERY_NOT_ALLOWED without data, got %d %s %+v", what, r.Status, r.Data, r.Errors)
		return
	}
	if msg := r.Errors[0].Message; !strings.Contains(msg, "trusted documents") || !strings.Contains(msg, "可信文档") {
		t.Errorf("%s: message does not say why: %q", what, msg)
	}
}

// TestTrustedDocuments_ApolloManifest: with Apollo's persisted query
// manifest, a leader runs a listed operation sent in full or by its
// SHA-256 alone, and is refused anything else (an unlisted text, an
// unknown hash, a listed hash with another text); an admin runs anything;
// a caller without a token is refused too.
func TestTrustedDocuments_ApolloManifest(t *testing.T) {
	b, _ := json.Marshal(map[string]any{"format": "apollo-persisted-query-manifest", "version": 1, "operations": []map[string]string{
		{"id": trusted.SHA256(trustedMe), "name": "Me", "type": "query", "body": trustedMe},
		{"id": trusted.SHA256(trustedCmp), "name": "Comparison", "type": "query", "body": trustedCmp},
	}})
	api, leader, admin := trustedAPI(t, string(b))

	wantData(t, "leader, listed text", api.Do(t, leader, trustedMe, nil), `"name":"td-leader"`)
	wantData(t, "leader, by hash", api.DoParams(t, leader, map[string]any{"extensions": persisted(trusted.SHA256(trustedCmp))}), "青州市")
	wantData(t, "leader, text and its hash", api.DoParams(t, leader, map[string]any{"query": trustedMe, "extensions": persisted(trusted.SHA256(trustedMe))}), "td-leader")
	wantNotAllowed(t, "leader, unlisted text", api.Do(t, leader, unlisted, nil))
	wantNotAllowed(t, "leader, unlisted text that differs by a blank", api.Do(t, leader, trustedMe+" ", nil))
	wantNotAllowed(t, "leader, unknown hash", api.DoParams(t, leader, map[string]any{"extensions": persisted(trusted.SHA256(unlisted))}))
	wantNotAllowed(t, "leader, unlisted text with its own hash (automatic persisted query)",
		api.DoParams(t, leader, map[string]any{"query": unlisted, "extensions": persisted(trusted.SHA256(unlisted))}))
	if r := api.DoParams(t, leader, map[string]any{"query": unlisted, "extensions": persisted(trusted.SHA256(trustedMe))}); r.Code() != hub.EINVALID {
		t.Errorf("listed hash with another text: %s %+v", r.Data, r.Errors)
	}
	wantNotAllowed(t, "no token, unlisted", api.Do(t, "", "{ __typename }", nil))

	wantData(t, "admin, unlisted text", api.Do(t, admin, unlisted, nil), "潍城区")
	wantData(t, "admin, listed hash", api.DoParams(t, admin, map[string]any{"extensions": persisted(trusted.SHA256(trustedMe))}), "td-admin")

	// Under application/graphql-response+json the refusal is a request
	// error: 400, no data.
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"`+unlisted+`"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/graphql-response+json")
	r.Header.Set("Authorization", "Bearer "+leader)
	w := httptest.NewRecorder()
	api.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest || strings.Contains(w.Body.String(), `"data"`) || !strings.Contains(w.Body.String(), "PERSISTED_QUERY_NOT_ALLOWED") {
		t.Errorf("graphql-response+json: %d %s", w.Code, w.Body)
	}
}

// TestTrustedDocuments_CodegenPersistedDocuments: graphql-codegen's
// client preset writes {hash: document} with SHA-1 hashes by default and
// sends that hash as sha256Hash; both it and the text's SHA-256 name the
// document.
func TestTrustedDocuments_CodegenPersistedDocuments(t *testing.T) {
	sum := sha1.Sum([]byte(trustedMe))
	id := hex.EncodeToString(sum[:])
	b, _ := json.Marshal(map[string]string{id: trustedMe})
	api, leader, _ := trustedAPI(t, string(b))

	wantData(t, "by the codegen hash", api.DoParams(t, leader, map[string]any{"extensions": persisted(id)}), "td-leader")
	wantData(t, "by the SHA-256", api.DoParams(t, leader, map[string]any{"extensions": persisted(trusted.SHA256(trustedMe))}), "td-leader")
	wantData(t, "in full", api.Do(t, leader, trustedMe, nil), "td-leader")
	wantNotAllowed(t, "unlisted", api.Do(t, leader, trustedCmp, nil))
}

// TestTrustedDocuments_WithoutAManifestAnythingRuns: the default serves
// any document and keeps automatic persisted queries.
func TestTrustedDocuments_WithoutAManifestAnythingRuns(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	leader := api.User(t, hub.NewUser{Name: "td-leader", Role: hub.Leader, Region: "370700"})
	wantData(t, "unlisted", api.Do(t, leader, unlisted, nil), "潍城区")
	if r := api.DoParams(t, leader, map[string]any{"extensions": persisted(trusted.SHA256(unlisted))}); r.Code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Errorf("unknown hash without a manifest: %s %+v", r.Data, r.Errors)
	}
}

// TestCheckTrustedDocuments_RefusesADocumentOfAnotherSchema: the hub does
// not start on a manifest whose operations do not validate.
func TestCheckTrustedDocuments_RefusesADocumentOfAnotherSchema(t *testing.T) {
	docs, err := trusted.Read(strings.NewReader(`{"a": "query Me { me { name shoeSize } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := graph.CheckTrustedDocuments(docs); err == nil || !strings.Contains(err.Error(), "shoeSize") {
		t.Errorf("want a refusal naming the field, got %v", err)
	}
}
