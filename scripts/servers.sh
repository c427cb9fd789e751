#!/usr/bin/env bash
# Starts and stops the backing servers on loopback (DESIGN.md §6) for `npm test` and CI,
# as daemons that outlive the command. The servers themselves (command, ports, readiness,
# data, the variables they export) are the table in scripts/stack/servers.js, which
# `npm run stack` and the e2e runner start too; scripts/stack/servers-cli.js does the work.
#
#   scripts/servers.sh start  [ferretdb] [nats] [stripe] [redis]   (no names = all)
#   scripts/servers.sh stop   [ferretdb] [nats] [stripe] [redis]   (no names = all)
#   scripts/servers.sh status [ferretdb] [nats] [stripe] [redis]
#
# Ports (environment, defaults):
#   FERRETDB_PORT=27017                 FerretDB behind our serializing gate
#   NATS_STREAMING_PORT=4223            nats-streaming-server (4222 is the machine's
#   NATS_STREAMING_MONITOR_PORT=8223      plain NATS and is never touched)
#   STRIPE_MOCK_PORT=12111              stripe-mock HTTP
#   STRIPE_MOCK_HTTPS_PORT=12112        stripe-mock HTTPS (it always opens one)
#   REDIS_PORT=6379                     redis-server (reused when already answering)
#   SERVERS_START_TIMEOUT=30            seconds to wait for each server
#
# State lives under .run/ at the repo root (git-ignored): pids/<name>.pid,
# logs/<name>.log, data/<name>/. Each server gets a fresh data directory on every start.
# `start` is a no-op for a server that is already running and answering, and ends by
# printing the variables that reach the servers (MONGO_URI=…, NATS_URL=…, one per line).
# `stop` stops only servers this script started (by pid: TERM, then KILL after 5 s; all
# at once), so a redis that was already running is left alone.
set -euo pipefail
exec node "$(dirname "${BASH_SOURCE[0]}")/stack/servers-cli.js" "$@"
