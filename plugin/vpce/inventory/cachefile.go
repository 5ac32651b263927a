package inventory

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CacheFile keeps the last good view of the EC2 API on disk, in the snapshot format, so that
// a restart serves at once whatever AWS does, and so that the file doubles as a snapshot.
type CacheFile struct {
	Path    string
	limits  Limits
	saved   [sha256.Size]byte
	modTime time.Time // of the file Load read
}

// NewCacheFile returns the cache file at path, read within lim.
func NewCacheFile(path string, lim Limits) *CacheFile {
	return &CacheFile{Path: path, limits: lim}
}

// ModTime is when the file that Load read was written.
func (c *CacheFile) ModTime() time.Time { return c.modTime }

// Load reads the cache; any error means there is no usable cache, never a failed start.
func (c *CacheFile) Load() (*Compact, error) {
	if fi, err := os.Stat(c.Path); err == nil {
		c.modTime = fi.ModTime()
	}
	inv, err := c.limits.ReadCompact(c.Path)
	if err != nil {
		return nil, err
	}
	if err := c.limits.CheckEndpoints(c.Path, len(inv.Endpoints)); err != nil {
		return nil, err
	}
	c.saved = Fingerprint(inv)
	return inv, nil
}

// Save writes what the index is built from, unless the file already holds it (Fingerprint).
func (c *CacheFile) Save(inv *Compact) error {
	return c.save(inv.Inventory(), Fingerprint(inv))
}

// save writes inv, whose Fingerprint is sum, unless the file already holds what the builder
// reads of it: a change elsewhere (a tag, a policy) is not worth a write, and the poller does
// not even hand such a change over, so the file's other fields may be older than the account's.
func (c *CacheFile) save(inv *Inventory, sum [sha256.Size]byte) error {
	if sum == c.saved {
		return nil
	}
	data, err := Encode(c.Path, inv)
	if err != nil {
		return err
	}
	if err := WriteFile(c.Path, data); err != nil {
		return err
	}
	c.saved = sum
	return nil
}

// Encode is inv in the snapshot format: JSON, gzip-compressed when name ends in ".gz". The gzip
// header carries no name and no time, so that equal inventories encode to equal bytes: a
// writer can tell an unchanged snapshot by its digest.
func Encode(name string, inv *Inventory) ([]byte, error) {
	data, err := json.Marshal(inv)
	if err != nil || !strings.HasSuffix(name, ".gz") {
		return data, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFile writes data to a temporary file in path's directory, synced, then renamed over
// path, so that a reader (or a crash) only ever sees a whole file. The file is readable by
// its owner only: it maps the account's network.
func WriteFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteSnapshot writes inv to file as a snapshot, atomically (temporary file and rename) and
// readable by its owner only, as the cache file is written, and gzip-compressed if file ends in
// ".gz". As the cache file, it is rewritten
// only when what the builder reads changed (Fingerprint), so that its readers reload nothing
// else. It reports whether the file changed.
func WriteSnapshot(file string, inv *Inventory) (bool, error) {
	c := NewCacheFile(file, DefaultLimits)
	sum := Fingerprint(NewCompact(inv))
	if _, err := c.Load(); err == nil && c.saved == sum {
		return false, nil
	}
	return true, c.save(inv, sum)
}
