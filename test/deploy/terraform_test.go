package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"sigs.k8s.io/yaml"
)

// tfModule is what the checks need of a Terraform module: its declarations
// and every reference its expressions make.
type tfModule struct {
	files     map[string][]byte
	variables map[string]*hclsyntax.Block
	locals    map[string]bool
	resources map[string]*hclsyntax.Block // "type.name"
	data      map[string]bool             // "type.name"
	outputs   map[string]*hclsyntax.Block
	refs      []tfRef
}

type tfRef struct {
	file      string
	line      int
	traversal hcl.Traversal
}

func loadModule(dir string) (*tfModule, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no .tf file in %s", dir)
	}
	m := &tfModule{
		files:     map[string][]byte{},
		variables: map[string]*hclsyntax.Block{},
		locals:    map[string]bool{},
		resources: map[string]*hclsyntax.Block{},
		data:      map[string]bool{},
		outputs:   map[string]*hclsyntax.Block{},
	}
	var errs []string
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		name := filepath.Base(path)
		m.files[name] = src
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if diags.HasErrors() {
			errs = append(errs, diags.Error())
			continue
		}
		body := f.Body.(*hclsyntax.Body)
		for _, b := range body.Blocks {
			key := strings.Join(b.Labels, ".")
			switch b.Type {
			case "variable":
				m.variables[key] = b
			case "locals":
				for n := range b.Body.Attributes {
					if m.locals[n] {
						errs = append(errs, fmt.Sprintf("%s: local.%s declared twice", name, n))
					}
					m.locals[n] = true
				}
			case "resource":
				if m.resources[key] != nil {
					errs = append(errs, fmt.Sprintf("%s: resource %s declared twice", name, key))
				}
				m.resources[key] = b
			case "data":
				m.data[key] = true
			case "output":
				m.outputs[key] = b
			}
		}
		collectRefs(name, body, &m.refs)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return m, nil
}

// collectRefs gathers the references of every expression in body; a
// variable's type is a type constraint, not an expression, and is skipped.
func collectRefs(file string, body *hclsyntax.Body, refs *[]tfRef) {
	for _, a := range body.Attributes {
		for _, tr := range a.Expr.Variables() {
			*refs = append(*refs, tfRef{file: file, line: tr.SourceRange().Start.Line, traversal: tr})
		}
	}
	for _, b := range body.Blocks {
		if b.Type == "variable" {
			inner := *b.Body
			inner.Attributes = hclsyntax.Attributes{}
			for name, a := range b.Body.Attributes {
				if name != "type" {
					inner.Attributes[name] = a
				}
			}
			collectRefs(file, &inner, refs)
			continue
		}
		collectRefs(file, b.Body, refs)
	}
}

// attrName returns the name of the i-th step of a traversal, or "".
func attrName(tr hcl.Traversal, i int) string {
	if i >= len(tr) {
		return ""
	}
	switch s := tr[i].(type) {
	case hcl.TraverseRoot:
		return s.Name
	case hcl.TraverseAttr:
		return s.Name
	}
	return ""
}

// check returns every reference to something undeclared, every variable
// nothing uses, and every variable without a type or description.
func (m *tfModule) check() []string {
	var problems []string
	used := map[string]bool{}
	for _, r := range m.refs {
		root, next := attrName(r.traversal, 0), attrName(r.traversal, 1)
		where := fmt.Sprintf("%s:%d", r.file, r.line)
		switch {
		case root == "var":
			used[next] = true
			if m.variables[next] == nil {
				problems = append(problems, fmt.Sprintf("%s: var.%s is not declared", where, next))
			}
		case root == "local":
			if !m.locals[next] {
				problems = append(problems, fmt.Sprintf("%s: local.%s is not declared", where, next))
			}
		case root == "data":
			if key := next + "." + attrName(r.traversal, 2); !m.data[key] {
				problems = append(problems, fmt.Sprintf("%s: data.%s is not declared", where, key))
			}
		case strings.HasPrefix(root, "alicloud_"):
			if key := root + "." + next; m.resources[key] == nil {
				problems = append(problems, fmt.Sprintf("%s: resource %s is not declared", where, key))
			}
		case root == "each" || root == "count" || root == "path" || root == "terraform" || root == "self":
		default:
			problems = append(problems, fmt.Sprintf("%s: unknown reference %s", where, root))
		}
	}
	for _, name := range sortedKeys(m.variables) {
		b := m.variables[name]
		if !used[name] {
			problems = append(problems, fmt.Sprintf("variable %s is declared but never used", name))
		}
		for _, attr := range []string{"type", "description"} {
			if _, ok := b.Body.Attributes[attr]; !ok {
				problems = append(problems, fmt.Sprintf("variable %s has no %s", name, attr))
			}
		}
	}
	for _, name := range sortedKeys(m.outputs) {
		if _, ok := m.outputs[name].Body.Attributes["description"]; !ok {
			problems = append(problems, fmt.Sprintf("output %s has no description", name))
		}
	}
	return problems
}

func terraformDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "infra", "terraform")
}

func loadTerraform(t *testing.T) *tfModule {
	t.Helper()
	m, err := loadModule(terraformDir(t))
	if err != nil {
		t.Fatalf("infra/terraform: %v", err)
	}
	return m
}

