package validate

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// strictSerializer decodes YAML into the registered Kubernetes API types and, being
// strict, rejects unknown fields and duplicate keys; a wrong type or an unregistered
// apiVersion/kind fails the decoding itself.
var strictSerializer = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
	kjson.SerializerOptions{Yaml: true, Strict: true})

// decodeManifests splits a multi-document YAML stream and strictly decodes each
// document. It returns the objects and one error per rejected document.
func decodeManifests(data []byte) ([]runtime.Object, []error) {
	var objs []runtime.Object
	var errs []error
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 1; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, err)
			break
		}
		if j, err := yaml.YAMLToJSON(doc); err == nil && (string(j) == "null" || len(bytes.TrimSpace(j)) == 0) {
			continue // a document of comments only
		}
		obj, _, err := strictSerializer.Decode(doc, nil, nil)
		if err != nil {
			errs = append(errs, &docError{index: i, err: err})
			continue
		}
		objs = append(objs, obj)
	}
	return objs, errs
}

type docError struct {
	index int
	err   error
}

func (e *docError) Error() string { return "document " + strconv.Itoa(e.index) + ": " + e.err.Error() }

// baseManifests are the files kustomize assembles (all but the kustomization.yaml
// files), in infra/k8s/base and its folders (the MongoDB component and each service's
// use of it).
func baseManifests(t testing.TB) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(repoPath(t, "infra", "k8s", "base"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".yaml" && d.Name() != "kustomization.yaml" {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no manifests in infra/k8s/base")
	}
	return out
}

// kustomizations are the directories `kustomize build` must accept: the base and every
// overlay.
var kustomizations = []string{"base", "overlays/dev", "overlays/prod"}

// kustomizeBuild renders one kustomization with the installed kustomize.
func kustomizeBuild(t testing.TB, dir string) []byte {
	t.Helper()
	out, ok := run(t, repoRoot(t), tool(t, "kustomize"), "build", dir)
	if !ok {
		t.Fatalf("kustomize build %s failed:\n%s", dir, out)
	}
	return []byte(out)
}

// rendered is the strictly decoded output of `kustomize build` of one kustomization.
func rendered(t testing.TB, name string) []runtime.Object {
	t.Helper()
	objs, errs := decodeManifests(kustomizeBuild(t, filepath.Join("infra", "k8s", name)))
	for _, err := range errs {
		t.Errorf("kustomize build infra/k8s/%s: %v", name, err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	return objs
}

func TestManifestFilesDecodeStrictly(t *testing.T) {
	for _, f := range baseManifests(t) {
		objs, errs := decodeManifests(readFile(t, f))
		for _, err := range errs {
			t.Errorf("%s: %v", f, err)
		}
		if len(objs) == 0 && len(errs) == 0 {
			t.Errorf("%s: no Kubernetes object in it", f)
		}
	}
}

func TestKustomizeOutputDecodesStrictly(t *testing.T) {
	for _, k := range kustomizations {
		t.Run(strings.ReplaceAll(k, "/", "-"), func(t *testing.T) {
			objs := rendered(t, k)
			t.Logf("infra/k8s/%s: %d objects", k, len(objs))
		})
	}
}

// The strict decoder must reject each broken manifest, for the reason given.
func TestBrokenManifestsAreRejected(t *testing.T) {
	cases := map[string][]string{
		// a misspelt field (imagePulPolicy) and one at the wrong level (spec.replica)
		"unknown-field.yaml": {`strict decoding error: unknown field "spec.replica"`, `unknown field "spec.template.spec.containers[0].imagePulPolicy"`},
		// replicas: "two"
		"wrong-type.yaml": {`cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`},
		// image: twice in one container
		"duplicate-key.yaml": {`key "image" already set in map`},
		// kind: Deploymnet
		"unknown-kind.yaml": {`no kind "Deploymnet" is registered for version "apps/v1"`},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "manifests", name)
			_, errs := decodeManifests(readFile(t, path))
			if len(errs) == 0 {
				t.Fatalf("%s was accepted", path)
			}
			msg := errors.Join(errs...).Error()
			t.Logf("rejected: %s", msg)
			wantAll(t, path, msg, want...)
		})
	}
}

// kustomize itself must reject a broken kustomization (`resource:` for `resources:`),
// so a typo in an overlay cannot silently drop what it lists.
func TestBrokenKustomizationIsRejected(t *testing.T) {
	dir := filepath.Join("tools", "validate", "testdata", "kustomize", "broken")
	if _, err := os.Stat(repoPath(t, dir, "kustomization.yaml")); err != nil {
		t.Fatal(err)
	}
	out, ok := run(t, repoRoot(t), tool(t, "kustomize"), "build", dir)
	if ok {
		t.Fatalf("kustomize build %s succeeded:\n%s", dir, out)
	}
	t.Logf("rejected: %s", strings.TrimSpace(out))
	wantAll(t, dir, out, `invalid Kustomization`, `unknown field "resource"`)
}
