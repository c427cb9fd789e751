#!/usr/bin/env bash
# Installs the validators the deployment checks run (tools/validate/run.sh calls this):
#   tools/bin/actionlint   github.com/rhysd/actionlint v1.7.12 (go install)
#   tools/bin/kustomize    sigs.k8s.io/kustomize/kustomize/v5 v5.8.2 (go install; v5.8.3 needs Go 1.27)
#   tools/bin/schemas/skaffold-v4beta13.json
#                          from the github.com/GoogleContainerTools/skaffold/v2 v2.16.1
#                          module (go mod download: only the source zip, skaffold itself
#                          is not built)
#   shellcheck             Debian's package (actionlint checks run: scripts with it)
# Each is skipped when already there at that version, so a second run takes a moment.
# The Go-library validators (BuildKit, client-go, the JSON schema validator) come with
# tools/validate/go.mod and are built by `go test`.
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12
KUSTOMIZE_VERSION=v5.8.2
SKAFFOLD_MODULE=github.com/GoogleContainerTools/skaffold/v2
SKAFFOLD_VERSION=v2.16.1
SKAFFOLD_SCHEMA=v4beta13

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN="$ROOT/tools/bin"
mkdir -p "$BIN/schemas"
log() { echo "validate/install.sh: $*"; }

command -v go >/dev/null || { log "error: go is not on PATH"; exit 1; }

# go_install NAME VERSION MODULE@VERSION: unless bin/NAME reports VERSION.
go_install() {
	local name=$1 version=$2 pkg=$3 current=""
	if [[ -x "$BIN/$name" ]]; then
		case $name in
		actionlint) current=$("$BIN/$name" -version 2>/dev/null | head -n1) ;;
		kustomize) current=$("$BIN/$name" version 2>/dev/null | head -n1) ;;
		esac
	fi
	if [[ "$current" == "$version" ]]; then
		log "$name $version: up to date"
		return
	fi
	log "$name $version: installing..."
	local started=$SECONDS
	GOBIN="$BIN" go install "$pkg"
	log "$name $version: installed in $((SECONDS - started))s"
}

go_install actionlint "$ACTIONLINT_VERSION" "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
go_install kustomize "$KUSTOMIZE_VERSION" "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"

schema="$BIN/schemas/skaffold-$SKAFFOLD_SCHEMA.json"
stamp="$BIN/schemas/.skaffold-$SKAFFOLD_SCHEMA.version"
if [[ -s "$schema" && "$(cat "$stamp" 2>/dev/null)" == "$SKAFFOLD_VERSION" ]]; then
	log "skaffold $SKAFFOLD_SCHEMA schema ($SKAFFOLD_VERSION): up to date"
else
	log "skaffold $SKAFFOLD_SCHEMA schema: downloading $SKAFFOLD_MODULE@$SKAFFOLD_VERSION..."
	# Outside any module, so that nothing is added to a go.mod.
	dir=$(cd "$(mktemp -d)" && go mod download -json "$SKAFFOLD_MODULE@$SKAFFOLD_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	src="$dir/docs-v2/content/en/schemas/$SKAFFOLD_SCHEMA.json"
	[[ -f "$src" ]] || { log "error: $src not found in the module"; exit 1; }
	cp "$src" "$schema.tmp" && mv -f "$schema.tmp" "$schema"
	echo "$SKAFFOLD_VERSION" >"$stamp"
	log "skaffold $SKAFFOLD_SCHEMA schema: copied"
fi

if ! command -v shellcheck >/dev/null; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		log "shellcheck: apt-get install..."
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
	else
		log "error: shellcheck is required (Debian: sudo apt-get install shellcheck)"
		exit 1
	fi
fi
log "shellcheck $(shellcheck --version | sed -n 's/^version: //p'): present"
