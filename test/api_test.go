package test

// The plugin is built into other people's CoreDNS: its packages' exported API is what a
// Corefile's setup, an embedding program and vpce-snapshot use, and nothing a test reaches
// through. Tests reach unexported fields from inside a package, and a running server through
// internal/fault, which no other module can import.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestPluginAPIHasNoTestSeams checks the exported declarations of plugin/vpce and its packages:
// no function type or field of one (a step a test replaces), nothing that names a type of this
// module's internal packages (only this module could use it), and no exported field on a
// source (a type with a Run(ctx, Sink) method): a source hands its first read over through a
// method (TakeInitial), and takes its settings from its constructor.
func TestPluginAPIHasNoTestSeams(t *testing.T) {
	fset := token.NewFileSet()
	files := pluginSources(t, fset)
	var seams []string
	found := func(pos token.Pos, format string, args ...any) {
		p := fset.Position(pos)
		seams = append(seams, fmt.Sprintf("%s:%d: %s", strings.TrimPrefix(p.Filename, "../"), p.Line, fmt.Sprintf(format, args...)))
	}
	sources := sourceTypes(files)
	for _, f := range files {
		internal := internalImports(f)
		namesInternal := func(n ast.Node) bool {
			named := false
			ast.Inspect(n, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && internal[x.Name] {
						named = true
					}
				}
				return !named
			})
			return named
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if exportedFunc(d) && namesInternal(d.Type) {
					found(d.Pos(), "%s takes or returns a type of an internal package", d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					ts, ok := spec.(*ast.TypeSpec)
					if !ok || !ts.Name.IsExported() {
						continue
					}
					if _, ok := ts.Type.(*ast.FuncType); ok {
						found(ts.Pos(), "%s is a function type", ts.Name.Name)
					}
					if namesInternal(ts.Type) {
						found(ts.Pos(), "%s names a type of an internal package", ts.Name.Name)
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, field := range st.Fields.List {
						for _, name := range field.Names {
							if !name.IsExported() {
								continue
							}
							if _, ok := field.Type.(*ast.FuncType); ok {
								found(name.Pos(), "%s.%s is a function field", ts.Name.Name, name.Name)
							}
							if sources[f.Name.Name+"."+ts.Name.Name] {
								found(name.Pos(), "%s.%s is an exported field of a source", ts.Name.Name, name.Name)
							}
						}
					}
				}
			}
		}
	}
	slices.Sort(seams)
	for _, s := range seams {
		t.Error(s)
	}
}

// pluginSources parses the Go files of plugin/vpce and its packages, their tests left out.
func pluginSources(t *testing.T, fset *token.FileSet) []*ast.File {
	t.Helper()
	var files []*ast.File
	err := filepath.WalkDir("../plugin/vpce", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		files = append(files, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("%d Go files under plugin/vpce", len(files))
	}
	return files
}

// internalImports are the local names of the file's imports of this module's internal packages.
func internalImports(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if !strings.HasPrefix(path, "github.com/coredns-vpce/coredns-vpce/internal/") {
			continue
		}
		name := path[strings.LastIndexByte(path, '/')+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = true
	}
	return names
}

// exportedFunc tells whether d is an exported function, or an exported method of an exported type.
func exportedFunc(d *ast.FuncDecl) bool {
	return d.Name.IsExported() && (d.Recv == nil || ast.IsExported(receiver(d)))
}

// receiver is the name of d's receiver's type.
func receiver(d *ast.FuncDecl) string {
	recv := d.Recv.List[0].Type
	if star, ok := recv.(*ast.StarExpr); ok {
		recv = star.X
	}
	return typeName(recv)
}

// sourceTypes are the types with a method Run(ctx, Sink), inventory.Source's implementations,
// by package and name: inventory.Files.
func sourceTypes(files []*ast.File) map[string]bool {
	types := map[string]bool{}
	for _, f := range files {
		for _, decl := range f.Decls {
			d, ok := decl.(*ast.FuncDecl)
			if !ok || d.Recv == nil || d.Name.Name != "Run" || len(d.Type.Params.List) != 2 {
				continue
			}
			if sink := typeName(d.Type.Params.List[1].Type); sink == "Sink" || sink == "inventory.Sink" {
				types[f.Name.Name+"."+receiver(d)] = true
			}
		}
	}
	return types
}

// typeName is a type as written, if it is a name: Files, inventory.Sink.
func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return typeName(e.X) + "." + e.Sel.Name
	}
	return ""
}
