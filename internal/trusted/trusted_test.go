package trusted_test

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/trusted"
)

const (
	me         = "query Me { me { name role } }"
	comparison = "query Comparison($p: String!) { comparison(indicator: \"child_directors\", period: $p) { region { name } rank } }"
)

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func apollo(ops ...map[string]string) string {
	b, _ := json.Marshal(map[string]any{"format": "apollo-persisted-query-manifest", "version": 1, "operations": ops})
	return string(b)
}

func TestRead_ApolloManifest(t *testing.T) {
	d, err := trusted.Read(strings.NewReader(apollo(
		map[string]string{"id": trusted.SHA256(me), "name": "Me", "type": "query", "body": me},
		map[string]string{"id": strings.ToUpper(trusted.SHA256(comparison)), "name": "Comparison", "type": "query", "body": comparison},
	)))
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 2 || d.Format() != "apollo-persisted-query-manifest" {
		t.Fatalf("len %d format %q", d.Len(), d.Format())
	}
	if got, ok := d.ByHash(trusted.SHA256(comparison)); !ok || got != comparison {
		t.Errorf("by hash: %q %v", got, ok)
	}
	if !d.Allows(me) || d.Allows(me+" ") || d.Allows("{ me { name } }") {
		t.Error("Allows must match the listed texts byte for byte")
	}
	if _, ok := d.ByHash(trusted.SHA256("{ __typename }")); ok {
		t.Error("an unlisted hash was found")
	}
}

func TestRead_CodegenPersistedDocumentsWithSHA1Keys(t *testing.T) {
	b, _ := json.Marshal(map[string]string{sha1Hex(me): me, "sha256:" + trusted.SHA256(comparison): comparison})
	d, err := trusted.Read(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 2 || !strings.Contains(d.Format(), "codegen") {
		t.Fatalf("len %d format %q", d.Len(), d.Format())
	}
	for _, id := range []string{sha1Hex(me), trusted.SHA256(me), "sha256:" + trusted.SHA256(comparison), trusted.SHA256(comparison)} {
		if _, ok := d.ByHash(id); !ok {
			t.Errorf("id %s not found", id)
		}
	}
	if !d.Allows(comparison) {
		t.Error("a listed text is not allowed")
	}
}

func TestRead_RefusesBrokenManifests(t *testing.T) {
	for name, text := range map[string]string{
		"not JSON":             `[`,
		"an array":             `["query Me { me { name } }"]`,
		"empty":                `{}`,
		"unknown format":       `{"format":"relay","version":1,"operations":[]}`,
		"version 2":            `{"format":"apollo-persisted-query-manifest","version":2,"operations":[]}`,
		"no operations":        apollo(),
		"id is not the body's": apollo(map[string]string{"id": trusted.SHA256(comparison), "name": "Me", "type": "query", "body": me}),
		"empty body":           apollo(map[string]string{"id": trusted.SHA256(""), "name": "E", "type": "query", "body": ""}),
		"a non-string value":   `{"abc": 1}`,
		"an empty document":    `{"abc": "  "}`,
		"one id, two texts":    `{"` + trusted.SHA256(me) + `": "query Other { me { name } }", "x": "` + me + `"}`,
	} {
		if _, err := trusted.Read(strings.NewReader(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
