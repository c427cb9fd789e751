package validate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
)

// offlineImages answers BuildKit's base-image look-ups without a registry: the image
// config of an official Node image (what the linter and the LLB conversion read: the
// platform, the environment, a non-empty root file system). Any other image is unknown,
// so a COPY --from of a misspelt stage name fails as it would in a real build.
type offlineImages struct{}

var nodeImage = regexp.MustCompile(`^docker\.io/library/node:`)

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	if !nodeImage.MatchString(ref) {
		return "", "", nil, fmt.Errorf("%s: not an image this offline check knows (only node:*)", ref)
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config": map[string]any{
			"Env":        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_VERSION=20.20.2", "YARN_VERSION=1.22.22"},
			"Entrypoint": []string{"docker-entrypoint.sh"},
			"Cmd":        []string{"node"},
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + strings.Repeat("0", 64)}},
	})
	return ref, "", config, err
}

// buildkitProblems runs BuildKit's own checks on a Dockerfile: the parser, the linter
// (every non-experimental rule, as `docker build --check` does) and the conversion of
// every stage to LLB (undefined stages, bad flags, bad instructions).
func buildkitProblems(name string, dt []byte) []string {
	ctx := context.Background()
	var problems []string
	opt := func() dockerfile2llb.ConvertOpt {
		sourceMap := llb.NewSourceMap(nil, name, "Dockerfile", dt)
		sourceMap.Definition = &llb.Definition{} // the linter's report names the source
		return dockerfile2llb.ConvertOpt{
			Config:       dockerui.Config{},
			MetaResolver: offlineImages{},
			SourceMap:    sourceMap,
		}
	}
	results, err := dockerfile2llb.DockerfileLint(ctx, dt, opt())
	if err != nil {
		return []string{"lint: " + err.Error()}
	}
	for _, w := range results.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		problems = append(problems, fmt.Sprintf("lint %s: %s (line %d)", w.RuleName, w.Detail, line))
	}
	if results.Error != nil {
		problems = append(problems, "build error: "+results.Error.Message)
	} else if _, err := dockerfile2llb.Dockerfile2LLB(ctx, dt, opt()); err != nil {
		problems = append(problems, "build error: "+err.Error())
	}
	return problems
}

var (
	// node:20.<minor>.<patch>-<variant>, optionally with a digest: a moving tag such as
	// node:20 or node:alpine would change the image under the same Dockerfile.
	pinnedNode20 = regexp.MustCompile(`^node:20\.\d+\.\d+-[a-z0-9.-]+(@sha256:[0-9a-f]{64})?$`)
	npmInstall   = regexp.MustCompile(`\bnpm\s+(install|i|add)\b`)
	npmCI        = regexp.MustCompile(`\bnpm\s+ci\b`)
)

