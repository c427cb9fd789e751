package validate

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	natsd "github.com/nats-io/nats-server/v2/server"
	stand "github.com/nats-io/nats-streaming-server/server"
	corev1 "k8s.io/api/core/v1"
)

// Credentials: every password comes from a Secret (none is written in a manifest), each
// database and the bus require one, and both ends of a connection use the same Secret
// key: the MongoDB that creates a service's user and the service's MONGO_URI, Redis's
// requirepass and REDIS_URL, each NATS user of the bus's config and its service's
// NATS_PASSWORD. The NATS config is read by nats-server's and nats-streaming-server's
// own config parsers, and its users and permissions must be infra/nats/permissions.json.

// secretRef names a Secret key, "secret/key".
func secretRef(e corev1.EnvVar) string {
	if e.Value == "" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
		return e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
	}
	return ""
}

var envReference = regexp.MustCompile(`^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$`)

// credentialPart: env[i] is a Secret-backed variable that only serves to build a later
// variable the config knows, through Kubernetes's $(NAME) expansion (which sees only the
// variables above it), e.g. MONGO_PASSWORD inside MONGO_URI.
func credentialPart(env []corev1.EnvVar, i int, known []string) bool {
	if secretRef(env[i]) == "" {
		return false
	}
	for _, later := range env[i+1:] {
		if slices.Contains(known, later.Name) && strings.Contains(later.Value, "$("+env[i].Name+")") {
			return true
		}
	}
	return false
}

// secretish names hold credentials whatever their value looks like.
var secretish = regexp.MustCompile(`PASSWORD|SECRET|TOKEN|_KEY$|_AUTH$`)

// referencedSecret: the Secret key behind a URL's user-info part, which must be
// $(NAME) of a Secret-backed variable above it ("" and a problem otherwise).
func referencedSecret(env []corev1.EnvVar, before int, part string) (string, error) {
	m := envReference.FindStringSubmatch(part)
	if m == nil {
		return "", fmt.Errorf("is written in the manifest, not $(NAME) of a variable from a Secret")
	}
	for _, e := range env[:before] {
		if e.Name == m[1] {
			if ref := secretRef(e); ref != "" {
				return ref, nil
			}
			return "", fmt.Errorf("is $(%s), which is not from a Secret", m[1])
		}
	}
	return "", fmt.Errorf("is $(%s), which is not set above it (Kubernetes expands only earlier variables)", m[1])
}

func containerEnv(c corev1.Container, name string) (corev1.EnvVar, int, bool) {
	for i, e := range c.Env {
		if e.Name == name {
			return e, i, true
		}
	}
	return corev1.EnvVar{}, -1, false
}

