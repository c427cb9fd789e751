// Command ferretdb runs an embedded FerretDB (SQLite handler) behind a "gate"
// that serializes MongoDB wire-protocol requests.
//
// Why our own main: `go install` of FerretDB's own command panics because its
// generated build/version/version.txt is not part of the module, while the
// embeddable package github.com/FerretDB/FerretDB/ferretdb works as a library.
//
// Why the gate: FerretDB's SQLite handler executes an update as "query, then
// write", so concurrent updates of one document race (50 concurrent $inc ended
// at 4; 25 concurrent conditional updateOne calls had 4 winners). MongoDB makes
// every single-document write atomic and our services rely on that (ticket
// reservation, optimistic concurrency). The gate forwards one request at a time
// to FerretDB under a global mutex, which restores that guarantee.
// See gate.go and /work/shared/DESIGN.md §6.
//
// Usage:
//
//	ferretdb --listen 127.0.0.1:27017 --data-dir ./data [--log-level warn]
//	         [--stats-listen 127.0.0.1:0 [--pprof]] [--synchronous normal|full]
//
// It prints "ferretdb ready on <addr>" on stdout once clients can connect and
// exits cleanly (status 0) on SIGTERM/SIGINT. With --stats-listen (or the
// FERRETDB_STATS_LISTEN environment variable) it first prints
// "ferretdb stats on http://<addr>/stats" and answers GET /stats there with
// the forwarded commands counted per database and command (stats.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	setGCPercent()
	var o flags
	flag.StringVar(&o.listen, "listen", "127.0.0.1:27017", "public address of the gate (host:port; port 0 picks a free one)")
	flag.StringVar(&o.dataDir, "data-dir", "", "directory for the SQLite files (created if missing; required)")
	flag.StringVar(&o.logLevel, "log-level", "warn", "FerretDB log level: debug, info, warn or error")
	flag.StringVar(&o.statsListen, "stats-listen", envOr("FERRETDB_STATS_LISTEN", ""),
		"address for GET /stats, the gate's command counts as JSON (host:port; port 0 picks a free one; default off, or $FERRETDB_STATS_LISTEN)")
	flag.StringVar(&o.synchronous, "synchronous", envOr("FERRETDB_SYNCHRONOUS", "normal"),
		"when a commit reaches the disk: normal (a crash of this process loses nothing acknowledged; MongoDB's default durability) or full (fsync at every commit); or $FERRETDB_SYNCHRONOUS")
	flag.BoolVar(&o.pprof, "pprof", envOr("FERRETDB_PPROF", "") == "1",
		"also serve Go's profiler (/debug/pprof/) on the --stats-listen address; or $FERRETDB_PPROF=1")
	flag.Parse()

	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

// flags are the command's settings (each one also settable by environment, see main).
type flags struct {
	listen, dataDir, logLevel, statsListen, synchronous string
	pprof                                               bool
}

// defaultGCPercent is the Go collector's target when $GOGC is not set: the heap
// may grow to five times what is live (Go's default is twice). Every command
// allocates the documents it decodes and encodes, and with the default target
// the collector ran about 11 % of a gate's CPU under the purchase bench; at 400
// the gates took 12–15 % less CPU for the same services' work, at 55 MB RSS
// each instead of 43 (stop 25, two alternating runs).
const defaultGCPercent = 400

