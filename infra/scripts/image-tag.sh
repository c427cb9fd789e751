#!/usr/bin/env bash
# image-tag.sh IMAGE: the tag of an image (a service folder or client) for the deploy
# workflow: the last commit that changed what the image is built from, i.e. the files
# its Dockerfile copies (its folder, common/, the root and workspace manifests, the lock
# file, tsconfig.base.json) and its Dockerfile.dockerignore. Needs the full history.
set -euo pipefail
image=${1:?usage: image-tag.sh IMAGE}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[[ -f "$image/Dockerfile" ]] || { echo "image-tag.sh: no $image/Dockerfile" >&2; exit 1; }
git log -1 --format=%H -- "$image" common package.json package-lock.json tsconfig.base.json ':(glob)*/package.json'
