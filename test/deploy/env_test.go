package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var fceName = regexp.MustCompile(`^FCE_[A-Z0-9_]+$`)

// fceNamesInSources returns, with one file that uses it, every string
// literal of the form FCE_NAME in the non-test Go files under the given
// directories (literals, not only os.Getenv("...") calls, so a name kept in
// a constant is found too) and every name passed literally to os.Getenv or
// os.LookupEnv.
func fceNamesInSources(dirs ...string) (map[string]string, error) {
	names := map[string]string{}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			continue
		}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				// A file someone is still writing; the compiler will say so.
				return nil
			}
			add := func(s string) {
				if _, seen := names[s]; !seen {
					names[s] = path
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BasicLit:
					if s, err := strconv.Unquote(n.Value); n.Kind == token.STRING && err == nil && fceName.MatchString(s) {
						add(s)
					}
				case *ast.CallExpr:
					// os.Getenv("NAME") and os.LookupEnv("NAME"), whatever the name.
					sel, ok := n.Fun.(*ast.SelectorExpr)
					if !ok || len(n.Args) != 1 || (sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv") {
						return true
					}
					if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "os" {
						return true
					}
					if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if s, err := strconv.Unquote(lit.Value); err == nil {
							add(s)
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return names, nil
}

// TestEnvironmentVariablesDocumented fails when a function or shared package
// reads a variable (any FCE_ name, or any name given literally to os.Getenv)
// that the deploy guide's table or s.yaml lacks, so both stay right as
// variables are added.
func TestEnvironmentVariablesDocumented(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	names, err := fceNamesInSources(filepath.Join(root, "functions"), filepath.Join(root, "shared"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]envRow{}
	for _, r := range loadEnvTable(t) {
		documented[r.Name] = r
	}
	inSYAML := envNamesInSYAML(t, readRepoFile(t, "s.yaml"))
	var missing []string
	for name, file := range names {
		rel, _ := filepath.Rel(root, file)
		row, ok := documented[name]
		if !ok {
			missing = append(missing, name+" (used in "+rel+") is not in the table of docs/deploy.md")
		}
		if !row.SetByFC && !inSYAML[name] {
			missing = append(missing, name+" (used in "+rel+") is set for no function in s.yaml")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Error(m)
	}
}

// TestContractVariablesDocumented checks the table against the variables the
// engineers agreed on (the contract list is the floor, not the ceiling).
func TestContractVariablesDocumented(t *testing.T) {
	t.Parallel()
	agreed := []string{
		"FCE_CONFIG_DIR", "FCE_LOG_LEVEL", "FCE_BUS", "FCE_SMQ_ENDPOINT", "FCE_SMQ_QUEUE", "FCE_SMQ_DLQ",
		"FCE_SMQ_TOPIC", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
		"ALIBABA_CLOUD_SECURITY_TOKEN", "FCE_OSS_ENDPOINT", "FCE_OSS_BUCKET", "FCE_OSS_PREFIX", "FCE_NATS_URL",
		"KUBECONFIG", "FCE_KUBE_API_SERVER", "FCE_KUBE_TOKEN", "FCE_KUBE_CA_DATA", "FCE_STATE",
		"FCE_STATE_NAMESPACE", "FCE_MAX_DELIVERIES",
	}
	documented := map[string]bool{}
	for _, r := range loadEnvTable(t) {
		documented[r.Name] = true
	}
	for _, name := range agreed {
		if !documented[name] {
			t.Errorf("%s is missing from the environment variable table of docs/deploy.md", name)
		}
	}
}

// TestSourceScanFindsConstants checks the scan on a file written for it.
func TestSourceScanFindsConstants(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := `package x

import "os"

const envQueue = "FCE_SMQ_QUEUE"

func f() (string, bool) {
	_ = os.Getenv(envQueue)
	_ = os.Getenv("KUBECONFIG")
	return os.LookupEnv("FCE_NEW_THING")
}

var notAName = "FCE_lower"
`
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x_test.go"), []byte("package x\nvar _ = \"FCE_ONLY_IN_TESTS\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	names, err := fceNamesInSources(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := sortedKeys(names)
	if strings.Join(got, ",") != "FCE_NEW_THING,FCE_SMQ_QUEUE,KUBECONFIG" {
		t.Errorf("found %v, want [FCE_NEW_THING FCE_SMQ_QUEUE KUBECONFIG]", got)
	}
}

// envNamesInSYAML lists every environment variable any function of s.yaml sets.
func envNamesInSYAML(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	var doc struct {
		Resources map[string]struct {
			Props struct {
				EnvironmentVariables map[string]any `json:"environmentVariables"`
			} `json:"props"`
		} `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parsing s.yaml: %v", err)
	}
	names := map[string]bool{}
	for _, r := range doc.Resources {
		for k := range r.Props.EnvironmentVariables {
			names[k] = true
		}
	}
	return names
}
