// Package validate checks the deployment artifacts of the repository with the real
// validator of each kind. Everything lives in the tests (`go test ./...`, run by
// run.sh after install.sh has installed the validator binaries into tools/bin):
//
//   - dockerfiles_test.go: every Dockerfile through BuildKit's own parser, linter and
//     LLB conversion (github.com/moby/buildkit), plus the image rules of the issue
//     (multi-stage, pinned Node 20, non-root, npm ci, exec-form node, no HEALTHCHECK)
//     and its .dockerignore.
//   - manifests_test.go: every manifest, and the output of `kustomize build` of base and
//     both overlays, strictly decoded into the Kubernetes API types (client-go's scheme,
//     apimachinery's JSON/YAML serializer in strict mode).
//   - skaffold_test.go: skaffold.yaml against the skaffold/v4beta13 JSON schema.
//   - workflows_test.go: .github/workflows through actionlint (with shellcheck).
//   - consistency_test.go: the artifacts agree with each other and with the code: every
//     service has them all, every variable its config requires is set, the ingress
//     routes are infra/routes.json, the images have every package the code requires.
//   - mongo_test.go: the services' MongoDBs are the one kustomize component
//     (infra/k8s/base/mongo), added once per service with a database and rendered, field
//     for field, as its definition with the service's name; no copy, no placeholder left.
//   - network_test.go: the NetworkPolicies, evaluated for every pair of endpoints, allow
//     exactly the flows the manifests use (default deny, DNS, one policy per workload).
//   - secrets_test.go: credentials only from Secrets, and the same Secret key at both
//     ends of every connection; the NATS config (read by the NATS servers' own parsers)
//     is infra/nats/permissions.json, one user per service.
//   - nats_test.go: that config in a real nats-streaming-server, tried as each user with
//     node-nats-streaming (nats-client-check.js).
//
// Each validator is also run on a broken fixture in testdata/, which must be rejected
// for the expected reason: a validator that accepts everything fails its test.
package validate
