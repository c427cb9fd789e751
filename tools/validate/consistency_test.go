package validate

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// cluster is one rendered kustomization, indexed by kind and name.
type cluster struct {
	name         string
	deployments  map[string]*appsv1.Deployment
	statefulSets map[string]*appsv1.StatefulSet
	services     map[string]*corev1.Service
	ingresses    []*networkingv1.Ingress
	pdbs         []*policyv1.PodDisruptionBudget
	others       []runtime.Object
}

func index(name string, objs []runtime.Object) *cluster {
	c := &cluster{name: name, deployments: map[string]*appsv1.Deployment{}, statefulSets: map[string]*appsv1.StatefulSet{}, services: map[string]*corev1.Service{}}
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			c.deployments[o.Name] = o
		case *appsv1.StatefulSet:
			c.statefulSets[o.Name] = o
		case *corev1.Service:
			c.services[o.Name] = o
		case *networkingv1.Ingress:
			c.ingresses = append(c.ingresses, o)
		case *policyv1.PodDisruptionBudget:
			c.pdbs = append(c.pdbs, o)
		default:
			c.others = append(c.others, o)
		}
	}
	return c
}

func clusters(t *testing.T) []*cluster {
	t.Helper()
	var out []*cluster
	for _, k := range kustomizations {
		out = append(out, index(k, rendered(t, k)))
	}
	return out
}

// route is one entry of infra/routes.json, the routing table of the ingress and of the
// local gateway.
type route struct {
	Prefix  string `json:"prefix"`
	Service string `json:"service"`
}

func routes(t testing.TB) []route {
	t.Helper()
	var table struct {
		Routes []route `json:"routes"`
	}
	if err := json.Unmarshal(readFile(t, repoPath(t, "infra", "routes.json")), &table); err != nil {
		t.Fatalf("infra/routes.json: %v", err)
	}
	if len(table.Routes) == 0 {
		t.Fatal("infra/routes.json has no routes")
	}
	return table.Routes
}

// httpServices are the Deployments the ingress sends traffic to.
func httpServices(t testing.TB) []string {
	var out []string
	for _, r := range routes(t) {
		if !slices.Contains(out, r.Service) {
			out = append(out, r.Service)
		}
	}
	return out
}

// configVars is what a service's compiled config spec requires and knows, printed by
// infra/scripts/required-env.js.
type configVars struct {
	Required []string `json:"required"`
	Known    []string `json:"known"`
}

var (
	configMu    sync.Mutex
	configCache = map[string]configVars{}
)

func serviceConfig(t testing.TB, svc string) configVars {
	t.Helper()
	configMu.Lock()
	defer configMu.Unlock()
	if v, ok := configCache[svc]; ok {
		return v
	}
	out, ok := run(t, repoRoot(t), "node", filepath.Join("infra", "scripts", "required-env.js"), svc)
	if !ok {
		t.Fatalf("the config of %s cannot be read: %s", svc, strings.TrimSpace(out))
	}
	var v configVars
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("required-env.js %s printed %q: %v", svc, out, err)
	}
	configCache[svc] = v
	return v
}