// setGCPercent applies defaultGCPercent unless $GOGC says otherwise, and
// returns the target in effect.
func setGCPercent() int {
	if os.Getenv("GOGC") != "" {
		p := debug.SetGCPercent(100) // read what the runtime took from $GOGC…
		debug.SetGCPercent(p)        // …and put it back
		return p
	}
	debug.SetGCPercent(defaultGCPercent)
	return defaultGCPercent
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func run(o flags) error {
	listen, dataDir, logLevel, statsListen, synchronous := o.listen, o.dataDir, o.logLevel, o.statsListen, o.synchronous
	if dataDir == "" {
		return errors.New("--data-dir is required")
	}
	if !synchronousModes[synchronous] {
		return fmt.Errorf("bad --synchronous %q: want normal or full", synchronous)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("bad --log-level %q: %w", logLevel, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// The embedded FerretDB listens on a Unix socket of its own; only the gate
	// is meant to talk to it.
	f, backend, err := newFerretDB(dataDir, synchronous, logger)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(backend))

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}

	g := &gate{backend: backend, logger: logger, idIndex: newIDIndexer(dataDir, logger)}
	defer g.idIndex.close()
	if statsListen != "" {
		statsLn, err := net.Listen("tcp", statsListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--stats-listen: %w", err)
		}
		g.stats = newStats()
		stopStats := serveStats(g.stats, statsLn, o.pprof)
		defer stopStats()
		fmt.Printf("ferretdb stats on http://%s/stats\n", statsLn.Addr())
	}

	ferretCtx, stopFerret := context.WithCancel(context.Background())
	ferretDone := make(chan struct{})
	go func() {
		defer close(ferretDone)
		_ = f.Run(ferretCtx)
	}()

	// Single, stable line that scripts and the Node orchestrator wait for.
	fmt.Printf("ferretdb ready on %s\n", ln.Addr())

	g.serve(ctx, ln) // returns after ctx is canceled and all gate connections are closed

	// Stop FerretDB only after the gate closed its backend connections, so
	// FerretDB does not wait for clients that are still connected.
	stopFerret()
	<-ferretDone
	logger.Info("ferretdb stopped")
	return nil
}

// Durability of an acknowledged write, as SQLite's `synchronous` setting of every
// connection FerretDB opens (FerretDB itself sets WAL mode and leaves this at FULL).
//
//   - normal (the default): a commit is in the WAL file, in the kernel's page cache,
//     before FerretDB answers, so a crash of this process (kill -9, a panic) loses
//     nothing acknowledged; an OS crash or power cut can lose the last commits (the
//     WAL is fsynced at checkpoints). That is MongoDB's own default (w:1 without j:
//     journal flushed every 100 ms).
//   - full: the WAL is fsynced at every commit, as with j:true; each write then waits
//     for the disk, under the gate's lock (a write took 9–18 ms instead of 4 under the
//     bench, stop 19).
var synchronousModes = map[string]bool{"normal": true, "full": true}

// sqliteURI is FerretDB's SQLite URI for the directory dir: a "file:" URI ending
// with "/", with the synchronous mode of every connection and its temp_store.
//
// temp_store(memory): FerretDB runs each update in a transaction, so SQLite keeps
// a statement journal for it (the update may abort halfway on the unique _id
// index). With the default temp_store that journal is a 64 KiB in-memory
// buffer (SQLITE_STMTJRNL_SPILL) before it spills to a file, and the pure-Go
// SQLite's allocator maps and unmaps a block that size for every update: 8 % of
// a gate's CPU under the purchase bench, in mmap/munmap (stop 25, go tool pprof).
// With temp_store(memory) the journal grows in 1 KiB chunks from the ordinary
// heap instead. Nothing changes on disk: the journal never outlives its
// statement, and the WAL and the durability above are untouched.
func sqliteURI(dir, synchronous string) string {
	q := url.Values{}
	q.Set("_pragma", "synchronous("+synchronous+")")
	q.Add("_pragma", "temp_store(memory)")
	return (&url.URL{Scheme: "file", Path: strings.TrimSuffix(dir, "/") + "/", RawQuery: q.Encode()}).String()
}

// newFerretDB creates an embedded FerretDB with the SQLite handler storing
// its files in dataDir (synchronous: see synchronousModes), listening on a
// Unix socket in a new private directory, whose path it returns (the caller
// removes that directory when done).
//
// A Unix socket, not a loopback port: no other process on the host can reach
// FerretDB around the gate (and its lock), and no port is taken. Not a measured
// saving: a loop of finds and updates from a client cost the same over a Unix
// socket as over loopback TCP (stop 25).
func newFerretDB(dataDir, synchronous string, logger *slog.Logger) (*ferretdb.FerretDB, string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, "", err
	}
	if err = os.MkdirAll(abs, 0o755); err != nil {
		return nil, "", err
	}

	// FerretDB wants a "file:" URI of an existing directory ending with "/".
	sqliteURL := sqliteURI(abs, synchronous)

	// Under the system's temporary directory, not dataDir: a socket path must
	// stay within 107 bytes. Mode 0700: only this user can reach FerretDB. The
	// name carries our pid, so a later gate can tell a directory left by a
	// killed one (kill -9 runs no cleanup) and remove it.
	removeStaleSocketDirs(os.TempDir(), logger)
	sockDir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", socketDirPrefix, os.Getpid()))
	if err != nil {
		return nil, "", err
	}
	sock := filepath.Join(sockDir, socketName)

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		os.RemoveAll(sockDir)
		return nil, "", err
	}
	return f, sock, nil
}

// socketDirPrefix starts the name of every gate's socket directory, followed
// by the gate's pid, a dash and MkdirTemp's random part; socketName is the
// socket's file in it.
const (
	socketDirPrefix = "ferretdb-gate-"
	socketName      = "ferretdb.sock"
)

// removeStaleSocketDirs removes, under root, the socket directories of gates
// that are gone: the pid in the name is not a running process, and nothing
// answers on the socket (a gate in another pid namespace sharing root still
// answers, and keeps its directory). Directories of other users, and names
// without a pid, are left alone. Best effort: it logs what it removes.
func removeStaleSocketDirs(root string, logger *slog.Logger) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, socketDirPrefix) {
			continue
		}
		pidText, _, ok := strings.Cut(strings.TrimPrefix(name, socketDirPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // running (or another user's process)
		}
		dir := filepath.Join(root, name)
		if c, err := net.DialTimeout("unix", filepath.Join(dir, socketName), 200*time.Millisecond); err == nil {
			c.Close()
			continue
		}
		if err := os.RemoveAll(dir); err == nil {
			logger.Info("removed the socket directory of a gate that is gone", "dir", dir, "pid", pid)
		}
	}
}

// directURI is a MongoDB URI that reaches FerretDB on its socket, bypassing
// the gate (tests compare the two).
func directURI(sock string) string {
	return "mongodb://" + url.PathEscape(sock) + "/"
}
