package validate

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The NetworkPolicies are checked by evaluating them, with Kubernetes's semantics, for
// every pair of endpoints: each workload's pods, the ingress controller, the cluster DNS,
// an internet address (Stripe) and cluster-internal addresses. What they allow must be
// exactly the flows the rest of the manifests use: the Ingress's backends, each
// service's MONGO_URI / NATS_URL / REDIS_URL, the client's API_INTERNAL_URL, Stripe from
// the service holding STRIPE_SECRET_KEY, DNS for everyone. Nothing more, nothing less.

// ownNamespace stands for the namespace the manifests are applied to.
const ownNamespace = "ticketing"

// endpoint is one side of a connection.
type endpoint struct {
	name      string
	ours      bool              // a pod of the manifests (subject to their policies)
	namespace map[string]string // its namespace's labels (pods only)
	labels    map[string]string // its pod labels (pods only)
	ports     []corev1.ContainerPort
	ip        net.IP // an address outside the cluster's pods (ipBlock peers)
}

func nsLabels(name string) map[string]string {
	return map[string]string{"kubernetes.io/metadata.name": name}
}

var (
	// The standard ingress-nginx install's controller pods (helm chart, minikube addon).
	ingressController = endpoint{name: "ingress-nginx controller", namespace: nsLabels("ingress-nginx"),
		labels: map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx"},
		ports:  []corev1.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP}, {Name: "https", ContainerPort: 443, Protocol: corev1.ProtocolTCP}}}
	clusterDNS = endpoint{name: "kube-dns", namespace: nsLabels("kube-system"), labels: map[string]string{"k8s-app": "kube-dns"},
		ports: []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP}}}
	// Another namespace's ordinary pod: nothing of ours may talk to it or hear from it.
	foreignPod = endpoint{name: "a pod of namespace other", namespace: nsLabels("other"), labels: map[string]string{"app": "other"},
		ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}
	internet = endpoint{name: "internet (api.stripe.com)", ip: net.ParseIP("54.187.174.169"),
		ports: []corev1.ContainerPort{{Name: "https", ContainerPort: 443, Protocol: corev1.ProtocolTCP}, {Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP}}}
	// Cluster and node addresses of the usual setups, and the cloud metadata service.
	internalAddresses = []endpoint{
		{name: "10.96.0.1 (Kubernetes API Service)", ip: net.ParseIP("10.96.0.1")},
		{name: "172.20.0.10 (a pod address)", ip: net.ParseIP("172.20.0.10")},
		{name: "192.168.49.2 (a node address)", ip: net.ParseIP("192.168.49.2")},
		{name: "100.64.0.10 (a shared-range pod address)", ip: net.ParseIP("100.64.0.10")},
		{name: "169.254.169.254 (cloud metadata)", ip: net.ParseIP("169.254.169.254")},
	}
)

func init() {
	for i := range internalAddresses {
		internalAddresses[i].ports = internet.ports
	}
}

func networkPolicies(c *cluster) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for _, o := range c.others {
		if p, ok := o.(*networkingv1.NetworkPolicy); ok {
			out = append(out, p)
		}
	}
	return out
}

