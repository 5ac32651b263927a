package testkit

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BuildCommand builds the program of package pkg (a directory relative to the test's, such as
// "../cmd/coredns" or ".") into a temporary directory, statically and without local paths as
// `make build` does, and returns the program's path.
func BuildCommand(t testing.TB, pkg string) string {
	t.Helper()
	return build(t, pkg)
}

// BuildCommandFor is BuildCommand for another platform: GOOS goos, GOARCH goarch (a program
// to inspect, or to run under an emulator).
func BuildCommandFor(t testing.TB, pkg, goos, goarch string) string {
	t.Helper()
	return build(t, pkg, "GOOS="+goos, "GOARCH="+goarch)
}

func build(t testing.TB, pkg string, env ...string) string {
	t.Helper()
	abs, err := filepath.Abs(pkg)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(abs))
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, pkg)
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// StartProcess runs the program bin with args in the background for the rest of the test, in
// the environment env (nil: this process's). It returns the program's output, stdout and
// stderr, as it is written. When the test ends the program is terminated (SIGTERM, as a
// service manager stops it; killed 5 seconds later if it is still running), and its output
// logged if the test failed.
func StartProcess(t testing.TB, env []string, bin string, args ...string) *SyncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	out := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s's output:\n%s", filepath.Base(bin), out)
		}
	})
	return out
}

// SyncBuffer collects what is written to it concurrently (a program's output, a logger's) for
// the test to read meanwhile.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitReady waits until the ready plugin at readyAddr (host:port) answers 200 OK, for within at
// most; the test fails with the program's output logs if it does not.
func WaitReady(t testing.TB, readyAddr string, logs *SyncBuffer, within time.Duration) {
	t.Helper()
	Eventually(t, within, func() error {
		resp, err := http.Get("http://" + readyAddr + "/ready")
		if err != nil {
			return fmt.Errorf("ready: %v\n%s", err, logs)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("not ready:\n%s", logs)
		}
		return nil
	})
}