// secretProblems checks the credentials of a rendered kustomization.
func secretProblems(c *cluster) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, o := range c.others {
		if s, ok := o.(*corev1.Secret); ok {
			add("Secret %s is written in the manifests: Secrets are created in the cluster (infra/README.md)", s.Name)
		}
	}
	type workload struct {
		kind, name string
		pod        corev1.PodSpec
	}
	var all []workload
	for n, d := range c.deployments {
		all = append(all, workload{"Deployment", n, d.Spec.Template.Spec})
	}
	for n, s := range c.statefulSets {
		all = append(all, workload{"StatefulSet", n, s.Spec.Template.Spec})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	for _, w := range all {
		for _, ctr := range append(append([]corev1.Container{}, w.pod.InitContainers...), w.pod.Containers...) {
			for _, e := range ctr.Env {
				if secretish.MatchString(e.Name) && secretRef(e) == "" {
					add("%s %s: %s is not from a Secret (secretKeyRef)", w.kind, w.name, e.Name)
				}
			}
		}
	}
	// Each service's connection URLs: credentials from Secrets, and the very key the
	// server behind the URL uses.
	for name, d := range c.deployments {
		ctr := d.Spec.Template.Spec.Containers[0]
		for i, e := range ctr.Env {
			if e.Name != "MONGO_URI" && e.Name != "REDIS_URL" && e.Name != "NATS_URL" {
				continue
			}
			u, err := url.Parse(e.Value)
			if err != nil || e.ValueFrom != nil {
				continue // envProblems reports it
			}
			var userRef, passRef string
			if u.User != nil {
				if pass, ok := u.User.Password(); ok {
					if passRef, err = referencedSecret(ctr.Env, i, pass); err != nil {
						add("%s: the password in %s %v", name, e.Name, err)
					}
				}
				if user := u.User.Username(); strings.HasPrefix(user, "$(") {
					if userRef, err = referencedSecret(ctr.Env, i, user); err != nil {
						add("%s: the user in %s %v", name, e.Name, err)
					}
				}
			}
			server, ok := c.statefulSets[u.Hostname()]
			if e.Name == "NATS_URL" || !ok {
				continue
			}
			if passRef == "" && err == nil {
				add("%s: %s carries no password, but %s requires one", name, e.Name, server.Name)
			}
			sctr := server.Spec.Template.Spec.Containers[0]
			switch e.Name {
			case "MONGO_URI":
				for _, v := range []string{"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD", "MONGO_APP_USERNAME", "MONGO_APP_PASSWORD"} {
					if se, _, ok := containerEnv(sctr, v); !ok || secretRef(se) == "" {
						add("StatefulSet %s: %s is not set from a Secret", server.Name, v)
					}
				}
				appUser, _, _ := containerEnv(sctr, "MONGO_APP_USERNAME")
				appPass, _, _ := containerEnv(sctr, "MONGO_APP_PASSWORD")
				if passRef != "" && passRef != secretRef(appPass) {
					add("%s: MONGO_URI's password is Secret key %s, but %s creates the service's user with %s", name, passRef, server.Name, secretRef(appPass))
				}
				if userRef != "" && userRef != secretRef(appUser) {
					add("%s: MONGO_URI's user is Secret key %s, but %s creates the service's user with %s", name, userRef, server.Name, secretRef(appUser))
				}
				mounted := false
				for _, m := range sctr.VolumeMounts {
					for _, v := range server.Spec.Template.Spec.Volumes {
						if v.Name == m.Name && v.ConfigMap != nil && m.MountPath == "/docker-entrypoint-initdb.d" {
							mounted = true
						}
					}
				}
				if !mounted {
					add("StatefulSet %s: no init script (a ConfigMap at /docker-entrypoint-initdb.d) creates the service's user", server.Name)
				}
			case "REDIS_URL":
				i := slices.Index(sctr.Args, "--requirepass")
				if i < 0 || i+1 >= len(sctr.Args) {
					add("StatefulSet %s: Redis runs without --requirepass", server.Name)
					continue
				}
				ref, err := referencedSecret(sctr.Env, len(sctr.Env), sctr.Args[i+1])
				if err != nil {
					add("StatefulSet %s: --requirepass %v", server.Name, err)
				} else if passRef != "" && ref != passRef {
					add("%s: REDIS_URL's password is Secret key %s, but %s requires %s", name, passRef, server.Name, ref)
				}
			}
		}
	}
	sort.Strings(problems)
	return problems
}

func TestCredentialsComeFromSecrets(t *testing.T) {
	for _, c := range clusters(t) {
		for _, p := range secretProblems(c) {
			t.Errorf("%s: %s", c.name, p)
		}
	}
}

func TestLiteralCredentialsAreRejected(t *testing.T) {
	objs, errs := decodeManifests(readFile(t, filepath.Join("testdata", "manifests", "literal-credentials.yaml")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	c := index("fixture", rendered(t, "base"))
	for name, d := range index("fixture", objs).deployments {
		c.deployments[name] = d
	}
	c.others = append(c.others, index("fixture", objs).others...)
	msg := strings.Join(secretProblems(c), "\n")
	t.Logf("rejected: %s", msg)
	wantAll(t, "literal-credentials.yaml", msg,
		"Secret mongo-passwords is written in the manifests",
		"Deployment orders: NATS_PASSWORD is not from a Secret (secretKeyRef)",
		"orders: the password in MONGO_URI is written in the manifest",
		"expiration: REDIS_URL carries no password, but expiration-redis requires one",
		"tickets: the password in MONGO_URI is $(MONGO_PASSWORD), which is not set above it",
		"payments: MONGO_URI's password is Secret key orders-mongo-credentials/password, but payments-mongo creates the service's user with payments-mongo-credentials/password",
	)
}

// natsPermissions is infra/nats/permissions.json.
type natsPermissions struct {
	ClusterID  string `json:"clusterId"`
	ServerUser string `json:"serverUser"`
	Users      map[string]struct {
		Publish   []string `json:"publish"`
		Subscribe []string `json:"subscribe"`
	} `json:"users"`
}

func readNatsPermissions(t testing.TB) natsPermissions {
	t.Helper()
	var p natsPermissions
	if err := json.Unmarshal(readFile(t, repoPath(t, "infra", "nats", "permissions.json")), &p); err != nil {
		t.Fatalf("infra/nats/permissions.json: %v", err)
	}
	return p
}

// natsConfig finds the bus's config: the file of the ConfigMap mounted where the nats
// StatefulSet's --config points.
func natsConfig(c *cluster) (text string, problems []string) {
	nats, ok := c.statefulSets["nats"]
	if !ok {
		return "", []string{"no StatefulSet nats"}
	}
	ctr := nats.Spec.Template.Spec.Containers[0]
	file := ""
	for _, a := range ctr.Args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			file = v
		}
	}
	if file == "" {
		return "", []string{"nats: no --config=<file>: the server runs without users"}
	}
	for _, m := range ctr.VolumeMounts {
		if m.MountPath != path.Dir(file) {
			continue
		}
		for _, v := range nats.Spec.Template.Spec.Volumes {
			if v.Name != m.Name || v.ConfigMap == nil {
				continue
			}
			for _, o := range c.others {
				if cm, ok := o.(*corev1.ConfigMap); ok && cm.Name == v.ConfigMap.Name {
					if text, ok := cm.Data[path.Base(file)]; ok {
						return text, nil
					}
				}
			}
		}
	}
	return "", []string{fmt.Sprintf("nats: --config=%s is no file of a ConfigMap mounted there", file)}
}

