// Not a module to build: this go.mod only keeps the replacement files below out of
// tools/'s packages (`go vet ./...`, `go test ./...`), since they import FerretDB's
// internal packages and compile only inside FerretDB's module (tools/build.sh).
module ticketing/tools/patches/ferretdb

go 1.24
