package validate

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// repoRoot is the repository's top folder: this package lives in tools/validate.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func repoPath(t testing.TB, rel ...string) string {
	return filepath.Join(append([]string{repoRoot(t)}, rel...)...)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return data
}

// tool is a validator binary installed by install.sh into tools/bin.
func tool(t testing.TB, name string) string {
	t.Helper()
	path := repoPath(t, "tools", "bin", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is not installed in tools/bin: run `bash tools/validate/install.sh` (or tools/validate/run.sh)", name)
	}
	return path
}

// run executes a command and returns its combined output and whether it exited 0.
func run(t testing.TB, dir string, name string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err != nil {
		if _, isExit := err.(*exec.ExitError); !isExit {
			t.Fatalf("cannot run %s: %v", name, err)
		}
	}
	return out.String(), err == nil
}

// services are the workspaces of the root package.json that are deployed as services:
// all but the shared library and the web app.
func services(t testing.TB) []string {
	t.Helper()
	var pkg struct {
		Workspaces []string `json:"workspaces"`
	}
	if err := json.Unmarshal(readFile(t, repoPath(t, "package.json")), &pkg); err != nil {
		t.Fatalf("package.json: %v", err)
	}
	var out []string
	for _, w := range pkg.Workspaces {
		if w != "common" && w != "client" {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		t.Fatal("package.json lists no service workspaces")
	}
	return out
}

// deployables are the services and the web app: each is an image, a Deployment, a
// skaffold artifact and a test workflow.
func deployables(t testing.TB) []string {
	return append(services(t), "client")
}

// serviceRecipe is the one Dockerfile of the five services (--build-arg SERVICE=<name>).
const serviceRecipe = "infra/docker/service.Dockerfile"

// imageRecipe is how one deployable's image is built.
type imageRecipe struct {
	name       string
	dockerfile string            // relative to the repository root, the build context
	buildArgs  map[string]string // --build-arg
}

// imageRecipes: each service from the one recipe with SERVICE set, the web app from
// client/Dockerfile.
func imageRecipes(t testing.TB) []imageRecipe {
	var out []imageRecipe
	for _, s := range services(t) {
		out = append(out, imageRecipe{s, serviceRecipe, map[string]string{"SERVICE": s}})
	}
	return append(out, imageRecipe{"client", "client/Dockerfile", nil})
}

// wantAll fails unless text contains every one of the expected fragments.
func wantAll(t testing.TB, what, text string, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(text, f) {
			t.Errorf("%s: expected %q in:\n%s", what, f, text)
		}
	}
}

func readFileOK(path string) ([]byte, error) { return os.ReadFile(path) }

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
