#!/usr/bin/env bash
# tag.sh IMAGE: the tag of an image (auth, tickets, orders, payments, expiration, client)
# for the deploy workflow: the last commit that changed what the image is built from —
# its recipe and dockerignore (the services' shared infra/docker/service.Dockerfile, or
# client/Dockerfile), its folder, common/, the root and workspace manifests, the lock
# file and tsconfig.base.json. A change to the shared recipe retags all five services;
# a change to one service's folder retags that service only. Needs the full history.
set -euo pipefail
image=${1:?usage: tag.sh IMAGE}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
case $image in
auth | tickets | orders | payments | expiration) recipe=infra/docker/service.Dockerfile ;;
client) recipe=client/Dockerfile ;;
*) echo "tag.sh: unknown image '$image' (auth tickets orders payments expiration client)" >&2; exit 1 ;;
esac
git log -1 --format=%H -- "$recipe" "$recipe.dockerignore" "$image" common package.json package-lock.json \
	tsconfig.base.json ':(glob)*/package.json'
