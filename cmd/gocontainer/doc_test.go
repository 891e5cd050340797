package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every Go package of the repository (the workspace modules and tests/oci)
// has a package doc comment: a comment group right above the package
// clause of one of its non-test files, which is what `go doc` shows.
// Test packages, testdata and built artefacts are skipped.
func TestEveryPackageHasADocComment(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}
	missing, packages := packagesWithoutDoc(t, root)
	for _, m := range missing {
		t.Errorf("package %s has no doc comment (add a doc.go with \"// Package %s ...\" above the package clause)", m, filepath.Base(m))
	}
	// The walk must have found the tree, or the test proves nothing.
	if packages < 30 {
		t.Fatalf("found only %d packages under %s", packages, root)
	}
	t.Logf("%d packages, %d without a doc comment", packages, len(missing))
}

func packagesWithoutDoc(t *testing.T, root string) (missing []string, packages int) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (name == "testdata" || name == "bin" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		// Each file's package clause and the comment above it; a
		// directory may hold several packages (x and x_test).
		ents, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		pkgs := map[string][]*ast.File{}
		for _, e := range ents {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(path, n), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				return err
			}
			pkgs[f.Name.Name] = append(pkgs[f.Name.Name], f)
		}
		rel, _ := filepath.Rel(root, path)
		for name, pkg := range pkgs {
			packages++
			documented := false
			for _, f := range pkg {
				if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
					documented = true
				}
			}
			if !documented {
				missing = append(missing, rel+" ("+name+")")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return missing, packages
}

// The check itself: a package whose only comment is detached from the
// package clause (a blank line between them) is reported.
func TestPackagesWithoutDocFindsADetachedComment(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good/a.go", "// Package good is documented.\npackage good\n")
	write("good/b.go", "package good\n")
	write("detached/a.go", "// Package detached is not.\n\npackage detached\n")
	write("none/a.go", "package none\n")
	write("none/a_test.go", "// Package none only in a test.\npackage none\n")
	missing, packages := packagesWithoutDoc(t, dir)
	if packages != 3 || strings.Join(missing, ",") != "detached (detached),none (none)" {
		t.Fatalf("got %d packages, missing %q", packages, missing)
	}
}
