package validate

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// A service image installs production dependencies only: `npm ci --omit=dev --workspace
// @ticketing/common --workspace @ticketing/<service>` (see its Dockerfile). These tests
// check, from package-lock.json, that such an install holds every package the compiled
// service and common require at run time. (A package only a dev dependency brings,
// e.g. express when the services did not list it, builds and tests fine and crashes the
// image at start.)

type lockPackage struct {
	Version              string            `json:"version"`
	Dev                  bool              `json:"dev"`
	Link                 bool              `json:"link"`
	Resolved             string            `json:"resolved"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	PeerDependenciesMeta map[string]struct {
		Optional bool `json:"optional"`
	} `json:"peerDependenciesMeta"`
}

type lockFile struct {
	Packages map[string]lockPackage `json:"packages"`
}

func loadLock(t testing.TB, file string) lockFile {
	t.Helper()
	var lock lockFile
	if err := json.Unmarshal(readFile(t, file), &lock); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return lock
}

// resolve finds the lock entry node would load for `name` required from the package at
// `from` (a workspace folder or a node_modules path): the nearest node_modules upward.
func (l lockFile) resolve(from, name string) string {
	for dir := from; ; {
		cand := path.Join(dir, "node_modules", name)
		if _, ok := l.Packages[cand]; ok {
			return cand
		}
		if dir == "" {
			return ""
		}
		if i := strings.LastIndex(dir, "/node_modules/"); i >= 0 {
			dir = dir[:i]
		} else {
			dir = ""
		}
	}
}

// productionInstall is what npm ci --omit=dev installs for these workspaces: their
// dependencies, optional and (non-optional) peer dependencies, transitively, minus
// anything the lock marks dev.
func (l lockFile) productionInstall(workspaces ...string) map[string]bool {
	installed := map[string]bool{}
	queue := append([]string(nil), workspaces...)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if installed[p] {
			continue
		}
		pkg, ok := l.Packages[p]
		if !ok || pkg.Dev {
			continue
		}
		installed[p] = true
		if pkg.Link {
			queue = append(queue, pkg.Resolved)
			continue
		}
		var names []string
		for n := range pkg.Dependencies {
			names = append(names, n)
		}
		for n := range pkg.OptionalDependencies {
			names = append(names, n)
		}
		for n := range pkg.PeerDependencies {
			if !pkg.PeerDependenciesMeta[n].Optional {
				names = append(names, n)
			}
		}
		for _, n := range names {
			if q := l.resolve(p, n); q != "" {
				queue = append(queue, q)
			}
		}
	}
	return installed
}

var requireCall = regexp.MustCompile(`\brequire\("([^"]+)"\)`)

// packageName of a bare specifier: express/lib/x → express, @scope/a/b → @scope/a.
func packageName(spec string) string {
	parts := strings.Split(spec, "/")
	if strings.HasPrefix(spec, "@") && len(parts) > 1 {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

// runtimeRequires follows the compiled code from <workspace>/dist/index.js through
// relative requires and into common, and returns each package required, with the
// workspace whose file requires it.
func runtimeRequires(t testing.TB, root, workspace string, builtins map[string]bool) map[string]string {
	t.Helper()
	entry := filepath.Join(root, workspace, "dist", "index.js")
	if _, err := os.Stat(entry); err != nil {
		t.Fatalf("%s/dist/index.js does not exist: build the service first (npm run build -w common -w %s)", workspace, workspace)
	}
	found := map[string]string{}
	seen := map[string]bool{}
	var visit func(file string)
	visit = func(file string) {
		if seen[file] {
			return
		}
		seen[file] = true
		data, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			return
		}
		rel, _ := filepath.Rel(root, file)
		owner := strings.Split(filepath.ToSlash(rel), "/")[0]
		for _, m := range requireCall.FindAllStringSubmatch(string(data), -1) {
			spec := m[1]
			switch {
			case strings.HasPrefix(spec, "."):
				base := filepath.Join(filepath.Dir(file), spec)
				for _, cand := range []string{base + ".js", filepath.Join(base, "index.js"), base} {
					if info, err := os.Stat(cand); err == nil && !info.IsDir() {
						if strings.HasSuffix(cand, ".js") {
							visit(cand)
						}
						break
					}
				}
			case strings.HasPrefix(spec, "node:") || builtins[packageName(spec)]:
			case spec == "@ticketing/common":
				visit(filepath.Join(root, "common", "dist", "index.js"))
			case strings.HasPrefix(spec, "@ticketing/common/"):
				visit(filepath.Join(root, "common", "dist", strings.TrimPrefix(spec, "@ticketing/common/"), "index.js"))
			default:
				if _, ok := found[packageName(spec)]; !ok {
					found[packageName(spec)] = owner + " (" + filepath.ToSlash(rel) + ")"
				}
			}
		}
	}
	visit(entry)
	return found
}

// missingAtRunTime lists the required packages an image's production install lacks.
func missingAtRunTime(lock lockFile, workspace string, requires map[string]string) []string {
	installed := lock.productionInstall("common", workspace)
	var problems []string
	for name, by := range requires {
		owner := strings.SplitN(by, " ", 2)[0]
		if q := lock.resolve(owner, name); q == "" || !installed[q] {
			problems = append(problems, fmt.Sprintf("%s: %s is required by %s but is not a production dependency of the image (add it to %s/package.json dependencies)", workspace, name, by, workspace))
		}
	}
	sort.Strings(problems)
	return problems
}

func nodeBuiltins(t testing.TB) map[string]bool {
	t.Helper()
	out, ok := run(t, repoRoot(t), "node", "-p", `require("module").builtinModules.join(" ")`)
	if !ok {
		t.Fatalf("node: %s", out)
	}
	m := map[string]bool{}
	for _, b := range strings.Fields(out) {
		m[b] = true
	}
	return m
}

func TestImagesHaveEveryPackageTheCodeRequires(t *testing.T) {
	root := repoRoot(t)
	lock := loadLock(t, filepath.Join(root, "package-lock.json"))
	builtins := nodeBuiltins(t)
	for _, s := range services(t) {
		requires := runtimeRequires(t, root, s, builtins)
		if len(requires) == 0 {
			t.Errorf("%s: found no package required by its compiled code", s)
		}
		names := make([]string, 0, len(requires))
		for n := range requires {
			names = append(names, n)
		}
		sort.Strings(names)
		t.Logf("%s requires at run time: %s", s, strings.Join(names, " "))
		for _, p := range missingAtRunTime(lock, s, requires) {
			t.Error(p)
		}
	}
}

// The fixture is the lock file as it was before the services listed express: express
// was only a dev dependency of common (and its peer), so npm ci --omit=dev left it out.
func TestMissingRuntimeDependencyIsRejected(t *testing.T) {
	lock := loadLock(t, filepath.Join("testdata", "runtime-deps", "package-lock.json"))
	requires := map[string]string{
		"express": "common (common/dist/http/create-app.js)",
		"pino":    "common (common/dist/logger.js)",
	}
	msg := strings.Join(missingAtRunTime(lock, "auth", requires), "\n")
	t.Logf("rejected: %s", msg)
	wantAll(t, "runtime-deps fixture", msg, "auth: express is required by common (common/dist/http/create-app.js) but is not a production dependency of the image")
	if strings.Contains(msg, "pino") {
		t.Errorf("pino is a production dependency of common, yet reported: %s", msg)
	}
}
