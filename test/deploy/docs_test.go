package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/config"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestGuideEventSourcesLoad loads every EventSource the guide shows with the
// loader the functions use, so the guide cannot drift from the schema.
func TestGuideEventSourcesLoad(t *testing.T) {
	t.Parallel()
	doc := string(readRepoFile(t, "docs/deploy.md"))
	var n int
	for _, m := range yamlBlock.FindAllStringSubmatch(doc, -1) {
		if !strings.Contains(m[1], "kind: EventSource") {
			continue
		}
		n++
		anySecret := func(string) (string, bool) { return "secret-value", true }
		if _, err := config.ParseEventSourceEnv("docs/deploy.md", []byte(m[1]), anySecret); err != nil {
			t.Errorf("EventSource example of docs/deploy.md does not load: %v\n%s", err, m[1])
		}
	}
	if n == 0 {
		t.Error("docs/deploy.md shows no EventSource example")
	}
}

// TestGuideSecretName checks the guide's secret example against the rule the
// loader applies.
func TestGuideSecretName(t *testing.T) {
	t.Parallel()
	doc := string(readRepoFile(t, "docs/deploy.md"))
	if got := config.SecretEnv("github-access", "secret"); got != "GITHUB_ACCESS_SECRET" || !strings.Contains(doc, "`{name: github-access, key: secret}`") || !strings.Contains(doc, "`GITHUB_ACCESS_SECRET`") {
		t.Errorf("the guide's secret example does not match config.SecretEnv (%s)", got)
	}
}

// TestReadmeLinksGuide keeps the guide reachable from the README.
func TestReadmeLinksGuide(t *testing.T) {
	t.Parallel()
	if !strings.Contains(string(readRepoFile(t, "README.md")), "(docs/deploy.md)") {
		t.Error("README.md does not link docs/deploy.md")
	}
	for _, rel := range []string{"s.yaml", "infra/terraform/variables.tf", "scripts/package.sh"} {
		if _, err := os.Stat(filepath.Join(repoRoot(t), rel)); err != nil {
			t.Errorf("the guide refers to %s: %v", rel, err)
		}
	}
}
