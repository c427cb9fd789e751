package validate

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The services' MongoDBs have one definition, the kustomize component
// infra/k8s/base/mongo (mongo.yaml, with SERVICE where the service's name goes). Each
// service with a database adds it through a small kustomization of its own,
// infra/k8s/base/<service>-mongo: the component and values.yaml, a local-config
// ConfigMap naming the service.

const (
	// mongoComponent is the component's folder, beside the per-service folders.
	mongoComponent = "mongo"
	// mongoValues is the one file of a per-service folder besides its kustomization.
	mongoValues = "values.yaml"
	// localConfig marks what kustomize reads but leaves out of its output.
	localConfig = "config.kubernetes.io/local-config"
)

// mongoPlaceholder finds the component's placeholder as a word of its own (SERVICE-mongo,
// not OTEL_SERVICE_NAME).
var mongoPlaceholder = regexp.MustCompile(`\bSERVICE\b`)

// databaseServices are the services whose config knows MONGO_URI: each has its own
// MongoDB.
func databaseServices(t testing.TB) []string {
	var out []string
	for _, s := range services(t) {
		if slices.Contains(serviceConfig(t, s).Known, "MONGO_URI") {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Fatal("no service uses MongoDB: the config specs cannot be read right")
	}
	return out
}

// mongoDefinition is the component's mongo.yaml, placeholders and all.
func mongoDefinition(t testing.TB) []byte {
	return readFile(t, repoPath(t, "infra", "k8s", "base", mongoComponent, "mongo.yaml"))
}

// baseLabels are the labels infra/k8s/base/kustomization.yaml adds to every object's
// metadata (not to selectors or pod templates).
func baseLabels(t testing.TB) map[string]string {
	var kust struct {
		Labels []struct {
			Pairs map[string]string `json:"pairs"`
		} `json:"labels"`
	}
	if err := yaml.Unmarshal(readFile(t, repoPath(t, "infra", "k8s", "base", "kustomization.yaml")), &kust); err != nil {
		t.Fatalf("infra/k8s/base/kustomization.yaml: %v", err)
	}
	out := map[string]string{}
	for _, l := range kust.Labels {
		for k, v := range l.Pairs {
			out[k] = v
		}
	}
	return out
}

// isMongo reports whether a container image is the official MongoDB image.
func isMongo(image string) bool {
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	return repo == "mongo" || strings.HasSuffix(repo, "/mongo")
}

func mongoImage(pod corev1.PodSpec) string {
	for _, c := range pod.Containers {
		if isMongo(c.Image) {
			return c.Image
		}
	}
	return ""
}

// flatten lists every leaf of an object as "path: value" (JSON values), so that two
// objects compare field by field and a difference names its field.
func flatten(obj any) (map[string]string, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(strings.TrimPrefix(path+"."+k, "."), x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		default:
			leaf, _ := json.Marshal(v)
			out[path] = string(leaf)
		}
	}
	walk("", tree)
	return out, nil
}

// fieldDiff names the fields where got differs from want, at most a few of them.
func fieldDiff(want, got any) []string {
	w, err := flatten(want)
	if err != nil {
		return []string{err.Error()}
	}
	g, err := flatten(got)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for path, wv := range w {
		switch gv, ok := g[path]; {
		case !ok:
			out = append(out, fmt.Sprintf("%s is missing, want %s", path, wv))
		case gv != wv:
			out = append(out, fmt.Sprintf("%s is %s, want %s", path, gv, wv))
		}
	}
	for path, gv := range g {
		if _, ok := w[path]; !ok {
			out = append(out, fmt.Sprintf("%s is %s, which the definition does not have", path, gv))
		}
	}
	sort.Strings(out)
	const most = 6
	if len(out) > most {
		out = append(out[:most], fmt.Sprintf("(and %d more)", len(out)-most))
	}
	return out
}

// withoutLabels is the object's metadata without the labels a kustomization added on top
// of the component (the base's app.kubernetes.io/part-of).
func withoutLabels(meta *metav1.ObjectMeta, added map[string]string) {
	for k, v := range added {
		if meta.Labels[k] == v {
			delete(meta.Labels, k)
		}
	}
}

