package rpz

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
)

func TestSerials(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cache.json.rpz-serial")
	clock := time.Unix(1_800_000_000, 0)
	serials := func() *Serials {
		s, err := NewSerials(file)
		if err != nil {
			t.Fatal(err)
		}
		s.now = func() time.Time { return clock }
		return s
	}
	s := serials()
	step := func(digest uint64, want uint32, wantChanged bool) {
		t.Helper()
		got, changed, err := s.Next(digest)
		if err != nil || got != want || changed != wantChanged {
			t.Errorf("Next(%x) = %d %v %v, want %d %v", digest, got, changed, err, want, wantChanged)
		}
	}
	step(0xa, 1_800_000_000, true) // the clock
	step(0xa, 1_800_000_000, false)
	step(0xb, 1_800_000_001, true) // faster than seconds
	clock = clock.Add(time.Hour)
	step(0xc, 1_800_003_600, true)

	// A restart with the same view keeps its serial; with the clock set back, a new view still
	// gets a later one.
	s = serials()
	step(0xc, 1_800_003_600, false)
	clock = time.Unix(1_700_000_000, 0)
	step(0xd, 1_800_003_601, true)

	// Without a state file, the clock.
	s, _ = NewSerials("")
	s.now = func() time.Time { return clock }
	step(0xd, 1_700_000_000, true)

	// Past 2^32-1 serials wrap, as serial arithmetic allows.
	if got := next(1<<32-1, time.Unix(1<<32-16, 0)); got != 0 {
		t.Errorf("after 2^32-1: %d", got)
	}

	os.WriteFile(file, []byte("garbage"), 0o600)
	if _, err := NewSerials(file); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("a bad state file: %v, want an error naming it", err)
	}
	// A state file that cannot be written: the serial holds, with the error.
	s, _ = NewSerials(filepath.Join(t.TempDir(), "missing", "dir"))
	if serial, changed, err := s.Next(1); serial == 0 || !changed || err == nil {
		t.Errorf("unwritable: %d %v %v", serial, changed, err)
	}
}

func TestWriteFile(t *testing.T) {
	z, _ := zoneOf(t, index.Options{}, example)
	path := filepath.Join(t.TempDir(), "vpce.rpz")
	soaOf := func() uint32 {
		soa, _ := records(t, mustRead(t, path))
		return soa.Serial
	}
	if changed, err := WriteFile(path, z); !changed || err != nil {
		t.Fatalf("first write: %v %v", changed, err)
	}
	first := soaOf()
	if changed, err := WriteFile(path, z); changed || err != nil || soaOf() != first {
		t.Errorf("the same zone again: changed %v, %v, serial %d then %d", changed, err, first, soaOf())
	}
	// Another view: the next serial, even when the file's is ahead of the clock.
	ahead := first + 3600
	os.WriteFile(path, []byte(strings.Replace(mustRead(t, path), fmt.Sprint(first), fmt.Sprint(ahead), 1)), 0o600)
	other, _ := zoneOf(t, index.Options{PrivateDNS: index.PrivateDNSOff}, example)
	if changed, err := WriteFile(path, other); !changed || err != nil || soaOf() != ahead+1 {
		t.Errorf("another view: changed %v, %v, serial %d, want %d", changed, err, soaOf(), ahead+1)
	}
	os.WriteFile(path, []byte("not a zone\n"), 0o600)
	if _, err := WriteFile(path, z); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a file not written by WriteFile: %v", err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
