#!/usr/bin/env bash
# npm run images [-- --force] [-- NAME...]: the six images (five services from
# infra/docker/service.Dockerfile, the web app from client/Dockerfile) built with podman
# on this machine:
#   1. podman ready (podman.sh: apt-get install when root, runc and ulimits in
#      containers.conf);
#   2. the local node base image when missing or stale (base.sh);
#   3. each image whose inputs changed (build.js), then one line per image with its
#      build time (or "current") and size.
# Exit status: 0 built or current, 1 a build failed, 3 podman cannot work here (the
# reason is printed on a line "images: unavailable: ...").
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
mkdir -p "$ROOT/.run/images"
export IMAGES_LOG="$ROOT/.run/images/setup.log"
# shellcheck source=podman.sh disable=SC1091
source "$HERE/podman.sh"

# One build at a time on this machine: podman's image store is shared by every checkout.
exec 8>/var/tmp/ticketing-images.lock
if command -v flock >/dev/null && ! flock -n 8; then
	echo "images: another build is running on this machine; waiting for it"
	flock 8
fi

if ! podman_ready; then
	echo "images: unavailable: $PODMAN_UNAVAILABLE"
	exit 3
fi
force=""
[[ " $* " == *" --force-base "* ]] && force=--force
if ! bash "$HERE/base.sh" $force; then
	echo "images: unavailable: the local base image could not be built (above)"
	exit 3
fi
if ! podman_can_run docker.io/library/node:20.20.2-bookworm-slim; then
	echo "images: unavailable: $PODMAN_UNAVAILABLE"
	exit 3
fi
args=()
for a in "$@"; do [[ $a == --force-base ]] || args+=("$a"); done
exec node "$HERE/build.js" "${args[@]}"
