package validate

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// shutdownSeconds is how long a service's graceful shutdown may take: runService
// (common/src/service/run-service.ts) exits anyway after 20 s.
const shutdownSeconds = 20

// podProblems checks what every workload must have (STYLE.md, after Online Boutique):
// probes, requests and limits, non-root, no privilege escalation, no capabilities, a
// read-only root file system (the dev overlay excepted: its dev stage compiles in
// place), and a grace period covering the graceful shutdown.
func podProblems(kind, name string, pod corev1.PodSpec, readOnlyRoot bool) []string {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s %s: ", kind, name)+fmt.Sprintf(format, args...))
	}
	podNonRoot := pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if !podNonRoot && (sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
			add("container %s: runAsNonRoot is not set", c.Name)
		}
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			add("container %s: allowPrivilegeEscalation is not false", c.Name)
		}
		if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			add("container %s: capabilities are not dropped (drop: [ALL])", c.Name)
		}
		if readOnlyRoot && (sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem) {
			add("container %s: the root file system is writable", c.Name)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[r]; !ok {
				add("container %s: no %s request", c.Name, r)
			}
			if _, ok := c.Resources.Limits[r]; !ok {
				add("container %s: no %s limit", c.Name, r)
			}
		}
		if c.ReadinessProbe == nil {
			add("container %s: no readiness probe", c.Name)
		}
		if c.LivenessProbe == nil {
			add("container %s: no liveness probe", c.Name)
		}
	}
	return problems
}

func httpProbe(p *corev1.Probe) string {
	if p == nil || p.HTTPGet == nil {
		return ""
	}
	return p.HTTPGet.Path
}

// workloadProblems checks every Deployment and StatefulSet of a rendered kustomization.
func workloadProblems(c *cluster, svcs, http []string, dev bool) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for name, d := range c.deployments {
		pod := d.Spec.Template.Spec
		problems = append(problems, podProblems("Deployment", name, pod, !dev)...)
		if len(pod.Containers) == 0 {
			continue
		}
		main := pod.Containers[0]
		if slices.Contains(svcs, name) {
			if got := httpProbe(main.ReadinessProbe); got != "/readyz" {
				add("Deployment %s: readiness probe %q, want GET /readyz", name, got)
			}
			if got := httpProbe(main.LivenessProbe); got != "/healthz" {
				add("Deployment %s: liveness probe %q, want GET /healthz", name, got)
			}
		}
		preStop := int64(0)
		if main.Lifecycle != nil && main.Lifecycle.PreStop != nil && main.Lifecycle.PreStop.Sleep != nil {
			preStop = main.Lifecycle.PreStop.Sleep.Seconds
		}
		if g := pod.TerminationGracePeriodSeconds; g == nil || *g <= shutdownSeconds+preStop {
			add("Deployment %s: terminationGracePeriodSeconds must exceed the preStop pause (%d s) plus the graceful shutdown (%d s)", name, preStop, shutdownSeconds)
		}
		if slices.Contains(http, name) {
			covered := false
			for _, pdb := range c.pdbs {
				if sel, err := metav1LabelSelector(pdb.Spec.Selector); err == nil && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
					covered = true
				}
			}
			if !covered {
				add("Deployment %s: serves HTTP but no PodDisruptionBudget selects its pods", name)
			}
		}
	}
	for name, s := range c.statefulSets {
		problems = append(problems, podProblems("StatefulSet", name, s.Spec.Template.Spec, true)...)
		if len(s.Spec.VolumeClaimTemplates) == 0 {
			add("StatefulSet %s: no volumeClaimTemplates: its data would not survive the pod", name)
		}
	}
	// Every Service selects pods of some workload, on a port they declare.
	for name, s := range c.services {
		sel := labels.SelectorFromSet(s.Spec.Selector)
		var ports []corev1.ContainerPort
		for _, d := range c.deployments {
			if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				ports = append(ports, d.Spec.Template.Spec.Containers[0].Ports...)
			}
		}
		for _, st := range c.statefulSets {
			if sel.Matches(labels.Set(st.Spec.Template.Labels)) {
				ports = append(ports, st.Spec.Template.Spec.Containers[0].Ports...)
			}
		}
		if len(ports) == 0 {
			add("Service %s selects no workload's pods", name)
			continue
		}
		for _, sp := range s.Spec.Ports {
			found := false
			for _, cp := range ports {
				if (sp.TargetPort.Type == intstr.String && cp.Name == sp.TargetPort.StrVal) ||
					(sp.TargetPort.Type == intstr.Int && cp.ContainerPort == sp.TargetPort.IntVal) {
					found = true
				}
			}
			if !found {
				add("Service %s: targetPort %s is no port of the pods it selects", name, sp.TargetPort.String())
			}
		}
	}
	return problems
}

