#!/usr/bin/env bash
# npm run stack [-- --api-only]: installs what is missing, then runs the whole system
# (scripts/stack/cli.js). Needs Node 20, Go and redis-server.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/ensure-deps.sh
exec node scripts/stack/cli.js "$@"
