package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// deadPid is the pid of a process that has exited (and been reaped).
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// socketDir makes root/ferretdb-gate-<pid>-x with a socket file in it; with
// listening, something answers on it until the test ends; without, the file is
// left behind by a listener closed without unlinking it, as kill -9 leaves one.
func socketDir(t *testing.T, root string, pid int, listening bool) string {
	t.Helper()
	dir := filepath.Join(root, fmt.Sprintf("%s%d-x", socketDirPrefix, pid))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, socketName))
	if err != nil {
		t.Fatal(err)
	}
	if listening {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		t.Cleanup(func() { ln.Close() })
	} else {
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		ln.Close()
	}
	return dir
}

// shortRoot is a new temporary directory with a short path: t.TempDir()'s
// long names would push a socket path past the 107 bytes a socket may have.
func shortRoot(t *testing.T) string {
	t.Helper()
	root, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	return root
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestStaleSocketDirsOfGoneGatesAreRemovedAndOthersKept(t *testing.T) {
	root := shortRoot(t)
	gone := socketDir(t, root, deadPid(t), false)
	// The pid is gone but something answers: a gate of another pid namespace.
	answering := socketDir(t, root, deadPid(t)+1_000_000, true)
	// Our own pid (a live gate), with a dead socket: never touched.
	ours := socketDir(t, root, os.Getpid(), false)
	// The parent of this test is alive.
	alive := socketDir(t, root, os.Getppid(), false)
	// Not a gate's name, or a name without a pid.
	other := filepath.Join(root, "something-else")
	noPid := filepath.Join(root, socketDirPrefix+"abc123")
	for _, d := range []string{other, noPid} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}

	removeStaleSocketDirs(root, slog.New(slog.NewTextHandler(io.Discard, nil)))

	if exists(gone) {
		t.Errorf("%s (dead pid, nothing answering) was kept, want it removed", gone)
	}
	for _, d := range []string{answering, ours, alive, other, noPid} {
		if !exists(d) {
			t.Errorf("%s was removed, want it kept", d)
		}
	}
}

func TestAGateRemovesTheSocketDirOfAKilledOne(t *testing.T) {
	root := shortRoot(t)
	t.Setenv("TMPDIR", root)
	gone := socketDir(t, root, deadPid(t), false)

	f, sock := newTestFerretDB(t, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	// Run and stop it: a FerretDB never run keeps its backend open, and upstream's
	// leak tracker panics when the collector finds it.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = f.Run(ctx) }()
	cancel()
	<-done

	if exists(gone) {
		t.Errorf("%s was kept after a new gate started, want it removed", gone)
	}
	want := fmt.Sprintf("%s%d-", socketDirPrefix, os.Getpid())
	if base := filepath.Base(filepath.Dir(sock)); len(base) <= len(want) || base[:len(want)] != want {
		t.Errorf("socket dir %q, want a name starting with %q", base, want)
	}
}