func TestWorkloadsFollowTheRules(t *testing.T) {
	for _, c := range clusters(t) {
		for _, p := range workloadProblems(c, services(t), httpServices(t), c.name == "overlays/dev") {
			t.Errorf("%s: %s", c.name, p)
		}
	}
}

func TestBrokenWorkloadIsRejected(t *testing.T) {
	objs, errs := decodeManifests(readFile(t, filepath.Join("testdata", "manifests", "insecure-deployment.yaml")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	msg := strings.Join(workloadProblems(index("fixture", objs), []string{"tickets"}, []string{"tickets"}, false), "\n")
	t.Logf("rejected: %s", msg)
	wantAll(t, "insecure-deployment.yaml", msg,
		"Deployment tickets: container tickets: runAsNonRoot is not set",
		"Deployment tickets: container tickets: allowPrivilegeEscalation is not false",
		"Deployment tickets: container tickets: capabilities are not dropped (drop: [ALL])",
		"Deployment tickets: container tickets: the root file system is writable",
		"Deployment tickets: container tickets: no memory limit",
		"Deployment tickets: container tickets: no liveness probe",
		`Deployment tickets: readiness probe "/", want GET /readyz`,
		"Deployment tickets: terminationGracePeriodSeconds must exceed",
		"Deployment tickets: serves HTTP but no PodDisruptionBudget selects its pods",
		"Service tickets: targetPort 3001 is no port of the pods it selects",
		"StatefulSet tickets-mongo: no volumeClaimTemplates",
	)
}

// Replicas: one of everything in dev, two of each HTTP service in prod.
func TestReplicasPerEnvironment(t *testing.T) {
	for _, c := range clusters(t) {
		for name, d := range c.deployments {
			want := int32(1)
			if c.name == "overlays/prod" && slices.Contains(httpServices(t), name) {
				want = 2
			}
			if d.Spec.Replicas == nil || *d.Spec.Replicas != want {
				t.Errorf("%s: Deployment %s has %v replicas, want %d", c.name, name, d.Spec.Replicas, want)
			}
		}
	}
}

// NATS Streaming keeps its channels on a volume (the GitTix manifests keep them in
// memory: a restart loses every event not yet acknowledged), with cluster id ticketing.
func TestNatsStreamingKeepsItsEventsOnAVolume(t *testing.T) {
	for _, c := range clusters(t) {
		nats, ok := c.statefulSets["nats"]
		if !ok {
			t.Errorf("%s: no StatefulSet nats", c.name)
			continue
		}
		ctr := nats.Spec.Template.Spec.Containers[0]
		if ctr.Image != "nats-streaming:0.25.6" {
			t.Errorf("%s: nats runs %s, want nats-streaming:0.25.6", c.name, ctr.Image)
		}
		for _, arg := range []string{"--store=file", "--cluster_id=ticketing"} {
			if !slices.Contains(ctr.Args, arg) {
				t.Errorf("%s: nats args %v lack %s", c.name, ctr.Args, arg)
			}
		}
		dir := ""
		for _, a := range ctr.Args {
			if v, ok := strings.CutPrefix(a, "--dir="); ok {
				dir = v
			}
		}
		onClaim := false
		for _, m := range ctr.VolumeMounts {
			for _, vct := range nats.Spec.VolumeClaimTemplates {
				if m.Name == vct.Name && dir != "" && strings.HasPrefix(dir+"/", strings.TrimSuffix(m.MountPath, "/")+"/") {
					onClaim = true
				}
			}
		}
		if !onClaim {
			t.Errorf("%s: the NATS Streaming file store (--dir=%s) is not on a PersistentVolumeClaim", c.name, dir)
		}
	}
}

// Images: backing servers pinned by tag; in prod, ours come from the registry.
func TestImagesArePinned(t *testing.T) {
	for _, c := range clusters(t) {
		var pods []corev1.PodSpec
		for _, d := range c.deployments {
			pods = append(pods, d.Spec.Template.Spec)
		}
		for _, s := range c.statefulSets {
			pods = append(pods, s.Spec.Template.Spec)
		}
		for _, pod := range pods {
			for _, ctr := range pod.Containers {
				img := ctr.Image
				ours := strings.HasPrefix(img, "ticketing/") || strings.Contains(img, "/ticketing/")
				switch {
				case ours && c.name == "overlays/prod" && strings.HasPrefix(img, "ticketing/"):
					t.Errorf("%s: %s is not rewritten to the registry", c.name, img)
				case !ours && (!strings.Contains(img, ":") || strings.HasSuffix(img, ":latest")):
					t.Errorf("%s: image %s is not pinned by tag", c.name, img)
				}
			}
		}
	}
}
