package validate

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	natsd "github.com/nats-io/nats-server/v2/server"
	stand "github.com/nats-io/nats-streaming-server/server"
)

// The NATS permissions are tried for real: a nats-streaming-server (the version the
// manifests run, in this process, memory store) started with the manifests' config, and
// each service's user driven by node-nats-streaming, the client the services use
// (nats-client-check.js): it connects, publishes on every channel, subscribes as a
// durable queue group, acks, pings, closes. A user may publish exactly its channels of
// permissions.json, and everything else the protocol needs must work.

// clientCheck is what nats-client-check.js reports.
type clientCheck struct {
	Connected        bool              `json:"connected"`
	Error            string            `json:"error"`
	Publish          map[string]string `json:"publish"`
	Deliveries       int               `json:"deliveries"`
	Redelivered      int               `json:"redelivered"`
	Closed           bool              `json:"closed"`
	PermissionErrors []string          `json:"permissionErrors"`
}

// startNats runs NATS Streaming with config text, each password variable set to a random
// password; it returns the client URL and the passwords by variable.
func startNats(t *testing.T, c *cluster, text string) (string, map[string]string) {
	t.Helper()
	secrets := map[string]string{}
	for _, e := range c.statefulSets["nats"].Spec.Template.Spec.Containers[0].Env {
		b := make([]byte, 16)
		rand.Read(b)
		// As infra/README.md makes them: a letter first, because the server parses a
		// variable's value as a config value (a leading digit makes it a number, or an
		// error), then hex.
		secrets[e.Name] = "n" + hex.EncodeToString(b)
		t.Setenv(e.Name, secrets[e.Name])
	}
	file := filepath.Join(t.TempDir(), "nats-streaming.conf")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	nopts, err := natsd.ProcessConfigFile(file)
	if err != nil {
		t.Fatal(err)
	}
	nopts.Host, nopts.Port, nopts.HTTPPort = "127.0.0.1", natsd.RANDOM_PORT, 0
	nopts.NoLog, nopts.NoSigs = true, true
	sopts := stand.GetDefaultOptions()
	if err := stand.ProcessConfigFile(file, sopts); err != nil {
		t.Fatal(err)
	}
	sopts.ID = readNatsPermissions(t).ClusterID
	sopts.StoreType = "MEMORY"
	sopts.EnableLogging = false
	srv, err := stand.RunServerWithOpts(sopts, nopts)
	if err != nil {
		t.Fatalf("nats-streaming-server does not start with the config: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv.ClientURL(), secrets
}

// tryUser runs nats-client-check.js as one user.
func tryUser(t *testing.T, natsURL, cluster, user, password string, channels []string, subscribe string) clientCheck {
	t.Helper()
	cmd := exec.Command("node", "nats-client-check.js")
	chans, _ := json.Marshal(channels)
	cmd.Env = append(os.Environ(), "NATS_URL="+natsURL, "NATS_CLUSTER_ID="+cluster, "CHECK_USER="+user,
		"CHECK_PASSWORD="+password, "CHECK_CHANNELS="+string(chans), "CHECK_SUBSCRIBE="+subscribe)
	out, err := cmd.Output()
	var r clientCheck
	if err != nil || json.Unmarshal(out, &r) != nil {
		t.Fatalf("nats-client-check.js as %s: %v: %s", user, err, out)
	}
	return r
}

// clientProblems compares what a user could do with what permissions.json grants.
func clientProblems(user string, r clientCheck, own []string, all []string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, user+": "+fmt.Sprintf(format, args...)) }
	if !r.Connected {
		return []string{fmt.Sprintf("%s: cannot connect: %s", user, r.Error)}
	}
	for _, ch := range all {
		got := r.Publish[ch]
		switch want := slices.Contains(own, ch); {
		case want && got != "ok":
			add("publish %s: %s (permissions.json allows it)", ch, got)
		case !want && got == "ok":
			add("publish %s was accepted (permissions.json does not allow it)", ch)
		}
	}
	if r.Deliveries == 0 {
		add("its subscription received nothing")
	}
	if r.Redelivered > 0 {
		add("a message was redelivered: its ack did not reach the server")
	}
	if r.Error != "" {
		add("error: %s", r.Error)
	}
	if !r.Closed {
		add("the connection did not close cleanly")
	}
	return problems
}

// natsClientProblems starts the server with text and tries every client user.
func natsClientProblems(t *testing.T, c *cluster, text string) []string {
	perms := readNatsPermissions(t)
	natsURL, secrets := startNats(t, c, text)
	prefix := "_STAN.pub." + perms.ClusterID + "."
	channels := map[string][]string{}
	var all []string
	for u, p := range perms.Users {
		for _, s := range p.Publish {
			if ch, ok := strings.CutPrefix(s, prefix); ok {
				channels[u] = append(channels[u], ch)
				if !slices.Contains(all, ch) {
					all = append(all, ch)
				}
			}
		}
	}
	var (
		mu       sync.Mutex
		problems []string
		wg       sync.WaitGroup
	)
	for u := range perms.Users {
		if u == perms.ServerUser {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := tryUser(t, natsURL, perms.ClusterID, u, secrets["NATS_PASSWORD_"+strings.ToUpper(u)], all, channels[u][0])
			mu.Lock()
			defer mu.Unlock()
			problems = append(problems, clientProblems(u, r, channels[u], all)...)
		}()
	}
	wg.Wait()
	// A wrong password is refused.
	if r := tryUser(t, natsURL, perms.ClusterID, "tickets", "not-the-password", nil, ""); r.Connected {
		problems = append(problems, "tickets: connected with a wrong password")
	}
	sort.Strings(problems)
	return problems
}

func TestNatsPermissionsWorkWithTheRealClientAndServer(t *testing.T) {
	c := index("base", rendered(t, "base"))
	text, problems := natsConfig(c)
	if text == "" {
		t.Fatal(problems)
	}
	for _, p := range natsClientProblems(t, c, text) {
		t.Error(p)
	}
}

// Without _STAN.acks.> a client never hears that its publish was stored, and without
// publish rights on _INBOX.> its acks never reach the server: the protocol subjects are
// needed, each one.
func TestNatsConfigWithoutProtocolSubjectsIsRejected(t *testing.T) {
	c := index("base", rendered(t, "base"))
	text, problems := natsConfig(c)
	if text == "" {
		t.Fatal(problems)
	}
	// Every user loses _STAN.acks.>; tickets loses _INBOX.> from its publish rights (its
	// publish list comes before its subscribe list).
	broken := strings.ReplaceAll(text, "\"_STAN.acks.>\"", "")
	i := strings.Index(broken, "user: tickets")
	j := strings.Index(broken[i:], "\"_INBOX.>\"")
	if i < 0 || j < 0 || !strings.Contains(broken[i:i+j], "publish") || strings.Contains(broken[i:i+j], "subscribe") {
		t.Fatal("the fixture edit does not apply to the config")
	}
	broken = broken[:i+j] + broken[i+j+len("\"_INBOX.>\""):]
	msg := strings.Join(natsClientProblems(t, c, broken), "\n")
	t.Logf("rejected: %s", msg)
	wantAll(t, "config without _STAN.acks.> and tickets' _INBOX.> publish", msg,
		"orders: publish order:created: refused",
		"tickets: a message was redelivered: its ack did not reach the server",
	)
}