// mongoRenderProblems checks a rendered kustomization against the component's definition:
// every service in dbServices has a StatefulSet and a Service equal to the definition
// with SERVICE replaced by its name (what kustomize's replacements must have produced,
// field for field), and no other StatefulSet runs MongoDB.
func mongoRenderProblems(c *cluster, definition []byte, dbServices []string, added map[string]string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	ours := map[string]bool{}
	for _, s := range dbServices {
		objs, errs := decodeManifests([]byte(mongoPlaceholder.ReplaceAllString(string(definition), s)))
		if len(errs) > 0 {
			add("the component's definition for %s does not decode: %v", s, errs)
			continue
		}
		want := index("definition", objs)
		if len(want.statefulSets) != 1 || len(want.services) != 1 {
			add("the component's definition has %d StatefulSets and %d Services, want one of each", len(want.statefulSets), len(want.services))
		}
		for name, w := range want.statefulSets {
			ours[name] = true
			got, ok := c.statefulSets[name]
			if !ok {
				add("%s uses MongoDB but there is no StatefulSet %s (its database, from the component)", s, name)
				continue
			}
			got = got.DeepCopy()
			withoutLabels(&got.ObjectMeta, added)
			got.Namespace = w.Namespace
			if d := fieldDiff(w, got); len(d) > 0 {
				add("StatefulSet %s is not the component's definition for %s: %s", name, s, strings.Join(d, "; "))
			}
		}
		for name, w := range want.services {
			got, ok := c.services[name]
			if !ok {
				add("%s uses MongoDB but there is no Service %s (its database's, from the component)", s, name)
				continue
			}
			got = got.DeepCopy()
			withoutLabels(&got.ObjectMeta, added)
			got.Namespace = w.Namespace
			if d := fieldDiff(w, got); len(d) > 0 {
				add("Service %s is not the component's definition for %s: %s", name, s, strings.Join(d, "; "))
			}
		}
	}
	for name, st := range c.statefulSets {
		if img := mongoImage(st.Spec.Template.Spec); img != "" && !ours[name] {
			add("StatefulSet %s runs %s but is no service's database from the component", name, img)
		}
	}
	sort.Strings(problems)
	return problems
}

// mongoLayout is what a per-service folder's kustomization.yaml says.
type mongoLayout struct {
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
	Components []string `json:"components"`
}

// mongoLayoutProblems checks the files under dir (a kustomization holding the component
// folder and the per-service folders): dir's kustomization lists <service>-mongo for
// every service in dbServices, each such folder is the component plus values.yaml
// naming that service (local-config, so it is never applied), and no other manifest
// defines a MongoDB StatefulSet: a copy would drift from the one definition.
func mongoLayoutProblems(dir string, dbServices []string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var top mongoLayout
	if err := readYAML(filepath.Join(dir, "kustomization.yaml"), &top); err != nil {
		return []string{err.Error()}
	}
	for _, s := range dbServices {
		folder := s + "-mongo"
		if !slices.Contains(top.Resources, folder) {
			add("kustomization.yaml does not list %s (%s's database)", folder, s)
		}
		var k mongoLayout
		if err := readYAML(filepath.Join(dir, folder, "kustomization.yaml"), &k); err != nil {
			add("%v", err)
			continue
		}
		if k.Kind != "Kustomization" || !slices.Equal(k.Components, []string{"../" + mongoComponent}) || !slices.Equal(k.Resources, []string{mongoValues}) {
			add("%s/kustomization.yaml: kind %q, components %v, resources %v; want a Kustomization of the component ../%s and %s only",
				folder, k.Kind, k.Components, k.Resources, mongoComponent, mongoValues)
		}
		problems = append(problems, mongoValuesProblems(filepath.Join(dir, folder, mongoValues), folder, s)...)
	}
	definition := filepath.Join(dir, mongoComponent, "mongo.yaml")
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" || d.Name() == "kustomization.yaml" || path == definition {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		objs, _ := decodeManifests(data)
		for name, st := range index(path, objs).statefulSets {
			if img := mongoImage(st.Spec.Template.Spec); img != "" {
				rel, _ := filepath.Rel(dir, path)
				add("%s defines StatefulSet %s running %s: a second definition of the database; add the component ../%s instead", rel, name, img, mongoComponent)
			}
		}
		return nil
	})
	if err != nil {
		add("%v", err)
	}
	sort.Strings(problems)
	return problems
}

// mongoValuesProblems checks a per-service values.yaml: one ConfigMap, local-config,
// data.service the service's name.
func mongoValuesProblems(path, folder, svc string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", folder, err)}
	}
	objs, errs := decodeManifests(data)
	if len(errs) > 0 {
		return []string{fmt.Sprintf("%s/%s: %v", folder, mongoValues, errs)}
	}
	var problems []string
	if len(objs) != 1 {
		problems = append(problems, fmt.Sprintf("%s/%s: %d objects, want one ConfigMap", folder, mongoValues, len(objs)))
	}
	for _, o := range objs {
		cm, ok := o.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		if cm.Annotations[localConfig] != "true" {
			problems = append(problems, fmt.Sprintf("%s/%s: ConfigMap %s is not marked %s: \"true\", so it would be applied", folder, mongoValues, cm.Name, localConfig))
		}
		if got := cm.Data["service"]; got != svc {
			problems = append(problems, fmt.Sprintf("%s/%s: service %q, want %q", folder, mongoValues, got, svc))
		}
	}
	return problems
}

