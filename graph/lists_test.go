package graph

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestGenerated_ListsGoThroughMarshalList fails when generated.go or
// concurrent_gen.go did not come from graph/gen (go generate ./graph):
// plain gqlgen writes its own list marshallers and starts a deferred
// group for every object, and a stale table would
// let a list whose elements wait for a loader be marshalled one element
// after another.
func TestGenerated_ListsGoThroughMarshalList(t *testing.T) {
	b, err := os.ReadFile("generated.go")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	if strings.Contains(src, "graphql.MarshalSliceConcurrently(") || !strings.Contains(src, "marshalList(ctx, sel, ") {
		t.Fatal("generated.go's list marshallers are gqlgen's own: regenerate with `go generate ./graph` (graph/gen), not plain gqlgen")
	}
	if strings.Contains(src, "graphql.NewDeferredGroup(") {
		t.Fatal("generated.go starts a deferred group for every object, as plain gqlgen does: go generate ./graph")
	}
	// Each object's marshaller, and in it each field gqlgen resolves
	// concurrently.
	objects := regexp.MustCompile(`(?m)^func \(ec \*executionContext\) _(\w+)\(ctx context\.Context, sel ast\.SelectionSet[^\n]*\n((?:[^\n]*\n)*?)}\n`)
	fields := regexp.MustCompile(`case "(\w+)":\s*\n\s*out\.Resolve(?:Root)?Concurrently\(`)
	want := map[fieldKey]bool{}
	for _, m := range objects.FindAllStringSubmatch(src, -1) {
		if isRoot(m[1]) {
			continue
		}
		for _, f := range fields.FindAllStringSubmatch(m[2], -1) {
			want[fieldKey{m[1], f[1]}] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("found no concurrent fields in generated.go: has gqlgen changed its object marshallers?")
	}
	for k := range want {
		if !concurrentFields[k] {
			t.Errorf("generated.go resolves %s.%s concurrently, concurrent_gen.go does not list it: go generate ./graph", k.object, k.field)
		}
	}
	for k := range concurrentFields {
		if !want[k] && !isInterface(k.object) {
			t.Errorf("concurrent_gen.go lists %s.%s, which generated.go resolves at once: go generate ./graph", k.object, k.field)
		}
	}
}

func isInterface(name string) bool {
	def := parsedSchema.Types[name]
	return def != nil && def.Kind == ast.Interface
}

func isRoot(name string) bool {
	for _, def := range []*ast.Definition{parsedSchema.Query, parsedSchema.Mutation, parsedSchema.Subscription} {
		if def != nil && def.Name == name {
			return true
		}
	}
	return false
}
