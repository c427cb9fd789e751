// Replaces github.com/FerretDB/FerretDB@v1.24.2/internal/util/resource/resource.go
// in the ferretdb binary that tools/build.sh builds (go build -overlay; see
// tools/patches/README.md). The upstream file is Copyright 2021 FerretDB Inc.,
// Apache License 2.0; this replacement keeps its API and drops its bookkeeping.
//
// Upstream, Track records every tracked object (each cursor, iterator and
// transaction: several per command) in a runtime/pprof profile, which captures
// a stack trace each time, and sets a finalizer that panics if the object is
// garbage-collected without Untrack — a leak detector for FerretDB's own
// development. Under the purchase bench it was 7.7 % of a gate's CPU (stop 25,
// go tool pprof). Here Track and Untrack do nothing: FerretDB still closes
// what it opens; only the detector of its own leaks is gone.

// Package resource provides utilities for tracking resource lifetimes.
package resource

// Token should be a field of a tracked object.
//
// The underlying type is not struct{} because (from the Go spec)
// "Two distinct zero-size variables may have the same address in memory",
// and they do.
type Token byte

// NewToken returns a new Token.
func NewToken() *Token {
	return new(Token)
}

// Track would track the lifetime of obj until Untrack; here it does nothing.
func Track(obj any, token *Token) {}

// Untrack would stop tracking obj; here it does nothing.
func Untrack(obj any, token *Token) {}
