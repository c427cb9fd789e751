#!/usr/bin/env bash
# npm test [-- PART...]: every test of the project, on a fresh machine too. Installs what
# is missing (npm ci, the Go-built servers), builds, starts the backing servers on
# loopback, runs each part, stops the servers, and prints one closing line
# "N passed, N failed". Exit status is non-zero when anything failed.
#
# Parts (default: all, in this order):
#   unit         jest in common/ and every service (real FerretDB, NATS Streaming, Redis, stripe-mock)
#   client       the web app's component tests (jsdom)
#   tools        go test of the FerretDB gate (tools/)
#   deploy       Dockerfiles, Kubernetes manifests, skaffold.yaml and workflows through real validators
#   integration  the cross-service test: the five services on real servers behind the gateway
#   images       the six images built with podman from the Dockerfiles and checked (skipped, saying why, without podman)
#   chaos        fault injection on the local stack (kill -9, SIGSTOP/SIGCONT, restarts on the same data)
#   e2e          the web app in Debian's Chromium against the local stack
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ALL_PARTS=(unit client tools deploy images integration chaos e2e)
PARTS=("$@")
[[ ${#PARTS[@]} -eq 0 ]] && PARTS=("${ALL_PARTS[@]}")
for p in "${PARTS[@]}"; do
  [[ " ${ALL_PARTS[*]} " == *" $p "* ]] || { echo "test.sh: unknown part '$p' (parts: ${ALL_PARTS[*]})" >&2; exit 2; }
done
wants() { [[ " ${PARTS[*]} " == *" $1 "* ]]; }

started=$SECONDS
part_started=$SECONDS
bash scripts/ensure-deps.sh || exit 1

RESULTS="$ROOT/.run/test-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
passed=0
failed=0
failed_parts=()
count() { # part passed failed
  passed=$((passed + $2))
  failed=$((failed + $3))
  if (($3 > 0)); then failed_parts+=("$1"); fi
  echo "== $1: $2 passed, $3 failed ($((SECONDS - part_started))s)"
  part_started=$SECONDS
}
jest_counts() { # json-file → "passed failed"
  node -e '
    const fs = require("fs");
    try {
      const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      // A suite that failed to run at all (compile error, hook timeout) counts as a failure.
      const broken = r.testResults.filter((t) => t.status === "failed" && t.assertionResults.length === 0).length;
      console.log(r.numPassedTests, r.numFailedTests + broken);
    } catch { console.log(0, 1); }' "$1"
}
run_jest() { # part jest-args...
  local part=$1
  shift
  local out="$RESULTS/$part.json"
  # --forceExit: a leaked handle (a reconnect loop, a driver timer) must never hang CI.
  npx jest --ci --forceExit --json --outputFile="$out" "$@"
  read -r p f < <(jest_counts "$out")
  count "$part" "$p" "$f"
}

echo "== build"
if ! npm run build -w common -w auth -w tickets -w orders -w payments -w expiration >"$RESULTS/build.log" 2>&1; then
  tail -n 40 "$RESULTS/build.log"
  count build 0 1
  echo "0 passed, 1 failed"
  exit 1
fi

echo "== install and build took $((SECONDS - part_started))s"
part_started=$SECONDS
needs_servers=false
for p in unit integration; do wants $p && needs_servers=true; done
if $needs_servers; then
  trap 'bash scripts/servers.sh stop >/dev/null 2>&1' EXIT
  bash scripts/servers.sh start | tee "$RESULTS/servers.log" || { echo "0 passed, 1 failed"; exit 1; }
  # It ends with the variables that reach its servers (MONGO_URI=..., NATS_URL=...).
  while IFS= read -r line; do export "${line?}"; done < <(grep -E '^[A-Z_]+=' "$RESULTS/servers.log")
fi

# The route tests record their requests and responses here; the OpenAPI contract test
# (integration) replays them against each service's document.
export CONTRACT_RECORD="$RESULTS/contract"
mkdir -p "$CONTRACT_RECORD"
if wants unit; then
  echo "== unit: common and the services (jest)"
  run_jest unit --selectProjects common auth tickets orders payments expiration
fi
if wants client; then
  echo "== client: component tests"
  run_jest client --selectProjects client
fi
if wants tools; then
  echo "== tools: go test"
  (cd tools && go test -count=1 -v ./... 2>&1) | tee "$RESULTS/tools.log" | grep -E '^(--- |ok |FAIL|panic)'
  status=${PIPESTATUS[0]}
  ok=$(grep -c '^--- PASS' "$RESULTS/tools.log")
  bad=$(grep -c -E '^(FAIL|--- FAIL)' "$RESULTS/tools.log")
  ((status != 0 && bad == 0)) && bad=1
  count tools "$ok" "$bad"
fi
if wants deploy; then
  echo "== deploy: validators"
  if [[ -f tools/validate/run.sh ]]; then
    bash tools/validate/run.sh 2>&1 | tee "$RESULTS/deploy.log"
    status=${PIPESTATUS[0]}
    ok=$(grep -c -E '^(ok |--- PASS)' "$RESULTS/deploy.log")
    bad=$(grep -c -E '^(FAIL|--- FAIL)' "$RESULTS/deploy.log")
    ((status != 0 && bad == 0)) && bad=1
    count deploy "$ok" "$bad"
  else
    echo "tools/validate/run.sh is missing"
    count deploy 0 1
  fi
fi
if wants images; then
  echo "== images: the six images built with podman and checked"
  bash scripts/images/test.sh 2>&1 | tee "$RESULTS/images.log"
  status=${PIPESTATUS[0]}
  if grep -q '^images: skipped: ' "$RESULTS/images.log"; then
    echo "== images: skipped ($((SECONDS - part_started))s)"
    part_started=$SECONDS
  else
    ok=$(grep -c '^ok ' "$RESULTS/images.log")
    bad=$(grep -c '^--- FAIL' "$RESULTS/images.log")
    ((status != 0 && bad == 0)) && bad=1
    count images "$ok" "$bad"
  fi
fi
if wants integration; then
  echo "== integration: the services together"
  run_jest integration --selectProjects integration
fi
if wants chaos; then
  echo "== chaos: fault injection on the local stack"
  run_jest chaos --selectProjects chaos
  [[ -f "$RESULTS/chaos.txt" ]] && cat "$RESULTS/chaos.txt"
fi
if wants e2e; then
  echo "== e2e: the web app in Chromium"
  bash scripts/ensure-chromium.sh || count e2e-setup 0 1
  if npm run e2e -w @ticketing/client 2>&1 | tee "$RESULTS/e2e.log"; then e2e_status=0; else e2e_status=1; fi
  if [[ -f "$ROOT/.run/test-results/e2e.json" ]]; then
    read -r p f < <(jest_counts "$ROOT/.run/test-results/e2e.json")
    ((e2e_status != 0 && f == 0)) && f=1
    count e2e "$p" "$f"
  else
    count e2e 0 1
  fi
fi

echo "== took $((SECONDS - started))s${failed_parts:+; failed: ${failed_parts[*]}}"
echo "$passed passed, $failed failed"
((failed == 0))