// natsServerOptions parses the bus's config with the servers' own parsers, the nats
// container's environment standing in for the process's: a Secret-backed variable reads
// "secret:<secret>/<key>", a literal its value. setenv is t.Setenv.
func natsServerOptions(c *cluster, text string, setenv func(k, v string)) (*natsd.Options, *stand.Options, error) {
	for _, e := range c.statefulSets["nats"].Spec.Template.Spec.Containers[0].Env {
		if ref := secretRef(e); ref != "" {
			setenv(e.Name, "secret:"+ref)
		} else {
			setenv(e.Name, e.Value)
		}
	}
	dir, err := os.MkdirTemp("", "nats-config")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "nats-streaming.conf")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		return nil, nil, err
	}
	nopts, err := natsd.ProcessConfigFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("nats-server rejects the config: %v", err)
	}
	sopts := stand.GetDefaultOptions()
	if err := stand.ProcessConfigFile(file, sopts); err != nil {
		return nil, nil, fmt.Errorf("nats-streaming-server rejects the config: %v", err)
	}
	return nopts, sopts, nil
}

func sameSet(a, b []string) (missing, extra []string) {
	for _, s := range b {
		if !slices.Contains(a, s) {
			missing = append(missing, s)
		}
	}
	for _, s := range a {
		if !slices.Contains(b, s) {
			extra = append(extra, s)
		}
	}
	return
}

// natsProblems: the bus's users are permissions.json's, each with a Secret-backed
// password; every service on the bus signs in as its own user with that very Secret key;
// every event subject has exactly one publisher and every user may dead-letter.
func natsProblems(c *cluster, perms natsPermissions, subjects []string, deadLetter string, setenv func(k, v string)) []string {
	text, problems := natsConfig(c)
	if text == "" {
		return problems
	}
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	nopts, sopts, err := natsServerOptions(c, text, setenv)
	if err != nil {
		return append(problems, err.Error())
	}
	passwords := map[string]string{}
	var users []string
	for _, u := range nopts.Users {
		users = append(users, u.Username)
		ref, ok := strings.CutPrefix(u.Password, "secret:")
		if !ok {
			add("NATS user %s: its password is not from a Secret", u.Username)
			ref = "(a password written in the config)"
		}
		passwords[u.Username] = ref
		want, ok := perms.Users[u.Username]
		if !ok {
			add("NATS user %s is not in infra/nats/permissions.json", u.Username)
			continue
		}
		var pub, sub []string
		if u.Permissions != nil && u.Permissions.Publish != nil {
			pub = u.Permissions.Publish.Allow
			if len(u.Permissions.Publish.Deny) > 0 {
				add("NATS user %s: publish deny rules are not in permissions.json", u.Username)
			}
		}
		if u.Permissions != nil && u.Permissions.Subscribe != nil {
			sub = u.Permissions.Subscribe.Allow
		}
		for _, d := range []struct {
			what      string
			got, want []string
		}{{"publish", pub, want.Publish}, {"subscribe", sub, want.Subscribe}} {
			if missing, extra := sameSet(d.got, d.want); len(missing)+len(extra) > 0 {
				add("NATS user %s: %s is not permissions.json's: missing %v, extra %v", u.Username, d.what, missing, extra)
			}
		}
	}
	if len(nopts.Users) == 0 {
		add("the NATS config has no users: anyone who reaches the bus may publish anything")
	}
	for u := range perms.Users {
		if !slices.Contains(users, u) {
			add("NATS user %s of permissions.json is not in the config", u)
		}
	}
	if sopts.Username != perms.ServerUser || sopts.Password == "" || sopts.Password != "secret:"+passwords[perms.ServerUser] {
		add("the streaming server does not sign in to its NATS server as %s with that user's Secret password (streaming { username, password })", perms.ServerUser)
	}
	// Each service on the bus: its own user, with the Secret key the bus uses for it.
	signedIn := map[string][]string{}
	for name, d := range c.deployments {
		ctr := d.Spec.Template.Spec.Containers[0]
		if _, _, ok := containerEnv(ctr, "NATS_URL"); !ok {
			continue
		}
		user, _, _ := containerEnv(ctr, "NATS_USER")
		pass, _, _ := containerEnv(ctr, "NATS_PASSWORD")
		switch {
		case user.Value == "":
			add("%s: NATS_USER is not set (the name of its NATS user)", name)
		case !slices.Contains(users, user.Value) || user.Value == perms.ServerUser:
			add("%s: NATS_USER %q is no client user of the NATS config", name, user.Value)
		case secretRef(pass) == "":
			add("%s: NATS_PASSWORD is not from a Secret", name)
		case secretRef(pass) != passwords[user.Value]:
			add("%s: NATS_PASSWORD is Secret key %s, but the bus checks user %s against %s", name, secretRef(pass), user.Value, passwords[user.Value])
		}
		signedIn[user.Value] = append(signedIn[user.Value], name)
	}
	for u, svcs := range signedIn {
		if len(svcs) > 1 {
			sort.Strings(svcs)
			add("NATS user %s is shared by %v: one user per service", u, svcs)
		}
	}
	// Publish rights per channel.
	prefix := "_STAN.pub." + perms.ClusterID + "."
	publishers := map[string][]string{}
	for u, p := range perms.Users {
		if u == perms.ServerUser {
			continue
		}
		if !slices.Contains(p.Publish, prefix+deadLetter) {
			add("NATS user %s may not publish %s", u, deadLetter)
		}
		for _, s := range p.Publish {
			if ch, ok := strings.CutPrefix(s, prefix); ok {
				publishers[ch] = append(publishers[ch], u)
			} else if strings.HasPrefix(s, "_STAN.pub.") {
				add("NATS user %s: %s is not a channel of cluster %s", u, s, perms.ClusterID)
			}
		}
	}
	for _, s := range subjects {
		if len(publishers[s]) != 1 {
			sort.Strings(publishers[s])
			add("channel %s: publishers %v, want exactly one", s, publishers[s])
		}
	}
	sort.Strings(problems)
	return problems
}

