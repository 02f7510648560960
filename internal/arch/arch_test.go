package arch_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the import graph in docs/architecture.md")

const module = "github.com/sixprot/hub"

var docPath = filepath.Join("..", "..", "docs", "architecture.md")

type pkg struct {
	ImportPath string
	Imports    []string
}

// packages lists the module's packages with their non-test imports.
func packages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func short(path string) string {
	if path == module {
		return "."
	}
	return strings.TrimPrefix(path, module+"/")
}

// TestImports_FollowTheHouseRules enforces STYLE.md's dependency rules:
// the domain imports nothing of ours, pgx stays in storage (and the test
// helpers that hand tests raw connections), and the HTTP edge does not
// know the GraphQL package (cmd/hub hands it the handler).
func TestImports_FollowTheHouseRules(t *testing.T) {
	pgxAllowed := []string{"internal/postgres", "internal/pgtest", "internal/apitest"}
	for _, p := range packages(t) {
		name := short(p.ImportPath)
		for _, imp := range p.Imports {
			ours := strings.HasPrefix(imp, module+"/") || imp == module
			switch {
			case name == "internal/hub" && ours:
				t.Errorf("internal/hub imports %s: the domain imports nothing of ours", short(imp))
			case strings.HasPrefix(imp, "github.com/jackc/") && !slices.Contains(pgxAllowed, name):
				t.Errorf("%s imports %s: only internal/postgres talks to pgx", name, imp)
			case name == "internal/server" && ours && (short(imp) == "graph" || strings.HasPrefix(short(imp), "graph/")):
				t.Errorf("internal/server imports %s: cmd/hub builds the GraphQL handler and hands it over as an http.Handler", short(imp))
			case strings.HasPrefix(name, "internal/") && ours && strings.HasPrefix(short(imp), "cmd/"):
				t.Errorf("%s imports %s", name, short(imp))
			}
		}
	}
}

// TestArchitectureDoc_ListsEveryPackage fails when a package is added,
// removed or renamed without docs/architecture.md's table saying so.
func TestArchitectureDoc_ListsEveryPackage(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9_./]+)` \\|\\s*\\S")
	for _, m := range row.FindAllSubmatch(section(t, doc, "## Packages"), -1) {
		listed[string(m[1])] = true
	}
	var missing []string
	have := map[string]bool{}
	for _, p := range packages(t) {
		name := short(p.ImportPath)
		have[name] = true
		if !listed[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("docs/architecture.md lists no job for %v (a row \"| `pkg` | one sentence |\" under ## Packages)", missing)
	}
	for name := range listed {
		if !have[name] {
			t.Errorf("docs/architecture.md lists %s, which is no package", name)
		}
	}
}

// TestArchitectureDoc_ImportGraphIsCurrent compares the import graph in
// docs/architecture.md with the code's. Regenerate it with
//
//	go test ./internal/arch -run ImportGraph -update
func TestArchitectureDoc_ImportGraphIsCurrent(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range packages(t) {
		var deps []string
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module+"/") {
				deps = append(deps, short(imp))
			}
		}
		slices.Sort(deps)
		fmt.Fprintf(&b, "%s → %s\n", short(p.ImportPath), strings.Join(deps, ", "))
	}
	graph := strings.ReplaceAll(b.String(), " → \n", " → (nothing of ours)\n")
	const begin, end = "<!-- import graph: begin -->\n```text\n", "```\n<!-- import graph: end -->"
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("docs/architecture.md has no import graph block (%q … %q)", begin, end)
	}
	current := string(doc[i+len(begin) : j])
	if current == graph {
		return
	}
	if *update {
		out := append(append(append([]byte{}, doc[:i+len(begin)]...), graph...), doc[j:]...)
		if err := os.WriteFile(docPath, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/architecture.md's import graph is out of date; regenerate it with\n\tgo test ./internal/arch -run ImportGraph -update\nwant:\n%s", graph)
}

// section returns the text of a markdown section up to the next heading
// of the same level.
func section(t *testing.T, doc []byte, heading string) []byte {
	t.Helper()
	i := bytes.Index(doc, []byte("\n"+heading+"\n"))
	if i < 0 {
		t.Fatalf("docs/architecture.md has no %q section", heading)
	}
	rest := doc[i+len(heading)+2:]
	if j := bytes.Index(rest, []byte("\n## ")); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
