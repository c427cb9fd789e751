#!/usr/bin/env bash
# Installs what a fresh clone lacks: node_modules (npm ci, when missing or older than the
# lock file) and the Go-built servers (tools/build.sh skips current binaries).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

for tool in node npm go; do
  command -v "$tool" >/dev/null || { echo "ensure-deps: $tool is required but not installed" >&2; exit 1; }
done
if ! command -v redis-server >/dev/null; then
  echo "ensure-deps: redis-server is required (Debian: apt-get install redis-server)" >&2
  exit 1
fi

stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  echo "ensure-deps: npm ci"
  npm ci --no-audit --no-fund
fi
bash tools/build.sh
