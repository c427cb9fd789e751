package validate

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// actionlint runs the installed actionlint on workflow files, with shellcheck on every
// run: script.
func actionlint(t testing.TB, files ...string) (string, bool) {
	t.Helper()
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed (tools/validate/install.sh installs Debian's package)")
	}
	args := append([]string{"-shellcheck=" + shellcheck, "-no-color"}, files...)
	return run(t, repoRoot(t), tool(t, "actionlint"), args...)
}

func workflowFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(repoPath(t, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows in .github/workflows (%v)", err)
	}
	return files
}

func TestWorkflowsPassActionlint(t *testing.T) {
	out, ok := actionlint(t, workflowFiles(t)...)
	if !ok || strings.TrimSpace(out) != "" {
		t.Errorf("actionlint:\n%s", out)
	}
}

func TestBrokenWorkflowIsRejected(t *testing.T) {
	path := filepath.Join("tools", "validate", "testdata", "workflows", "broken.yml")
	out, ok := actionlint(t, path)
	if ok {
		t.Fatalf("actionlint accepted %s", path)
	}
	t.Logf("rejected:\n%s", out)
	wantAll(t, path, out,
		`unexpected key "run-on" for "job" section`,
		`"runs-on" section is missing in job "test"`,
		`specifying action "actions/checkout" in invalid format`,
		`"github.event.pull_request.head.ref" is potentially untrusted`,
		`property "nope" is not defined in object type`,
		`SC2086:info:1:4: Double quote to prevent globbing and word splitting [shellcheck]`,
	)
}

// workflow is what the consistency checks read of a workflow file.
type workflow struct {
	raw map[string]any
}

func loadWorkflow(t testing.TB, name string) (workflow, bool) {
	t.Helper()
	path := repoPath(t, ".github", "workflows", name)
	var raw map[string]any
	data, err := readFileOK(path)
	if err != nil {
		return workflow{}, false
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return workflow{raw}, true
}

// on is the trigger section; YAML 1.1 reads the key `on` as true.
func (w workflow) on() map[string]any {
	for _, k := range []string{"on", "true"} {
		if m, ok := w.raw[k].(map[string]any); ok {
			return m
		}
	}
	return nil
}

func (w workflow) pullRequestPaths() []string {
	pr, _ := w.on()["pull_request"].(map[string]any)
	return strs(pr["paths"])
}

func strs(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Every workspace has a test workflow for pull requests that touch it, and a change in
// common/ runs them all.
func TestEveryWorkspaceHasATestWorkflow(t *testing.T) {
	for _, w := range append([]string{"common"}, deployables(t)...) {
		name := "test-" + w + ".yml"
		wf, ok := loadWorkflow(t, name)
		if !ok {
			t.Errorf("no .github/workflows/%s for %s/", name, w)
			continue
		}
		paths := wf.pullRequestPaths()
		if !slices.Contains(paths, w+"/**") {
			t.Errorf("%s: pull_request paths %v do not include %s/**", name, paths, w)
		}
		if w != "client" && !slices.Contains(paths, "common/**") {
			t.Errorf("%s: pull_request paths %v do not include common/**: a change in common must test %s", name, paths, w)
		}
		if dig(wf.raw, "concurrency", "group") == nil {
			t.Errorf("%s: no concurrency group", name)
		}
		if uses := dig(wf.raw, "jobs", "test", "uses"); uses != "./.github/workflows/_test.yml" {
			t.Errorf("%s: jobs.test.uses = %v, want ./.github/workflows/_test.yml", name, uses)
		}
		if ws := dig(wf.raw, "jobs", "test", "with", "workspace"); ws != w {
			t.Errorf("%s: jobs.test.with.workspace = %v, want %s", name, ws, w)
		}
	}
}

// The deploy workflow builds and rolls out exactly the deployable images, one at a time,
// each from its recipe.
func TestDeployWorkflowCoversEveryImage(t *testing.T) {
	wf, ok := loadWorkflow(t, "deploy.yml")
	if !ok {
		t.Fatal("no .github/workflows/deploy.yml")
	}
	matrix := strs(dig(wf.raw, "jobs", "image", "strategy", "matrix", "image"))
	want := deployables(t)
	sort.Strings(matrix)
	want = slices.Clone(want)
	sort.Strings(want)
	if !slices.Equal(matrix, want) {
		t.Errorf("deploy.yml: image matrix %v, want %v", matrix, want)
	}
	if dig(wf.raw, "concurrency", "group") == nil || dig(wf.raw, "concurrency", "cancel-in-progress") != false {
		t.Error("deploy.yml: needs a concurrency group that never cancels a deploy in progress")
	}
	if branches := strs(dig(wf.on(), "push", "branches")); !slices.Equal(branches, []string{"main"}) {
		t.Errorf("deploy.yml: push branches %v, want [main]", branches)
	}
	text := string(readFile(t, repoPath(t, ".github", "workflows", "deploy.yml")))
	// The prod overlay's images are set by a loop over the same list.
	m := regexp.MustCompile(`for image in ([a-z ]+); do`).FindStringSubmatch(text)
	if m == nil {
		t.Error("deploy.yml: no `for image in ...; do` loop setting the prod overlay's images")
	} else if loop := strings.Fields(m[1]); !slices.Equal(sorted(loop), want) {
		t.Errorf("deploy.yml: the prod overlay's images are set for %v, want %v", loop, want)
	}
	wantAll(t, "deploy.yml", text, "kustomize build infra/k8s/overlays/prod | kubectl apply -f -", "rollout status", "docker/build-push-action@")
	// The images are built from the recipes skaffold and `npm run images` use: the
	// services' one recipe with SERVICE set, the web app's own; no per-service Dockerfile.
	wantAll(t, "deploy.yml", text, "file="+serviceRecipe, "args=SERVICE=$IMAGE", "file=client/Dockerfile")
	for _, s := range services(t) {
		if strings.Contains(text, s+"/Dockerfile") {
			t.Errorf("deploy.yml: builds from %s/Dockerfile; the services' recipe is %s", s, serviceRecipe)
		}
	}
}