// eventSubjects are common's Subjects and its dead-letter channel, from the built
// package the services load.
func eventSubjects(t testing.TB) ([]string, string) {
	t.Helper()
	out, ok := run(t, repoRoot(t), "node", "-e", `const c = require(require.resolve('@ticketing/common', { paths: ['tickets'] }));
console.log(JSON.stringify({ subjects: Object.values(c.Subjects), deadLetter: c.DEAD_LETTER_SUBJECT }))`)
	var v struct {
		Subjects   []string `json:"subjects"`
		DeadLetter string   `json:"deadLetter"`
	}
	if !ok || json.Unmarshal([]byte(out), &v) != nil || len(v.Subjects) == 0 || v.DeadLetter == "" {
		t.Fatalf("cannot read common's Subjects (build common first: npm run build -w common): %s", out)
	}
	return v.Subjects, v.DeadLetter
}

func TestNatsUsersArePermissionsJSONWithSecretPasswords(t *testing.T) {
	perms := readNatsPermissions(t)
	subjects, deadLetter := eventSubjects(t)
	for _, c := range clusters(t) {
		for _, p := range natsProblems(c, perms, subjects, deadLetter, t.Setenv) {
			t.Errorf("%s: %s", c.name, p)
		}
	}
}

func TestBrokenNatsConfigIsRejected(t *testing.T) {
	objs, errs := decodeManifests(readFile(t, filepath.Join("testdata", "manifests", "nats-plaintext.yaml")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// The real manifests with the fixture's ConfigMap in place of nats-config.
	c := index("fixture", rendered(t, "base"))
	others := c.others[:0:0]
	for _, o := range c.others {
		if cm, ok := o.(*corev1.ConfigMap); !ok || cm.Name != "nats-config" {
			others = append(others, o)
		}
	}
	c.others = append(others, index("fixture", objs).others...)
	subjects, deadLetter := eventSubjects(t)
	msg := strings.Join(natsProblems(c, readNatsPermissions(t), subjects, deadLetter, t.Setenv), "\n")
	t.Logf("rejected: %s", msg)
	wantAll(t, "nats-plaintext.yaml", msg,
		"NATS user tickets: its password is not from a Secret",
		"NATS user orders: publish is not permissions.json's: missing [], extra [_STAN.pub.ticketing.ticket:created]",
		"NATS user payments of permissions.json is not in the config",
		"payments: NATS_USER \"payments\" is no client user of the NATS config",
	)
}
