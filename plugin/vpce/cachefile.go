package vpce

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// cacheFile keeps the last good view of the EC2 API on disk, in the snapshot format, so that
// a restart serves at once whatever AWS does, and so that the file doubles as a snapshot.
type cacheFile struct {
	path    string
	limits  limits
	write   func(path string, data []byte) error // writeFile, or a test's fault around it
	saved   [sha256.Size]byte
	modTime time.Time // of the file load read
}

func newCacheFile(path string, lim limits) *cacheFile {
	return &cacheFile{path: path, limits: lim, write: writeFile}
}

// load reads the cache; any error means there is no usable cache, never a failed start.
func (c *cacheFile) load() (*Inventory, error) {
	data, err := c.limits.readFile(c.path)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(c.path); err == nil {
		c.modTime = fi.ModTime()
	}
	inv, err := parseSnapshot(c.path, data)
	if err != nil {
		return nil, err
	}
	if err := c.limits.checkEndpoints(c.path, len(inv.VpcEndpoints)); err != nil {
		return nil, err
	}
	c.saved = fingerprint(inv)
	return inv, nil
}

// save writes inv unless the file already holds it.
func (c *cacheFile) save(inv *Inventory) error {
	sum := fingerprint(inv)
	if sum == c.saved {
		return nil
	}
	data, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	if err := c.write(c.path, data); err != nil {
		return err
	}
	c.saved = sum
	return nil
}

// writeFile writes data to a temporary file in path's directory, synced, then renamed over
// path, so that a reader (or a crash) only ever sees a whole file. The file is readable by
// its owner only: it maps the account's network.
func writeFile(path string, data []byte) error {
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
