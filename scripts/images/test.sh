#!/usr/bin/env bash
# The `images` part of npm test: builds the six images (build.sh; current ones are
# skipped), then checks them (check.js). Prints "ok <image> <check>" / "--- FAIL <image>
# <check>: why" lines and "images: N passed, N failed". When podman cannot work on this
# machine it prints "images: skipped: <why>" and exits 0; nothing else skips it.
# Needs the test servers of npm test (MONGO_URI, NATS_URL, NATS_CLUSTER_ID, REDIS_URL,
# STRIPE_API_BASE) for the start and SIGTERM checks.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
started=$SECONDS

# On a fresh clone nothing has made .run/images yet, and tee would not write its copy.
mkdir -p "$ROOT/.run/images"
bash "$HERE/build.sh" "$@" 2>&1 | tee "$ROOT/.run/images/build.out"
status=${PIPESTATUS[0]}
if ((status == 3)); then
	why=$(sed -n 's/^images: unavailable: //p' "$ROOT/.run/images/build.out" | tail -n 1)
	echo "images: skipped: ${why:-podman cannot work here}"
	exit 0
fi
# One line per image for the build itself.
# shellcheck disable=SC2016 # JavaScript template literals, not shell
node -e '
  const s = require(process.argv[1]);
  for (const i of s.images) {
    if (i.state === "failed") console.log(`--- FAIL ${i.name} build: podman build failed (.run/images/${i.name}.log)`);
    else console.log(`ok ${i.name} build (${i.state === "built" ? `built in ${i.seconds.toFixed(0)}s` : "current"}, ${Math.round(i.size / 1e6)} MB)`);
  }' "$ROOT/.run/images/summary.json" || echo "--- FAIL images build: no summary (build.sh exited $status)"
node "$HERE/check.js" "$@"
check=$?
echo "images: took $((SECONDS - started))s"
((status == 0 && check == 0))
