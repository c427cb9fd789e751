package validate

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"sigs.k8s.io/yaml"
)

const skaffoldAPIVersion = "skaffold/v4beta13"

// skaffoldSchema is skaffold's own JSON schema of skaffold/v4beta13, taken by
// install.sh from the skaffold v2.16.1 module.
func skaffoldSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(repoRoot(t), "tools", "bin", "schemas", "skaffold-v4beta13.json")
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(readFile(t, path)))
	if err != nil {
		t.Fatalf("%s: %v (run tools/validate/install.sh)", path, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("skaffold-v4beta13.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("skaffold-v4beta13.json")
	if err != nil {
		t.Fatalf("compile the skaffold schema: %v", err)
	}
	return schema
}

// skaffoldProblems validates a skaffold.yaml: YAML without duplicate keys, the pinned
// apiVersion, and the schema.
func skaffoldProblems(t testing.TB, data []byte) []string {
	t.Helper()
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return []string{"yaml: " + err.Error()}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return []string{"json: " + err.Error()}
	}
	var problems []string
	if m, ok := doc.(map[string]any); !ok || m["apiVersion"] != skaffoldAPIVersion {
		problems = append(problems, fmt.Sprintf("apiVersion is not %s", skaffoldAPIVersion))
	}
	if err := skaffoldSchema(t).Validate(doc); err != nil {
		var verr *jsonschema.ValidationError
		if !errors.As(err, &verr) {
			return append(problems, err.Error())
		}
		problems = append(problems, schemaLeaves(verr)...)
	}
	return problems
}

// schemaLeaves condenses a schema violation to its most specific messages. Skaffold's
// schema is a tree of anyOf alternatives, and each alternative reports its own failure
// ("additional properties 'docker' not allowed" for every other artifact type); a
// message is kept only when no other message is about a value nested inside its own.
func schemaLeaves(err *jsonschema.ValidationError) []string {
	type leaf struct{ at, msg string }
	var leaves []leaf
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, leaf{"/" + strings.Join(e.InstanceLocation, "/"), e.ErrorKind.LocalizedString(message.NewPrinter(language.English))})
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(err)
	seen := map[string]bool{}
	var out []string
	for _, l := range leaves {
		deeper := false
		for _, o := range leaves {
			if strings.HasPrefix(o.at, strings.TrimSuffix(l.at, "/")+"/") {
				deeper = true
				break
			}
		}
		text := fmt.Sprintf("at '%s': %s", l.at, l.msg)
		if !deeper && !seen[text] {
			seen[text] = true
			out = append(out, text)
		}
	}
	sort.Strings(out)
	return out
}

// skaffoldConfig is the part of skaffold.yaml the consistency checks read.
type skaffoldConfig struct {
	Build struct {
		Local struct {
			Push *bool `json:"push"`
		} `json:"local"`
		Artifacts []struct {
			Image   string `json:"image"`
			Context string `json:"context"`
			Docker  struct {
				Dockerfile string            `json:"dockerfile"`
				Target     string            `json:"target"`
				BuildArgs  map[string]string `json:"buildArgs"`
			} `json:"docker"`
			Sync struct {
				Manual []struct {
					Src  string `json:"src"`
					Dest string `json:"dest"`
				} `json:"manual"`
			} `json:"sync"`
		} `json:"artifacts"`
	} `json:"build"`
	Manifests struct {
		Kustomize struct {
			Paths []string `json:"paths"`
		} `json:"kustomize"`
	} `json:"manifests"`
}

func loadSkaffold(t testing.TB) skaffoldConfig {
	t.Helper()
	var cfg skaffoldConfig
	if err := yaml.Unmarshal(readFile(t, repoPath(t, "skaffold.yaml")), &cfg); err != nil {
		t.Fatalf("skaffold.yaml: %v", err)
	}
	return cfg
}

func TestSkaffoldMatchesSchema(t *testing.T) {
	for _, p := range skaffoldProblems(t, readFile(t, repoPath(t, "skaffold.yaml"))) {
		t.Errorf("skaffold.yaml: %s", p)
	}
}

