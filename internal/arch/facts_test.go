package arch_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pendingFacts are the sites that still repeat a fact in files another
// change of issue 14 owns (the HTTP edge, validation); each must go, and
// its entry with it, once those changes are merged.
var pendingFacts = map[string]int{
	"internal/server/media.go:no principal":   2,
	"internal/dashboard/auth.go:no principal": 1,
}

// noPrincipal matches the wordings of "this request acts for nobody".
var noPrincipal = regexp.MustCompile(`(?i)sign in first|log in first|authentication required|请先登录|需要登录`)

// TestFacts_HaveOneHome fails when a non-generated Go file outside
// internal/hub words the no-principal error itself (hub.ErrNoPrincipal,
// hub.Signed) or tests a region path against a subtree with
// strings.HasPrefix(path, scope+".") (hub.Within).
func TestFacts_HaveOneHome(t *testing.T) {
	root := filepath.Join("..", "..")
	found := map[string]int{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "graph/model" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || rel == "graph/generated.go" || strings.HasPrefix(rel, "internal/hub/") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && noPrincipal.MatchString(s) {
					found[rel+":no principal"]++
				}
			case *ast.CallExpr:
				if subtreeTest(n) {
					found[rel+":subtree test"]++
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for site, n := range found {
		if pendingFacts[site] != n {
			t.Errorf("%s: %d repetition(s); the fact has one home: hub.ErrNoPrincipal or hub.Signed for no principal, hub.Within for the subtree test", site, n)
		}
	}
	for site, n := range pendingFacts {
		if found[site] == 0 {
			t.Errorf("%s no longer repeats the fact (%d expected): remove it from pendingFacts", site, n)
		}
	}
}

// subtreeTest reports whether call is strings.HasPrefix(x, y + ".").
func subtreeTest(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "HasPrefix" || len(call.Args) != 2 {
		return false
	}
	sum, ok := call.Args[1].(*ast.BinaryExpr)
	if !ok || sum.Op != token.ADD {
		return false
	}
	lit, ok := sum.Y.(*ast.BasicLit)
	return ok && lit.Value == `"."`
}
