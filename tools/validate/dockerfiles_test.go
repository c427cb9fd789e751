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
	"slices"
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
func buildkitProblems(name string, dt []byte, buildArgs map[string]string) []string {
	ctx := context.Background()
	var problems []string
	opt := func() dockerfile2llb.ConvertOpt {
		sourceMap := llb.NewSourceMap(nil, name, "Dockerfile", dt)
		sourceMap.Definition = &llb.Definition{} // the linter's report names the source
		return dockerfile2llb.ConvertOpt{
			Config:       dockerui.Config{BuildArgs: buildArgs},
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
			if prodOnlyInstall(c) {
				prodInstall = true
			}
		case *instructions.CopyCommand:
			for _, src := range c.SourcePaths {
				if c.From == "" || !strings.Contains(src, "node_modules") {
					continue
				}
				// Allowed only from a stage of production dependencies: on the Node image
				// itself (not on a stage that installed dev dependencies), its install
				// `npm ci --omit=dev`.
				from := stageNamed(stages, c.From)
				if from == nil || names[strings.ToLower(from.BaseName)] || !stageInstallsProdOnly(from) {
					add("COPY --from=%s %s: node_modules of a build stage holds dev dependencies", c.From, src)
				} else {
					prodInstall = true
				}
			}
		}
	}
	if !prodInstall {
		add("final stage: no `npm ci --omit=dev`, nor node_modules from a stage that ran it (production dependencies only)")
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

// prodOnlyInstall: a RUN of `npm ci --omit=dev`.
func prodOnlyInstall(c *instructions.RunCommand) bool {
	line := strings.Join(c.CmdLine, " ")
	return npmCI.MatchString(line) && strings.Contains(line, "--omit=dev")
}

// stageInstallsProdOnly: the stage's only npm install is `npm ci --omit=dev`.
func stageInstallsProdOnly(st *instructions.Stage) bool {
	prod := false
	for _, c := range st.Commands {
		if r, ok := c.(*instructions.RunCommand); ok {
			line := strings.Join(r.CmdLine, " ")
			if npmCI.MatchString(line) || npmInstall.MatchString(line) {
				if !prodOnlyInstall(r) {
					return false
				}
				prod = true
			}
		}
	}
	return prod
}

func stageNamed(stages []instructions.Stage, name string) *instructions.Stage {
	for i := range stages {
		if strings.EqualFold(stages[i].Name, name) {
			return &stages[i]
		}
	}
	return nil
}

// ignoreProblems checks a Dockerfile against the .dockerignore BuildKit uses with it
// (<Dockerfile>.dockerignore, the build context being the repository root): every file
// a COPY takes from the context is sent, and no build output, dependency folder or test
// is.
func ignoreProblems(t testing.TB, root, dockerfile, image string, buildArgs map[string]string) []string {
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
				for k, v := range buildArgs {
					src = strings.NewReplacer("${"+k+"}", v, "$"+k, v).Replace(src)
				}
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
	dir := image
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
	for _, img := range imageRecipes(t) {
		t.Run(img.name, func(t *testing.T) {
			path := filepath.Join(root, img.dockerfile)
			dt := readFile(t, path)
			for _, p := range buildkitProblems(path, dt, img.buildArgs) {
				t.Errorf("%s (%s): %s", img.dockerfile, img.name, p)
			}
			for _, p := range imageRules(dt) {
				t.Errorf("%s (%s): %s", img.dockerfile, img.name, p)
			}
			for _, p := range ignoreProblems(t, root, path, img.name, img.buildArgs) {
				t.Errorf("%s (%s): %s", img.dockerfile, img.name, p)
			}
		})
	}
}

// The five services are built from one recipe with a build argument: no service folder
// has a Dockerfile of its own, and the recipe refuses a build without a known SERVICE.
func TestServicesAreBuiltFromOneRecipe(t *testing.T) {
	for _, s := range services(t) {
		for _, f := range []string{"Dockerfile", "Dockerfile.dockerignore"} {
			if _, err := os.Stat(repoPath(t, s, f)); err == nil {
				t.Errorf("%s/%s exists: the services are built from %s (--build-arg SERVICE=%s)", s, f, serviceRecipe, s)
			}
		}
	}
	dt := string(readFile(t, repoPath(t, serviceRecipe)))
	guard := regexp.MustCompile(`(?m)^RUN case "\$SERVICE" in ([a-z|]+)\)`).FindStringSubmatch(dt)
	if guard == nil {
		t.Fatalf("%s: no `RUN case \"$SERVICE\" in a|b|…)` guard refusing an unknown or missing SERVICE", serviceRecipe)
	}
	if got, want := sorted(strings.Split(guard[1], "|")), sorted(services(t)); !slices.Equal(got, want) {
		t.Errorf("%s: SERVICE may be %v, want the services %v", serviceRecipe, got, want)
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
	for _, file := range []string{serviceRecipe, "client/Dockerfile"} {
		dt := string(readFile(t, repoPath(t, file)))
		for _, w := range pkg.Workspaces {
			if !regexp.MustCompile(`(?m)^COPY (--chown=\S+ )?` + regexp.QuoteMeta(w+"/package.json") + ` `).MatchString(dt) {
				t.Errorf("%s does not copy %s/package.json before npm ci", file, w)
			}
		}
	}
}

// A GitTix-style Dockerfile must be rejected, by BuildKit's linter and by the image rules.
func TestBrokenDockerfileIsRejected(t *testing.T) {
	path := filepath.Join("testdata", "dockerfiles", "gittix", "Dockerfile")
	dt := readFile(t, path)
	lint := strings.Join(buildkitProblems(path, dt, nil), "\n")
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
	ignore := strings.Join(ignoreProblems(t, repoRoot(t), path, "gittix", nil), "\n")
	t.Logf("dockerignore: %s", ignore)
	wantAll(t, "dockerignore of "+path, ignore, "node_modules/express/package.json would be sent to the build")
}

// A COPY --from of a stage that does not exist is an error of BuildKit's conversion.
func TestDockerfileWithUnknownStageIsRejected(t *testing.T) {
	path := filepath.Join("testdata", "dockerfiles", "unknown-stage", "Dockerfile")
	msg := strings.Join(buildkitProblems(path, readFile(t, path), nil), "\n")
	t.Logf("BuildKit: %s", msg)
	wantAll(t, path, msg, "build error: ", "buidl")
}

// node_modules may come only from a stage of production dependencies (the services'
// `modules` stage); from a stage that ran a plain npm ci they carry dev dependencies.
func TestDockerfileCopyingDevModulesIsRejected(t *testing.T) {
	path := filepath.Join("testdata", "dockerfiles", "dev-modules", "Dockerfile")
	msg := strings.Join(imageRules(readFile(t, path)), "\n")
	t.Logf("image rules: %s", msg)
	wantAll(t, path, msg,
		"COPY --from=build /app/node_modules: node_modules of a build stage holds dev dependencies",
		"final stage: no `npm ci --omit=dev`",
	)
}
