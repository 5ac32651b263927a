package inventory

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

// Limits bound what the plugin takes in, so that a runaway file or account cannot exhaust
// memory: a source over them is refused with an error, and the last good view stays.
type Limits struct {
	Bytes     int64 // the size of one snapshot or cache file, decompressed
	Endpoints int   // endpoints in one inventory
}

// DefaultLimits hold a large account with room: 100,000 endpoints make a snapshot of about
// 150 MB with their interfaces.
var DefaultLimits = Limits{Bytes: 512 << 20, Endpoints: 200_000}

// gzipMagic starts every gzip stream (RFC 1952); JSON never does.
var gzipMagic = []byte{0x1f, 0x8b}

// ReadFile reads a file of at most l.Bytes, decompressed if it is gzip (Read).
func (l Limits) ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	return l.read(path, f, size)
}

// Read reads one snapshot from r. A snapshot that starts with the gzip magic is decompressed
// while it is read, and the limit applies to what it decompresses to, so that a small gzip
// bomb is refused as a large file is. name names the source in errors.
func (l Limits) Read(name string, r io.Reader) ([]byte, error) { return l.read(name, r, 0) }

// read is Read of a stream of size bytes, if known: a plain one is read into one buffer of that
// size, where a buffer grown by doubling would copy (and clear) a large file several times over.
func (l Limits) read(name string, r io.Reader, size int64) ([]byte, error) {
	in, gzipped, err := decompressed(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var buf bytes.Buffer
	if !gzipped && size > 0 && size <= l.Bytes {
		buf.Grow(int(size) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(in, l.Bytes+1)); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	data := buf.Bytes()
	if int64(len(data)) > l.Bytes {
		if gzipped {
			return nil, fmt.Errorf("%s: over the max_bytes limit of %d bytes once decompressed", name, l.Bytes)
		}
		return nil, fmt.Errorf("%s: over the max_bytes limit of %d bytes", name, l.Bytes)
	}
	return data, nil
}

// decompressed is r, decompressed while it is read if it starts with the gzip magic (gzipped).
func decompressed(r io.Reader) (in io.Reader, gzipped bool, err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if head, _ := br.Peek(len(gzipMagic)); !bytes.Equal(head, gzipMagic) {
		return br, false, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, true, err
	}
	return zr, true, nil
}

// CheckEndpoints refuses an inventory of more than l.Endpoints endpoints.
func (l Limits) CheckEndpoints(what string, n int) error {
	if n > l.Endpoints {
		return fmt.Errorf("%s: more than the max_endpoints limit of %d endpoints", what, l.Endpoints)
	}
	return nil
}