func TestBrokenSkaffoldIsRejected(t *testing.T) {
	path := filepath.Join("testdata", "skaffold", "broken.yaml")
	msg := strings.Join(skaffoldProblems(t, readFile(t, path)), "\n")
	if msg == "" {
		t.Fatalf("%s was accepted", path)
	}
	t.Logf("rejected: %s", msg)
	wantAll(t, path, msg,
		"apiVersion is not skaffold/v4beta13",
		"at '/build/artifacts/0/docker': additional properties 'dockerFile' not allowed",
		"at '/build/local/push': got string, want boolean",
	)
}

func TestSkaffoldDevLoop(t *testing.T) {
	cfg := loadSkaffold(t)
	if p := cfg.Build.Local.Push; p == nil || *p {
		t.Error("skaffold.yaml: build.local.push must be false (local clusters need no registry)")
	}
	if got := cfg.Manifests.Kustomize.Paths; len(got) != 1 || got[0] != "infra/k8s/overlays/dev" {
		t.Errorf("skaffold.yaml: manifests.kustomize.paths = %v, want [infra/k8s/overlays/dev]", got)
	}
	byImage := map[string]int{}
	for i, a := range cfg.Build.Artifacts {
		byImage[a.Image] = i
	}
	for _, d := range deployables(t) {
		i, ok := byImage["ticketing/"+d]
		if !ok {
			t.Errorf("skaffold.yaml: no artifact ticketing/%s", d)
			continue
		}
		a := cfg.Build.Artifacts[i]
		var recipe imageRecipe
		for _, r := range imageRecipes(t) {
			if r.name == d {
				recipe = r
			}
		}
		if a.Context != "." || a.Docker.Dockerfile != recipe.dockerfile || a.Docker.Target != "dev" || !maps.Equal(a.Docker.BuildArgs, recipe.buildArgs) {
			t.Errorf("skaffold.yaml: ticketing/%s: want context . (the repository root), dockerfile %s, target dev, buildArgs %v; got %q %q %q %v",
				d, recipe.dockerfile, recipe.buildArgs, a.Context, a.Docker.Dockerfile, a.Docker.Target, a.Docker.BuildArgs)
		}
		if len(a.Sync.Manual) != 1 || a.Sync.Manual[0].Src != d+"/src/**" || a.Sync.Manual[0].Dest != "/app" {
			t.Errorf("skaffold.yaml: ticketing/%s: want one sync rule %s/src/** → /app (the WORKDIR of the build stage)", d, d)
		}
		if df := string(readFile(t, repoPath(t, recipe.dockerfile))); !strings.Contains(df, " AS dev\n") {
			t.Errorf("%s has no dev stage, which skaffold builds", recipe.dockerfile)
		}
	}
	if len(cfg.Build.Artifacts) != len(deployables(t)) {
		t.Errorf("skaffold.yaml: %d artifacts, want one per service and the client (%d)", len(cfg.Build.Artifacts), len(deployables(t)))
	}
}

// The podman profile changes only the builder: BuildKit off (podman's Docker API has none),
// so `skaffold build -p podman` builds the same artifacts through podman's own builder.
func TestSkaffoldPodmanProfileOnlyTurnsBuildKitOff(t *testing.T) {
	var cfg struct {
		Build struct {
			Local struct {
				UseBuildkit *bool `json:"useBuildkit"`
			} `json:"local"`
		} `json:"build"`
		Profiles []struct {
			Name    string `json:"name"`
			Patches []struct {
				Op    string `json:"op"`
				Path  string `json:"path"`
				Value any    `json:"value"`
			} `json:"patches"`
		} `json:"profiles"`
	}
	if err := yaml.Unmarshal(readFile(t, repoPath(t, "skaffold.yaml")), &cfg); err != nil {
		t.Fatalf("skaffold.yaml: %v", err)
	}
	if b := cfg.Build.Local.UseBuildkit; b == nil || !*b {
		t.Error("skaffold.yaml: build.local.useBuildkit must stay true for Docker (cache mounts)")
	}
	for _, p := range cfg.Profiles {
		if p.Name != "podman" {
			continue
		}
		if len(p.Patches) != 1 || p.Patches[0].Op != "replace" || p.Patches[0].Path != "/build/local/useBuildkit" || p.Patches[0].Value != false {
			t.Errorf("skaffold.yaml: profile podman: want exactly one patch replacing /build/local/useBuildkit with false; got %+v", p.Patches)
		}
		return
	}
	t.Error("skaffold.yaml: no profile podman")
}