// workloadEndpoints are the pods of every Deployment and StatefulSet, by name.
func workloadEndpoints(c *cluster) []endpoint {
	var out []endpoint
	for name, d := range c.deployments {
		out = append(out, endpoint{name: name, ours: true, namespace: nsLabels(ownNamespace), labels: d.Spec.Template.Labels, ports: d.Spec.Template.Spec.Containers[0].Ports})
	}
	for name, s := range c.statefulSets {
		out = append(out, endpoint{name: name, ours: true, namespace: nsLabels(ownNamespace), labels: s.Spec.Template.Labels, ports: s.Spec.Template.Spec.Containers[0].Ports})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func selects(sel *metav1.LabelSelector, set map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(set))
}

func hasPolicyType(p *networkingv1.NetworkPolicy, t networkingv1.PolicyType) bool {
	if len(p.Spec.PolicyTypes) == 0 { // the API's default
		return t == networkingv1.PolicyTypeIngress || len(p.Spec.Egress) > 0
	}
	return slices.Contains(p.Spec.PolicyTypes, t)
}

// peerMatches: does a rule's peer (from the policy's namespace, ours) match e?
func peerMatches(peer networkingv1.NetworkPolicyPeer, e endpoint) bool {
	if peer.IPBlock != nil {
		if e.ip == nil {
			return false // pod-to-pod traffic is matched by selectors (as CNIs do)
		}
		_, cidr, err := net.ParseCIDR(peer.IPBlock.CIDR)
		if err != nil || !cidr.Contains(e.ip) {
			return false
		}
		for _, ex := range peer.IPBlock.Except {
			if _, n, err := net.ParseCIDR(ex); err == nil && n.Contains(e.ip) {
				return false
			}
		}
		return true
	}
	if e.ip != nil {
		return false
	}
	if peer.NamespaceSelector == nil {
		if e.namespace["kubernetes.io/metadata.name"] != ownNamespace {
			return false
		}
	} else if !selects(peer.NamespaceSelector, e.namespace) {
		return false
	}
	return peer.PodSelector == nil || selects(peer.PodSelector, e.labels)
}

// portMatches: does a rule's port list admit a connection to dst's port p?
func portMatches(ports []networkingv1.NetworkPolicyPort, dst endpoint, p corev1.ContainerPort) bool {
	if len(ports) == 0 {
		return true
	}
	proto := p.Protocol
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	for _, rp := range ports {
		rproto := corev1.ProtocolTCP
		if rp.Protocol != nil {
			rproto = *rp.Protocol
		}
		if rproto != proto {
			continue
		}
		switch {
		case rp.Port == nil:
			return true
		case rp.Port.Type == intstr.Int:
			end := rp.Port.IntVal
			if rp.EndPort != nil {
				end = *rp.EndPort
			}
			if p.ContainerPort >= rp.Port.IntVal && p.ContainerPort <= end {
				return true
			}
		default: // a named port: the name of dst's container port
			if p.Name != "" && p.Name == rp.Port.StrVal {
				return true
			}
		}
	}
	return false
}

// allowed evaluates the policies for a connection from src to dst's port p: the egress
// side when src is ours, the ingress side when dst is ours. A pod no policy selects for
// a direction is unrestricted in it.
func allowed(policies []*networkingv1.NetworkPolicy, src, dst endpoint, p corev1.ContainerPort) bool {
	if src.ours {
		selected, ok := false, false
		for _, pol := range policies {
			if !hasPolicyType(pol, networkingv1.PolicyTypeEgress) || !selects(&pol.Spec.PodSelector, src.labels) {
				continue
			}
			selected = true
			for _, r := range pol.Spec.Egress {
				peerOK := len(r.To) == 0
				for _, peer := range r.To {
					peerOK = peerOK || peerMatches(peer, dst)
				}
				ok = ok || (peerOK && portMatches(r.Ports, dst, p))
			}
		}
		if selected && !ok {
			return false
		}
	}
	if dst.ours {
		selected, ok := false, false
		for _, pol := range policies {
			if !hasPolicyType(pol, networkingv1.PolicyTypeIngress) || !selects(&pol.Spec.PodSelector, dst.labels) {
				continue
			}
			selected = true
			for _, r := range pol.Spec.Ingress {
				peerOK := len(r.From) == 0
				for _, peer := range r.From {
					peerOK = peerOK || peerMatches(peer, src)
				}
				ok = ok || (peerOK && portMatches(r.Ports, dst, p))
			}
		}
		if selected && !ok {
			return false
		}
	}
	return true
}

func flowName(src, dst endpoint, p corev1.ContainerPort) string {
	proto := ""
	if p.Protocol == corev1.ProtocolUDP {
		proto = "/udp"
	}
	return fmt.Sprintf("%s → %s:%d%s", src.name, dst.name, p.ContainerPort, proto)
}

// serviceTarget: the pods a Service selects and the container port its port number
// leads to.
func serviceTarget(c *cluster, pods []endpoint, svcName string, port int32) (endpoint, corev1.ContainerPort, bool) {
	svc, ok := c.services[svcName]
	if !ok {
		return endpoint{}, corev1.ContainerPort{}, false
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	for _, sp := range svc.Spec.Ports {
		if sp.Port != port && !(port == 0 && len(svc.Spec.Ports) == 1) {
			continue
		}
		for _, e := range pods {
			if !sel.Matches(labels.Set(e.labels)) {
				continue
			}
			for _, cp := range e.ports {
				if (sp.TargetPort.Type == intstr.String && cp.Name == sp.TargetPort.StrVal) ||
					(sp.TargetPort.Type == intstr.Int && cp.ContainerPort == sp.TargetPort.IntVal) {
					return e, cp, true
				}
			}
		}
	}
	return endpoint{}, corev1.ContainerPort{}, false
}

// designFlows are the connections the manifests themselves use.
func designFlows(c *cluster, pods []endpoint) map[string]bool {
	want := map[string]bool{}
	byName := map[string]endpoint{}
	for _, e := range pods {
		byName[e.name] = e
		for _, p := range clusterDNS.ports {
			want[flowName(e, clusterDNS, p)] = true
		}
	}
	for _, ing := range c.ingresses {
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, path := range r.HTTP.Paths {
				b := path.Backend.Service
				if b == nil {
					continue
				}
				port := b.Port.Number
				if s, ok := c.services[b.Name]; ok && b.Port.Name != "" {
					for _, sp := range s.Spec.Ports {
						if sp.Name == b.Port.Name {
							port = sp.Port
						}
					}
				}
				if dst, p, ok := serviceTarget(c, pods, b.Name, port); ok {
					want[flowName(ingressController, dst, p)] = true
				}
			}
		}
	}
	for name, d := range c.deployments {
		src := byName[name]
		for _, e := range d.Spec.Template.Spec.Containers[0].Env {
			switch {
			case e.Name == "STRIPE_SECRET_KEY":
				want[flowName(src, internet, internet.ports[0])] = true
			case strings.HasSuffix(e.Name, "_URL") || strings.HasSuffix(e.Name, "_URI"):
				u, err := url.Parse(e.Value)
				if err != nil || u.Host == "" {
					continue
				}
				port := int32(0)
				if u.Port() != "" {
					fmt.Sscan(u.Port(), &port)
				} else if u.Scheme == "http" {
					port = 80
				}
				if strings.HasPrefix(u.Hostname(), "ingress-nginx-controller.ingress-nginx.") {
					want[flowName(src, ingressController, ingressController.ports[0])] = true
					continue
				}
				if dst, p, ok := serviceTarget(c, pods, u.Hostname(), port); ok {
					want[flowName(src, dst, p)] = true
				}
			}
		}
	}
	return want
}

// networkProblems checks the NetworkPolicies of a rendered kustomization; flows lists
// what they allow.
func networkProblems(c *cluster) (problems, flows []string) {
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	policies := networkPolicies(c)
	deny := false
	for _, p := range policies {
		if len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
			hasPolicyType(p, networkingv1.PolicyTypeIngress) && hasPolicyType(p, networkingv1.PolicyTypeEgress) &&
			len(p.Spec.Ingress) == 0 && len(p.Spec.Egress) == 0 {
			deny = true
		}
	}
	if !deny {
		add("no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, Egress], no rules)")
	}
	pods := workloadEndpoints(c)
	for _, e := range pods {
		named := false
		for _, p := range policies {
			if (len(p.Spec.PodSelector.MatchLabels) > 0 || len(p.Spec.PodSelector.MatchExpressions) > 0) && selects(&p.Spec.PodSelector, e.labels) {
				named = true
			}
		}
		if !named {
			add("%s: no NetworkPolicy selects its pods (each workload has its own allow policy)", e.name)
		}
	}
	want := designFlows(c, pods)
	others := append([]endpoint{ingressController, clusterDNS, foreignPod, internet}, internalAddresses...)
	var srcs, dsts []endpoint
	srcs = append(append(srcs, pods...), ingressController, foreignPod, internet)
	dsts = append(append(dsts, pods...), others...)
	for _, src := range srcs {
		for _, dst := range dsts {
			if src.name == dst.name || (!src.ours && !dst.ours) {
				continue
			}
			for _, p := range dst.ports {
				name := flowName(src, dst, p)
				got := allowed(policies, src, dst, p)
				if got {
					flows = append(flows, name)
				}
				switch {
				case got && !want[name]:
					add("%s is allowed but is no flow of the design", name)
				case !got && want[name]:
					add("%s is a flow of the design but is denied", name)
				}
			}
		}
	}
	sort.Strings(problems)
	return problems, flows
}

func TestNetworkPoliciesAllowExactlyTheDesignFlows(t *testing.T) {
	for _, c := range clusters(t) {
		problems, flows := networkProblems(c)
		for _, p := range problems {
			t.Errorf("%s: %s", c.name, p)
		}
		if c.name == "base" {
			t.Logf("allowed flows:\n  %s", strings.Join(flows, "\n  "))
		}
	}
}

func TestLeakyNetworkPoliciesAreRejected(t *testing.T) {
	objs, errs := decodeManifests(readFile(t, filepath.Join("testdata", "manifests", "leaky-network-policies.yaml")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// The real workloads, the fixture's policies in place of the real ones.
	c := index("fixture", rendered(t, "base"))
	others := c.others[:0:0]
	for _, o := range c.others {
		if _, ok := o.(*networkingv1.NetworkPolicy); !ok {
			others = append(others, o)
		}
	}
	c.others = append(others, index("fixture", objs).others...)
	problems, _ := networkProblems(c)
	msg := strings.Join(problems, "\n")
	t.Logf("rejected: %s", msg)
	wantAll(t, "leaky-network-policies.yaml", msg,
		"no default-deny NetworkPolicy",
		"expiration: no NetworkPolicy selects its pods",
		"tickets → orders-mongo:27017 is allowed but is no flow of the design",
		"payments → 10.96.0.1 (Kubernetes API Service):443 is allowed but is no flow of the design",
		"payments → 169.254.169.254 (cloud metadata):443 is allowed but is no flow of the design",
		"a pod of namespace other → auth:3000 is allowed but is no flow of the design",
		"orders → kube-dns:53/udp is a flow of the design but is denied",
		"auth → auth-mongo:27017 is a flow of the design but is denied",
	)
}
