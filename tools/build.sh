#!/usr/bin/env bash
# Builds the backing-server binaries into tools/bin/ (git-ignored):
#   ferretdb               our main in cmd/ferretdb (embedded FerretDB + gate)
#   nats-streaming-server  github.com/nats-io/nats-streaming-server, pinned below
#   stripe-mock            github.com/stripe/stripe-mock, pinned below
#
# Needs only Go and the Go module proxy. Each binary is rebuilt only when its
# stamp (a hash of what it is built from, plus the Go version) changed, so a
# second run takes well under a second. See tools/README.md.
set -euo pipefail

NATS_STREAMING_MODULE=github.com/nats-io/nats-streaming-server
NATS_STREAMING_VERSION=v0.25.6
STRIPE_MOCK_MODULE=github.com/stripe/stripe-mock
STRIPE_MOCK_VERSION=v0.197.0

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN_DIR="$TOOLS_DIR/bin"
STAMP_DIR="$BIN_DIR/.stamps"
mkdir -p "$STAMP_DIR"

log() { echo "tools/build.sh: $*"; }

command -v go >/dev/null || { log "error: go is not on PATH"; exit 1; }
GO_VERSION=$(go env GOVERSION)

# Several callers (scripts/servers.sh, the Node stack orchestrator) may run
# this at the same time; build one at a time.
if command -v flock >/dev/null; then
	exec 9>"$BIN_DIR/.build.lock"
	flock 9
fi

hash_of() { sha256sum | cut -d' ' -f1; }

# build NAME STAMP COMMAND...: runs COMMAND (which must leave the binary in
# $TMP_OUT/NAME) unless bin/NAME exists and its stamp equals STAMP, then moves
# the binary into place atomically (safe while an old copy is running).
build() {
	local name=$1 stamp=$2
	shift 2
	if [[ -x "$BIN_DIR/$name" && -f "$STAMP_DIR/$name" && "$(cat "$STAMP_DIR/$name")" == "$stamp" ]]; then
		log "$name: up to date"
		return
	fi

	log "$name: building..."
	local started=$SECONDS
	TMP_OUT=$(mktemp -d "$BIN_DIR/.tmp.XXXXXX")
	if ! "$@"; then
		rm -rf "$TMP_OUT"
		log "error: building $name failed (command: $*)"
		exit 1
	fi
	mv -f "$TMP_OUT/$name" "$BIN_DIR/$name"
	rm -rf "$TMP_OUT"
	echo "$stamp" >"$STAMP_DIR/$name"
	log "$name: built in $((SECONDS - started))s"
}

# --- ferretdb: our own module, so hash its module files and sources, and the
# files in patches/ferretdb/ that replace FerretDB's own in this binary
# (patches/README.md: each names the upstream file's sha256 it was written for).
ferretdb_stamp=$(
	cd "$TOOLS_DIR"
	{
		echo "$GO_VERSION"
		cat go.mod go.sum
		find cmd/ferretdb -name '*.go' ! -name '*_test.go' -print0 | sort -z | xargs -0 cat
		find patches -type f -print0 | sort -z | xargs -0 cat
	} | hash_of
)
build_ferretdb() {
	local work rc
	work=$(mktemp -d "$BIN_DIR/.ferretdb-src.XXXXXX")
	build_ferretdb_in "$work"
	rc=$?
	rm -rf "$work"
	return $rc
}
# build_ferretdb_in WORK: FerretDB's module copied out of the module cache into
# WORK (the cache is read-only, and `go build -overlay` refuses files there),
# the patched files laid over it, and our command built through a copy of our
# go.mod that replaces the module by that directory.
build_ferretdb_in() {
	local work=$1 upstream rel want got
	upstream=$(cd "$TOOLS_DIR" && go mod download github.com/FerretDB/FerretDB && go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB) || return 1
	cp -r "$upstream" "$work/FerretDB" && chmod -R u+w "$work/FerretDB" || return 1
	while read -r want rel; do
		[[ -z "$rel" || "$want" == \#* ]] && continue
		if [[ ! -f "$work/FerretDB/$rel" ]]; then
			log "error: patches/ferretdb/$rel replaces $rel, which this FerretDB does not have"
			return 1
		fi
		got=$(hash_of <"$work/FerretDB/$rel")
		if [[ "$got" != "$want" ]]; then
			log "error: FerretDB's $rel is not the file patches/ferretdb/$rel was written for (sha256 $got, want $want): review the patch"
			return 1
		fi
		cp "$TOOLS_DIR/patches/ferretdb/$rel" "$work/FerretDB/$rel"
	done <"$TOOLS_DIR/patches/ferretdb.sha256"
	cp "$TOOLS_DIR/go.mod" "$TOOLS_DIR/go.sum" "$work/"
	echo "replace github.com/FerretDB/FerretDB => $work/FerretDB" >>"$work/go.mod"
	# -buildvcs=false: the binary must not depend on the state of the git work tree.
	# backendIDPushdown: a FerretDB with patches/ferretdb/internal/backends/sqlite/collection.go
	# pushes any top-level _id equality down itself, so the gate need not; told only when
	# that patch is applied (without it the gate's own rewrite must stay on).
	local ldflags=()
	if grep -q ' internal/backends/sqlite/collection.go$' "$TOOLS_DIR/patches/ferretdb.sha256"; then
		ldflags=(-ldflags "-X main.backendIDPushdown=any")
	fi
	(cd "$TOOLS_DIR" && go build -modfile="$work/go.mod" -buildvcs=false -trimpath \
		"${ldflags[@]}" -o "$TMP_OUT/ferretdb" ./cmd/ferretdb)
}
build ferretdb "$ferretdb_stamp" build_ferretdb

# --- Upstream servers: `go install module@version` builds each with its own
# go.mod/go.sum (checked against the checksum database), exactly as released,
# without mixing its dependencies into our module's.
go_install() { GOBIN="$TMP_OUT" go install -trimpath "$1"; }

build nats-streaming-server \
	"$(echo "$GO_VERSION $NATS_STREAMING_MODULE@$NATS_STREAMING_VERSION" | hash_of)" \
	go_install "$NATS_STREAMING_MODULE@$NATS_STREAMING_VERSION"

build stripe-mock \
	"$(echo "$GO_VERSION $STRIPE_MOCK_MODULE@$STRIPE_MOCK_VERSION" | hash_of)" \
	go_install "$STRIPE_MOCK_MODULE@$STRIPE_MOCK_VERSION"