// imageRules checks what the issue asks of every image, on BuildKit's parsed stages:
// multi-stage, a pinned Node 20 base, npm ci, production dependencies only in the final
// stage, a non-root user, node started directly in exec form, no HEALTHCHECK, no ts-node.
func imageRules(dt []byte) []string {
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(stages) < 2 {
		add("single stage: build with dev dependencies and run with production ones in separate stages")
	}
	names := map[string]bool{}
	for _, st := range stages {
		if !names[strings.ToLower(st.BaseName)] && !pinnedNode20.MatchString(st.BaseName) {
			add("FROM %s: not a pinned Node 20 image (node:20.x.y-variant)", st.BaseName)
		}
		if st.Name != "" {
			names[strings.ToLower(st.Name)] = true
		}
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.HealthCheckCommand:
				add("HEALTHCHECK in stage %q: the probes live in Kubernetes", st.Name)
			case *instructions.RunCommand:
				if npmInstall.MatchString(strings.Join(c.CmdLine, " ")) {
					add("RUN %s: use npm ci (the lock file, exactly)", strings.Join(c.CmdLine, " "))
				}
			}
		}
	}
	if len(stages) == 0 {
		return problems
	}
	final := stages[len(stages)-1]
	if names[strings.ToLower(final.BaseName)] {
		add("final stage builds on stage %q: it would carry the dev dependencies", final.BaseName)
	}
	var user, cmd, entrypoint string
	var cmdExec bool
	var cmdLine []string
	prodInstall := false
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.CmdCommand:
			cmd, cmdExec, cmdLine = strings.Join(c.CmdLine, " "), !c.PrependShell, c.CmdLine
		case *instructions.EntrypointCommand:
			entrypoint = strings.Join(c.CmdLine, " ")
		case *instructions.RunCommand:
			line := strings.Join(c.CmdLine, " ")
			if npmCI.MatchString(line) && strings.Contains(line, "--omit=dev") {
				prodInstall = true
			}
		case *instructions.CopyCommand:
			for _, src := range c.SourcePaths {
				if c.From != "" && strings.Contains(src, "node_modules") {
					add("COPY --from=%s %s: node_modules of a build stage holds dev dependencies", c.From, src)
				}
			}
		}
	}
	if !prodInstall {
		add("final stage: no `npm ci --omit=dev` (production dependencies only)")
	}
	switch u := strings.SplitN(user, ":", 2)[0]; u {
	case "":
		add("final stage runs as root: no USER")
	case "root", "0":
		add("final stage runs as root: USER %s", user)
	}
	switch {
	case cmd == "":
		add("final stage: no CMD")
	case !cmdExec:
		add("CMD %s: shell form, so SIGTERM goes to /bin/sh and never reaches node", cmd)
	case cmdLine[0] != "node":
		add("CMD %s: start node itself (npm and other wrappers do not forward SIGTERM)", cmd)
	}
	if entrypoint != "" {
		add("ENTRYPOINT %s: keep the image's entrypoint, start node from CMD", entrypoint)
	}
	if strings.Contains(cmd, "ts-node") || strings.Contains(cmd, ".ts") {
		add("CMD %s: runs TypeScript at run time; run the compiled JavaScript", cmd)
	}
	return problems
}

// ignoreProblems checks a Dockerfile against the .dockerignore BuildKit uses with it
// (<Dockerfile>.dockerignore, the build context being the repository root): every file
// a COPY takes from the context is sent, and no build output, dependency folder or test
// is.
func ignoreProblems(t testing.TB, root, dockerfile string) []string {
	t.Helper()
	var problems []string
	f, err := os.Open(dockerfile + ".dockerignore")
	if err != nil {
		return []string{"no " + filepath.Base(dockerfile) + ".dockerignore beside it: " + err.Error()}
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return []string{"dockerignore: " + err.Error()}
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return []string{"dockerignore: " + err.Error()}
	}
	sent := func(rel string) bool {
		ignored, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
		return err == nil && !ignored
	}
	ast, err := parser.Parse(bytes.NewReader(readFile(t, dockerfile)))
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	for _, st := range stages {
		for _, c := range st.Commands {
			c, ok := c.(*instructions.CopyCommand)
			if !ok || c.From != "" {
				continue
			}
			for _, src := range c.SourcePaths {
				src = strings.TrimSuffix(filepath.Clean(src), "/")
				info, err := os.Stat(filepath.Join(root, src))
				if err != nil {
					problems = append(problems, fmt.Sprintf("COPY %s: not in the repository", src))
					continue
				}
				if !info.IsDir() {
					if !sent(src) {
						problems = append(problems, fmt.Sprintf("COPY %s: excluded by the dockerignore", src))
					}
					continue
				}
				any := false
				_ = filepath.WalkDir(filepath.Join(root, src), func(p string, d fs.DirEntry, err error) error {
					if err != nil || any {
						return filepath.SkipDir
					}
					if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".next") {
						return filepath.SkipDir
					}
					rel, _ := filepath.Rel(root, p)
					if !d.IsDir() && sent(rel) {
						any = true
					}
					return nil
				})
				if !any {
					problems = append(problems, fmt.Sprintf("COPY %s: every file in it is excluded by the dockerignore", src))
				}
			}
		}
	}
	dir := filepath.Base(filepath.Dir(dockerfile))
	for _, never := range []string{
		"node_modules/express/package.json", dir + "/node_modules/x/index.js", "common/node_modules/x/index.js",
		dir + "/dist/index.js", "common/dist/index.js", dir + "/.next/BUILD_ID",
		dir + "/src/__tests__/app.test.ts", "common/src/__tests__/bus.test.ts", ".git/HEAD", ".run/logs/x.log", "tools/bin/kustomize",
	} {
		if sent(never) {
			problems = append(problems, fmt.Sprintf("%s would be sent to the build (exclude it in the dockerignore)", never))
		}
	}
	return problems
}