func readYAML(path string, into any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Every service with a database gets exactly one MongoDB, the component's, named for it,
// and no placeholder is left in any rendered kustomization.
func TestEveryDatabaseIsTheMongoComponent(t *testing.T) {
	dbs := databaseServices(t)
	t.Logf("services with a database: %v", dbs)
	for _, p := range mongoLayoutProblems(repoPath(t, "infra", "k8s", "base"), dbs) {
		t.Errorf("infra/k8s/base: %s", p)
	}
	for _, k := range kustomizations {
		out := kustomizeBuild(t, filepath.Join("infra", "k8s", k))
		for _, line := range strings.Split(string(out), "\n") {
			if mongoPlaceholder.MatchString(line) {
				t.Errorf("infra/k8s/%s: the placeholder is left in %q: the component has no replacement for it", k, strings.TrimSpace(line))
			}
		}
		// The overlays may change a database (say, prod's storage); the base may not.
		if k == "base" {
			objs, errs := decodeManifests(out)
			if len(errs) > 0 {
				t.Fatalf("infra/k8s/base: %v", errs)
			}
			for _, p := range mongoRenderProblems(index(k, objs), mongoDefinition(t), dbs, baseLabels(t)) {
				t.Errorf("base: %s", p)
			}
		}
	}
}

// mongoFixture renders a fixture under testdata/kustomize. Its component takes the real
// mongo.yaml, outside the fixture's folder, which kustomize allows only without its load
// restrictor.
func mongoFixture(t testing.TB, name string) (string, bool) {
	dir := filepath.Join("tools", "validate", "testdata", "kustomize", name)
	return run(t, repoRoot(t), tool(t, "kustomize"), "build", "--load-restrictor", "LoadRestrictionsNone", dir)
}

// A broken component (a replacement missing), a per-service folder naming the wrong
// service and a hand-made copy of the database must all be rejected.
func TestBrokenMongoComponentIsRejected(t *testing.T) {
	dir := filepath.Join("testdata", "kustomize", "mongo-broken")
	dbs := []string{"auth", "orders", "payments"}
	out, ok := mongoFixture(t, "mongo-broken")
	if !ok {
		t.Fatalf("kustomize build %s failed:\n%s", dir, out)
	}
	objs, errs := decodeManifests([]byte(out))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	problems := append(mongoRenderProblems(index("fixture", objs), mongoDefinition(t), dbs, nil), mongoLayoutProblems(dir, dbs)...)
	msg := strings.Join(problems, "\n")
	if msg == "" {
		t.Fatalf("%s was accepted", dir)
	}
	t.Logf("rejected: %s", msg)
	wantAll(t, dir, msg,
		`Service auth-mongo is not the component's definition for auth: spec.selector.app is "SERVICE-mongo", want "auth-mongo"`,
		`StatefulSet auth-mongo is not the component's definition for auth: spec.template.spec.containers[0].env[4].valueFrom.secretKeyRef.name is "SERVICE-mongo-credentials", want "auth-mongo-credentials"`,
		"orders uses MongoDB but there is no StatefulSet orders-mongo",
		"StatefulSet order-mongo runs mongo:7 but is no service's database from the component",
		`orders-mongo/values.yaml: service "order", want "orders"`,
		"payments-mongo/kustomization.yaml: kind \"Kustomization\", components [], resources [statefulset.yaml]",
		"payments-mongo/statefulset.yaml defines StatefulSet payments-mongo running mongo:7: a second definition",
		`StatefulSet payments-mongo is not the component's definition for payments: metadata.labels.app.kubernetes.io/component is missing, want "database"`,
		"payments uses MongoDB but there is no Service payments-mongo",
	)
}

// kustomize itself refuses a component whose replacement names a field mongo.yaml does
// not have (what the component's comment promises).
func TestMongoComponentWithAnUnknownFieldIsRejected(t *testing.T) {
	out, ok := mongoFixture(t, "mongo-unknown-field")
	if ok {
		t.Fatalf("kustomize accepted the fixture:\n%s", out)
	}
	t.Logf("rejected: %s", strings.TrimSpace(out))
	wantAll(t, "mongo-unknown-field", out, `unable to find field \"spec.selector.ap\" in replacement target`)
}