// Every service folder (and the client) has all its deployment artifacts.
func TestEveryServiceHasItsArtifacts(t *testing.T) {
	var kust struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(readFile(t, repoPath(t, "infra", "k8s", "base", "kustomization.yaml")), &kust); err != nil {
		t.Fatal(err)
	}
	base := index("base", rendered(t, "base"))
	for _, d := range deployables(t) {
		// Its image recipe: the services' shared one, or the client's own.
		recipe := serviceRecipe
		if d == "client" {
			recipe = "client/Dockerfile"
		}
		for _, f := range []string{recipe, recipe + ".dockerignore"} {
			if _, err := os.Stat(repoPath(t, f)); err != nil {
				t.Errorf("%s: %s is missing", d, f)
			}
		}
		if !slices.Contains(kust.Resources, d+".yaml") {
			t.Errorf("infra/k8s/base/%s.yaml is missing or not listed in base/kustomization.yaml", d)
		}
		dep, ok := base.deployments[d]
		if !ok {
			t.Errorf("no Deployment %q in infra/k8s/base", d)
			continue
		}
		if img := dep.Spec.Template.Spec.Containers[0].Image; img != "ticketing/"+d {
			t.Errorf("Deployment %s runs image %q, want ticketing/%s (the skaffold artifact)", d, img, d)
		}
		if _, ok := base.services[d]; !ok {
			t.Errorf("no Service %q in infra/k8s/base", d)
		}
	}
	for _, s := range services(t) {
		if slices.Contains(serviceConfig(t, s).Known, "MONGO_URI") {
			if _, ok := base.statefulSets[s+"-mongo"]; !ok {
				t.Errorf("%s uses MongoDB but infra/k8s/base has no StatefulSet %s-mongo (its own database)", s, s)
			}
		}
	}
}

// envProblems checks one service's Deployment against its config: every required
// variable is set, every variable set is one the config knows (a typo would leave the
// real one at its default), secrets come from their Secret, NATS_CLIENT_ID from the pod
// name, and every URL points at a Service of the manifests.
func envProblems(c *cluster, svc string, cfg configVars) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	dep, ok := c.deployments[svc]
	if !ok {
		return []string{"no Deployment " + svc}
	}
	container := dep.Spec.Template.Spec.Containers[0]
	env := map[string]corev1.EnvVar{}
	for _, e := range container.Env {
		env[e.Name] = e
	}
	for _, name := range cfg.Required {
		e, ok := env[name]
		if !ok || (e.Value == "" && e.ValueFrom == nil) {
			add("%s: %s is required by its config but not set", svc, name)
		}
	}
	for i, e := range container.Env {
		if slices.Contains(cfg.Known, e.Name) || e.Name == "API_INTERNAL_URL" || credentialPart(container.Env, i, cfg.Known) {
			continue
		}
		add("%s: sets %s, which its config does not know", svc, e.Name)
	}
	secrets := map[string][2]string{"JWT_KEY": {"jwt-secret", "JWT_KEY"}, "STRIPE_SECRET_KEY": {"stripe-secret", "STRIPE_SECRET_KEY"}}
	for name, want := range secrets {
		e, ok := env[name]
		if !ok {
			continue
		}
		if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
			e.ValueFrom.SecretKeyRef.Name != want[0] || e.ValueFrom.SecretKeyRef.Key != want[1] {
			add("%s: %s must come from Secret %s, key %s", svc, name, want[0], want[1])
		}
	}
	if slices.Contains(cfg.Known, "NATS_CLIENT_ID") {
		e, ok := env["NATS_CLIENT_ID"]
		if !ok || e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "metadata.name" {
			add("%s: NATS_CLIENT_ID must be the pod name (fieldRef metadata.name): two replicas must not share a client id", svc)
		}
	}
	for _, name := range []string{"MONGO_URI", "NATS_URL", "REDIS_URL"} {
		e, ok := env[name]
		if !ok || e.Value == "" {
			continue
		}
		u, err := url.Parse(e.Value)
		if err != nil {
			add("%s: %s is not a URL: %v", svc, name, err)
			continue
		}
		host, port := u.Hostname(), u.Port()
		s, ok := c.services[host]
		if !ok {
			add("%s: %s points at %q, which is no Service of the manifests", svc, name, host)
			continue
		}
		found := false
		for _, p := range s.Spec.Ports {
			if strconv.Itoa(int(p.Port)) == port {
				found = true
			}
		}
		if !found {
			add("%s: %s uses port %s, which Service %s does not expose", svc, name, port, host)
		}
	}
	if slices.Contains(cfg.Known, "GLIBC_TUNABLES") {
		if e, ok := env["GLIBC_TUNABLES"]; !ok || !slices.Contains(strings.Split(e.Value, ":"), authGlibcTunables) {
			add("%s: GLIBC_TUNABLES must include %s: scrypt's block in huge pages (auth/README.md)", svc, authGlibcTunables)
		}
	}
	if e, ok := env["NATS_CLUSTER_ID"]; ok {
		if nats, ok := c.statefulSets["nats"]; !ok || !slices.Contains(nats.Spec.Template.Spec.Containers[0].Args, "--cluster_id="+e.Value) {
			add("%s: NATS_CLUSTER_ID=%s is not the cluster id NATS Streaming runs with", svc, e.Value)
		}
	}
	return problems
}

