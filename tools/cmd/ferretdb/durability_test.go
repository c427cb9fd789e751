package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	_ "modernc.org/sqlite"
)

// TestMain lets a test start this package's main as a real process (the test binary
// re-executed with GATE_TEST_SERVE set), so that it can be killed with SIGKILL.
func TestMain(m *testing.M) {
	if listen := os.Getenv("GATE_TEST_SERVE"); listen != "" {
		if err := run(flags{listen: listen, dataDir: os.Getenv("GATE_TEST_DIR"), logLevel: "warn", synchronous: os.Getenv("GATE_TEST_SYNCHRONOUS")}); err != nil {
			fmt.Fprintln(os.Stderr, "ferretdb:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveProcess starts the gate and FerretDB as a child process on dir and returns it
// with its MongoDB URI once it prints its ready line.
func serveProcess(t *testing.T, dir, synchronous string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GATE_TEST_SERVE=127.0.0.1:0", "GATE_TEST_DIR="+dir, "GATE_TEST_SYNCHRONOUS="+synchronous)
	uri := startAndWaitReady(t, cmd, func() { _ = cmd.Process.Kill() })
	return cmd, uri
}

// startAndWaitReady starts cmd (a gate: this package's main or the built binary),
// stops it with stop when the test ends, and returns its MongoDB URI once it prints
// "ferretdb ready on <addr>".
func startAndWaitReady(t *testing.T, cmd *exec.Cmd, stop func()) string {
	t.Helper()
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "ferretdb ready on "); ok {
				ready <- addr
			}
		}
	}()
	select {
	case addr := <-ready:
		return "mongodb://" + addr + "/"
	case <-time.After(30 * time.Second):
		t.Fatalf("%s never printed its ready line", cmd.Path)
		return ""
	}
}

// With synchronous=normal a commit is in the WAL (the kernel's page cache) before it is
// acknowledged, not yet on the disk: a kill -9 of the process must still lose nothing
// that was acknowledged (only an OS crash could).
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	dir := t.TempDir()
	cmd, uri := serveProcess(t, dir, "normal")
	ctx := context.Background()
	c := connect(t, uri)
	coll := c.Database("durability").Collection("docs")

	const n = 300
	for i := 0; i < n; i++ {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "n", Value: 0}}); err != nil {
			t.Fatal(err)
		}
		// Every third document also changed after its insert: updates must survive too.
		if i%3 == 0 {
			if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: i}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
				t.Fatal(err)
			}
		}
	}

	// No clean shutdown, no checkpoint: the process is gone mid-flight.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	_, uri = serveProcess(t, dir, "normal")
	coll = connect(t, uri).Database("durability").Collection("docs")
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID int `bson:"_id"`
		N  int `bson:"n"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != n {
		t.Fatalf("after kill -9 and a restart on the same files: %d documents, want %d", len(docs), n)
	}
	for _, d := range docs {
		want := 0
		if d.ID%3 == 0 {
			want = 1
		}
		if d.N != want {
			t.Fatalf("document %d: n=%d after the restart, want %d (an acknowledged update was lost)", d.ID, d.N, want)
		}
	}
}

// The URI FerretDB gets sets the mode on each connection it opens (the SQLite driver
// applies _pragma per connection; FerretDB keeps a _pragma it is given).
func TestSQLiteURISetsSynchronousAndTempStore(t *testing.T) {
	for mode, want := range map[string]int{"normal": 1, "full": 2} {
		dir := t.TempDir()
		uri := sqliteURI(dir, mode)
		if !strings.HasPrefix(uri, "file:") || !strings.Contains(uri, dir+"/?") {
			t.Fatalf("sqliteURI(%q) = %q: want a file: URI of the directory ending with /", mode, uri)
		}
		// The same query on a file of that directory, opened as FerretDB opens its files.
		db, err := sql.Open("sqlite", strings.Replace(uri, dir+"/?", filepath.Join(dir, "probe.sqlite")+"?", 1))
		if err != nil {
			t.Fatal(err)
		}
		var got, tempStore int
		if err := db.QueryRow("PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow("PRAGMA temp_store").Scan(&tempStore); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if got != want {
			t.Errorf("synchronous %s: PRAGMA synchronous = %d, want %d", mode, got, want)
		}
		// 2 = MEMORY: statement journals from the heap, not a 64 KiB mapping per update (sqliteURI).
		if tempStore != 2 {
			t.Errorf("synchronous %s: PRAGMA temp_store = %d, want 2 (memory)", mode, tempStore)
		}
	}
}

func TestRunRefusesAnUnknownSynchronousMode(t *testing.T) {
	err := run(flags{listen: "127.0.0.1:0", dataDir: t.TempDir(), logLevel: "warn", synchronous: "off"})
	if err == nil || !strings.Contains(err.Error(), "--synchronous") {
		t.Fatalf("run with synchronous=off: %v, want an error naming --synchronous", err)
	}
}

// The collector's target: 400 unless $GOGC is set, which then wins.
func TestSetGCPercentDefaultsTo400UnlessGOGCIsSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	if got := setGCPercent(); got != 400 {
		t.Fatalf("without GOGC: %d, want 400", got)
	}
	if got := debug.SetGCPercent(400); got != 400 {
		t.Fatalf("without GOGC the runtime's target is %d, want 400", got)
	}
	debug.SetGCPercent(150) // as the runtime would have taken GOGC=150 at start
	t.Setenv("GOGC", "150")
	if got := setGCPercent(); got != 150 {
		t.Fatalf("with GOGC=150: %d, want 150", got)
	}
}