// TestTerraformFormatted holds the files to the canonical layout that
// `terraform fmt` writes (hclwrite.Format is the formatter it is built on).
func TestTerraformFormatted(t *testing.T) {
	t.Parallel()
	m := loadTerraform(t)
	for _, name := range sortedKeys(m.files) {
		src := m.files[name]
		if got := hclwrite.Format(src); !bytes.Equal(got, src) {
			t.Errorf("%s is not formatted (-file +formatted):\n%s", name, cmp.Diff(string(src), string(got)))
		}
	}
	example := filepath.Join(terraformDir(t), "terraform.tfvars.example")
	if src, err := os.ReadFile(example); err == nil {
		if got := hclwrite.Format(src); !bytes.Equal(got, src) {
			t.Errorf("terraform.tfvars.example is not formatted:\n%s", cmp.Diff(string(src), string(got)))
		}
	}
}

func TestTerraformReferences(t *testing.T) {
	t.Parallel()
	for _, p := range loadTerraform(t).check() {
		t.Error(p)
	}
}

// TestTerraformCheckCatches proves the reference check fails on the
// mistakes it exists for.
func TestTerraformCheckCatches(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		want string
	}{
		"undeclared variable": {
			src:  "variable \"a\" {\n  type        = string\n  description = \"a\"\n}\n\nlocals {\n  x = \"${var.a}${var.b}\"\n}\n",
			want: "var.b is not declared",
		},
		"unused variable": {
			src:  "variable \"a\" {\n  type        = string\n  description = \"a\"\n}\n",
			want: "variable a is declared but never used",
		},
		"misspelt resource": {
			src:  "resource \"alicloud_oss_bucket\" \"b\" {\n  bucket = \"x\"\n}\n\noutput \"o\" {\n  description = \"o\"\n  value       = alicloud_oss_bucket.c.bucket\n}\n",
			want: "resource alicloud_oss_bucket.c is not declared",
		},
		"variable without type": {
			src:  "variable \"a\" {\n  description = \"a\"\n}\n\nlocals {\n  x = var.a\n}\n",
			want: "variable a has no type",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := loadModule(dir)
			if err != nil {
				t.Fatal(err)
			}
			problems := m.check()
			for _, p := range problems {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Errorf("no problem mentions %q; got %q", tc.want, problems)
		})
	}
}

// TestTerraformResources checks the module makes what the deployment needs.
func TestTerraformResources(t *testing.T) {
	t.Parallel()
	m := loadTerraform(t)
	count := map[string]int{}
	for key := range m.resources {
		count[strings.SplitN(key, ".", 2)[0]]++
	}
	need := map[string]int{
		"alicloud_message_service_queue":        2, // bus and dead-letter queue
		"alicloud_message_service_topic":        1,
		"alicloud_message_service_subscription": 1,
		"alicloud_oss_bucket":                   1,
		"alicloud_event_bridge_rule":            1,
		"alicloud_ram_role":                     2, // source and sensor roles
		"alicloud_ram_policy":                   2,
		"alicloud_ram_role_policy_attachment":   2,
	}
	for _, typ := range sortedKeys(need) {
		if count[typ] < need[typ] {
			t.Errorf("%d %s, want at least %d", count[typ], typ, need[typ])
		}
	}

	bucket := m.resources["alicloud_oss_bucket.payloads"]
	if bucket == nil {
		t.Fatal("no alicloud_oss_bucket.payloads")
	}
	var expires bool
	for _, b := range bucket.Body.Blocks {
		if b.Type != "lifecycle_rule" {
			continue
		}
		for _, inner := range b.Body.Blocks {
			if inner.Type == "expiration" {
				expires = true
			}
		}
	}
	if !expires {
		t.Error("the payload bucket has no lifecycle rule with an expiration")
	}
}

// TestTerraformLeastPrivilege refuses wildcard actions and resources in the
// policies the functions and triggers run with.
func TestTerraformLeastPrivilege(t *testing.T) {
	t.Parallel()
	src := string(loadTerraform(t).files["ram.tf"])
	if src == "" {
		t.Fatal("no ram.tf")
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`"[a-z]+:\*"`),                          // a whole service
		regexp.MustCompile(`(Action|Resource)\s*=\s*(\[\s*)?"\*"`), // everything
		regexp.MustCompile(`"[a-z]+:[A-Za-z]*\*"`),                 // an action prefix
	} {
		if loc := re.FindStringIndex(src); loc != nil {
			line := strings.Count(src[:loc[0]], "\n") + 1
			t.Errorf("ram.tf:%d: wildcard permission %s", line, src[loc[0]:loc[1]])
		}
	}
}

// TestTerraformFeedsSYAML checks that the values Terraform hands to s.yaml
// are named as s.yaml's vars.
func TestTerraformFeedsSYAML(t *testing.T) {
	t.Parallel()
	m := loadTerraform(t)
	out := m.outputs["s_yaml_vars"]
	if out == nil {
		t.Fatal("no output s_yaml_vars")
	}
	obj, ok := out.Body.Attributes["value"].Expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		t.Fatal("output s_yaml_vars is not an object")
	}
	var doc struct {
		Vars map[string]any `json:"vars"`
	}
	if err := yaml.Unmarshal(readRepoFile(t, "s.yaml"), &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, item := range obj.Items {
		k := hcl.ExprAsKeyword(item.KeyExpr)
		if k == "" {
			t.Errorf("s_yaml_vars has a key that is not a plain name")
			continue
		}
		keys = append(keys, k)
		if _, ok := doc.Vars[k]; !ok {
			t.Errorf("s_yaml_vars.%s: s.yaml has no var %s", k, k)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		t.Error("s_yaml_vars is empty")
	}
}
