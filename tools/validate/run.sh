#!/usr/bin/env bash
# The deployment checks (`npm test -- deploy` runs this): installs the validators when
# missing (install.sh), then runs every check in tools/validate (go test). Exits non-zero
# when any artifact or any broken fixture's rejection does not hold. See doc.go.
set -euo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bash "$DIR/install.sh"
cd "$DIR"
# -count=1: the artifacts are read by the tests (and by actionlint and kustomize), which
# Go's test cache does not track, so a cached pass could hide a broken file.
go test -count=1 -v ./... 2>&1 | grep -v -E '^=== (RUN|PAUSE|CONT)' ; exit "${PIPESTATUS[0]}"