func TestDockerfilesPassBuildKitChecks(t *testing.T) {
	root := repoRoot(t)
	for _, d := range deployables(t) {
		t.Run(d, func(t *testing.T) {
			path := filepath.Join(root, d, "Dockerfile")
			dt := readFile(t, path)
			for _, p := range buildkitProblems(path, dt) {
				t.Errorf("%s/Dockerfile: %s", d, p)
			}
			for _, p := range imageRules(dt) {
				t.Errorf("%s/Dockerfile: %s", d, p)
			}
			for _, p := range ignoreProblems(t, root, path) {
				t.Errorf("%s/Dockerfile: %s", d, p)
			}
		})
	}
}

// The service images are one recipe: their Dockerfiles differ only in the service name
// (the list of workspace manifests, which names every service, aside).
func TestServiceDockerfilesAreOneRecipe(t *testing.T) {
	normalize := func(svc, text string) string {
		lines := strings.Split(text, "\n")
		for i, l := range lines {
			if !strings.Contains(l, "package.json") {
				lines[i] = strings.ReplaceAll(l, svc, "<service>")
			}
		}
		return strings.Join(lines, "\n")
	}
	svcs := services(t)
	for _, file := range []string{"Dockerfile", "Dockerfile.dockerignore"} {
		want := normalize(svcs[0], string(readFile(t, repoPath(t, svcs[0], file))))
		for _, s := range svcs[1:] {
			if got := normalize(s, string(readFile(t, repoPath(t, s, file)))); got != want {
				t.Errorf("%s/%s differs from %s/%s in more than the service name", s, file, svcs[0], file)
			}
		}
	}
}

// Every workspace's package.json is copied before npm ci (npm checks the lock file
// against all of them), so a new workspace must be added to every Dockerfile.
func TestDockerfilesCopyEveryWorkspaceManifest(t *testing.T) {
	var pkg struct {
		Workspaces []string `json:"workspaces"`
	}
	if err := json.Unmarshal(readFile(t, repoPath(t, "package.json")), &pkg); err != nil {
		t.Fatal(err)
	}
	for _, d := range deployables(t) {
		dt := string(readFile(t, repoPath(t, d, "Dockerfile")))
		for _, w := range pkg.Workspaces {
			if !regexp.MustCompile(`(?m)^COPY (--chown=\S+ )?` + regexp.QuoteMeta(w+"/package.json") + ` `).MatchString(dt) {
				t.Errorf("%s/Dockerfile does not copy %s/package.json before npm ci", d, w)
			}
		}
	}
}

// A GitTix-style Dockerfile must be rejected, by BuildKit's linter and by the image rules.
func TestBrokenDockerfileIsRejected(t *testing.T) {
	path := filepath.Join("testdata", "dockerfiles", "gittix", "Dockerfile")
	dt := readFile(t, path)
	lint := strings.Join(buildkitProblems(path, dt), "\n")
	t.Logf("BuildKit: %s", lint)
	wantAll(t, "BuildKit on "+path, lint,
		"lint FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 3)",
		"lint JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 9)",
	)
	rules := strings.Join(imageRules(dt), "\n")
	t.Logf("image rules: %s", rules)
	wantAll(t, "image rules on "+path, rules,
		"single stage",
		"FROM node:alpine: not a pinned Node 20 image",
		"RUN npm install",
		"HEALTHCHECK in stage",
		"final stage runs as root: no USER",
		"CMD npm start: shell form",
	)
	ignore := strings.Join(ignoreProblems(t, repoRoot(t), path), "\n")
	t.Logf("dockerignore: %s", ignore)
	wantAll(t, "dockerignore of "+path, ignore, "node_modules/express/package.json would be sent to the build")
}

// A COPY --from of a stage that does not exist is an error of BuildKit's conversion.
func TestDockerfileWithUnknownStageIsRejected(t *testing.T) {
	path := filepath.Join("testdata", "dockerfiles", "unknown-stage", "Dockerfile")
	msg := strings.Join(buildkitProblems(path, readFile(t, path)), "\n")
	t.Logf("BuildKit: %s", msg)
	wantAll(t, path, msg, "build error: ", "buidl")
}