func TestDeploymentsSetWhatTheConfigRequires(t *testing.T) {
	configs := map[string]configVars{}
	for _, s := range services(t) {
		configs[s] = serviceConfig(t, s)
		t.Logf("%s requires %v", s, configs[s].Required)
	}
	for _, c := range clusters(t) {
		for _, s := range services(t) {
			for _, p := range envProblems(c, s, configs[s]) {
				t.Errorf("%s: %s", c.name, p)
			}
		}
	}
}

func TestBrokenEnvIsRejected(t *testing.T) {
	objs, errs := decodeManifests(readFile(t, filepath.Join("testdata", "manifests", "orders-missing-env.yaml")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cfg := configVars{
		Required: []string{"JWT_KEY", "MONGO_URI", "NATS_URL", "NATS_CLUSTER_ID"},
		Known:    []string{"PORT", "LOG_LEVEL", "JWT_KEY", "COOKIE_SECURE", "MONGO_URI", "NATS_URL", "NATS_CLUSTER_ID", "NATS_CLIENT_ID", "ORDER_EXPIRATION_SECONDS"},
	}
	msg := strings.Join(envProblems(index("fixture", objs), "orders", cfg), "\n")
	t.Logf("rejected: %s", msg)
	wantAll(t, "orders-missing-env.yaml", msg,
		"orders: NATS_CLUSTER_ID is required by its config but not set",
		"orders: sets ORDER_EXPIRATION_SECOND, which its config does not know",
		"orders: JWT_KEY must come from Secret jwt-secret, key JWT_KEY",
		"orders: NATS_CLIENT_ID must be the pod name",
		`orders: MONGO_URI points at "orders-db", which is no Service of the manifests`,
	)
}

// authGlibcTunables is the malloc tunable auth runs with: scrypt's 32 MiB block in
// transparent huge pages (auth/src/services/hash-memory.ts). The local stack gives it to
// auth (scripts/stack, AUTH_GLIBC_TUNABLES), and so must every Deployment of auth.
const authGlibcTunables = "glibc.malloc.hugetlb=1"

func TestStackGivesAuthTheManifestsMallocTunable(t *testing.T) {
	out, ok := run(t, repoRoot(t), "node", "-e", "process.stdout.write(require('./scripts/stack').AUTH_GLIBC_TUNABLES)")
	if !ok {
		t.Fatalf("scripts/stack cannot be loaded: %s", out)
	}
	if out != authGlibcTunables {
		t.Errorf("scripts/stack gives auth GLIBC_TUNABLES=%q, the manifests are checked for %q", out, authGlibcTunables)
	}
}

func TestAuthWithoutHugePagesIsRejected(t *testing.T) {
	objs, errs := decodeManifests(readFile(t, filepath.Join("testdata", "manifests", "auth-no-huge-pages.yaml")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cfg := configVars{Known: []string{"PORT", "GLIBC_TUNABLES"}}
	msg := strings.Join(envProblems(index("fixture", objs), "auth", cfg), "\n")
	t.Logf("rejected: %s", msg)
	wantAll(t, "auth-no-huge-pages.yaml", msg, "auth: GLIBC_TUNABLES must include glibc.malloc.hugetlb=1")
}

// ingressProblems compares the Ingress with infra/routes.json: every rule routes the
// same prefixes, in the same order, to the same services, on ports those Services have.
func ingressProblems(c *cluster, table []route) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(c.ingresses) != 1 {
		return []string{fmt.Sprintf("%d Ingress objects, want 1", len(c.ingresses))}
	}
	ing := c.ingresses[0]
	if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "nginx" {
		add("ingressClassName is not nginx")
	}
	if ing.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "" {
		add("no body size limit (nginx.ingress.kubernetes.io/proxy-body-size)")
	}
	if len(ing.Spec.Rules) == 0 {
		add("no rules")
	}
	for i, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			add("rule %d (%s): no paths", i, rule.Host)
			continue
		}
		paths := rule.HTTP.Paths
		if len(paths) != len(table) {
			add("rule %d (%s): %d paths, routes.json has %d", i, rule.Host, len(paths), len(table))
		}
		for j, r := range table {
			if j >= len(paths) {
				break
			}
			p := paths[j]
			got := fmt.Sprintf("%s → %s", p.Path, p.Backend.Service.Name)
			if p.Path != r.Prefix || p.Backend.Service == nil || p.Backend.Service.Name != r.Service {
				add("rule %d (%s) path %d: %s, routes.json: %s → %s", i, rule.Host, j, got, r.Prefix, r.Service)
			}
			if p.PathType == nil || *p.PathType != networkingv1.PathTypePrefix {
				add("rule %d path %s: pathType must be Prefix (the gateway matches prefixes)", i, p.Path)
			}
			svc, ok := c.services[p.Backend.Service.Name]
			if !ok {
				add("path %s: no Service %s", p.Path, p.Backend.Service.Name)
				continue
			}
			port := p.Backend.Service.Port
			found := false
			for _, sp := range svc.Spec.Ports {
				if (port.Name != "" && sp.Name == port.Name) || (port.Number != 0 && sp.Port == port.Number) {
					found = true
				}
			}
			if !found {
				add("path %s: Service %s has no port %s%d", p.Path, svc.Name, port.Name, port.Number)
			}
		}
	}
	return problems
}

func TestIngressMatchesTheGatewayRoutes(t *testing.T) {
	table := routes(t)
	for _, c := range clusters(t) {
		for _, p := range ingressProblems(c, table) {
			t.Errorf("%s: Ingress: %s", c.name, p)
		}
		ing := c.ingresses[0]
		switch c.name {
		case "overlays/dev":
			if ing.Spec.Rules[0].Host != "ticketing.dev" {
				t.Errorf("dev: the Ingress host is %q, want ticketing.dev", ing.Spec.Rules[0].Host)
			}
		case "overlays/prod":
			host := ing.Spec.Rules[0].Host
			if len(ing.Spec.TLS) != 1 || !slices.Contains(ing.Spec.TLS[0].Hosts, host) || ing.Spec.TLS[0].SecretName == "" {
				t.Errorf("prod: no TLS (with a secret) for the host %q", host)
			}
		}
	}
}

func TestBrokenIngressIsRejected(t *testing.T) {
	objs, errs := decodeManifests(readFile(t, filepath.Join("testdata", "manifests", "gittix-ingress.yaml")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// The real Services, the fixture's Ingress in place of the real one.
	c := index("fixture", rendered(t, "base"))
	c.ingresses = index("fixture", objs).ingresses
	msg := strings.Join(ingressProblems(c, routes(t)), "\n")
	t.Logf("rejected: %s", msg)
	wantAll(t, "gittix-ingress.yaml", msg,
		"no body size limit",
		"rule 0 (ticketing.dev) path 0: /api/users/?(.*) → auth-srv, routes.json: /api/users → auth",
		"rule 0 path /api/users/?(.*): pathType must be Prefix",
		"rule 0 (ticketing.dev): 4 paths, routes.json has 5",
	)
}

func metav1LabelSelector(s *metav1.LabelSelector) (labels.Selector, error) {
	return metav1.LabelSelectorAsSelector(s)
}
