package inventory

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	gojson "github.com/goccy/go-json"
)

// ReadCompact reads a snapshot file within l and keeps what the index is built from: decoded
// while it is read, never held whole; a file that does not decode so is read again whole for
// the error that says what and where (Limits.ReadFile, Parse).
func (l Limits) ReadCompact(path string) (*Compact, error) {
	if c, ok := l.compactFile(path); ok {
		return c, nil
	}
	data, err := l.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCompact(path, data)
}

// ParseCompact is ReadCompact of a snapshot already read: data, named name in errors.
func ParseCompact(name string, data []byte) (*Compact, error) {
	if c, ok := compactFast(bytes.NewReader(data)); ok {
		return c, nil
	}
	inv, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	return NewCompact(inv), nil
}

// compactFile is compactFast of a file, decompressed if it is gzip, within l; false for the
// exact parser (and Limits.ReadFile) to say what is wrong.
func (l Limits) compactFile(path string) (*Compact, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	in, _, err := decompressed(f)
	if err != nil {
		return nil, false
	}
	lr := &io.LimitedReader{R: in, N: l.Bytes + 1}
	c, ok := compactFast(lr)
	return c, ok && lr.N > 0 // beyond the limit: refused by ReadFile
}

// compactFast decodes a good snapshot quickly, or reports false for the exact parser (Parse)
// to find what is wrong. A snapshot of 100,000 endpoints as the AWS CLI prints it is some
// 350 MB, read before the first answer; it is read as a stream and never held whole, and
// neither are its SDK types: its elements are cut out (valueScanner), decoded in batches on
// every CPU with github.com/goccy/go-json (some three times faster than encoding/json), and
// compacted as they are decoded. It walks the object as Parse does, and accepts what Parse
// accepts (FuzzCompactFast checks it): every field of every element is decoded into its SDK
// type, so that a wrong JSON type anywhere refuses the file.
func compactFast(r io.Reader) (*Compact, bool) {
	s := newValueScanner(r)
	if !s.take('{') {
		return nil, false
	}
	c := &Compact{}
	for more := !s.take('}'); more; {
		raw, ok := s.value()
		var key string
		if !ok || raw[0] != '"' || json.Unmarshal(raw, &key) != nil || !s.take(':') {
			return nil, false
		}
		switch strings.ToLower(key) { // as Parse matches keys
		case "vpcendpoints":
			ok = decodeEach(s, checkEndpoint, (*arena).endpoint, &c.Endpoints)
		case "networkinterfaces":
			ok = decodeEach(s, checkInterface, (*arena).networkInterface, &c.Interfaces)
		case "servicedetails":
			ok = decodeEach(s, checkService, (*arena).service, &c.Services)
		case "subnets":
			ok = decodeEach(s, checkSubnet, (*arena).subnet, &c.Subnets)
		case "vpcendpointassociations":
			ok = decodeEach(s, checkAssociation, (*arena).association, &c.Associations)
		default:
			raw, ok = s.value()
			ok = ok && json.Valid(raw)
		}
		switch {
		case !ok:
			return nil, false
		case s.take(','):
		case s.take('}'):
			more = false
		default:
			return nil, false
		}
	}
	if _, trailing := s.peek(); trailing || s.failed {
		return nil, false
	}
	return c, true
}

// decodeEach decodes the array (or null) the scanner is at into each element's compact form
// (compact), checked with check, appended to out; false if anything is not as Parse wants it.
// The scanner only cuts the elements out; batches of them are decoded on every CPU, which is
// what makes start-up fast (decoding every field of the SDK's types is most of it), and joined
// in order.
func decodeEach[T, K any](s *valueScanner, check func(*T) error, compact func(*arena, *T) K, out *[]K) bool {
	if c, ok := s.peek(); ok && c == 'n' { // "Key": null
		raw, ok := s.value()
		return ok && string(raw) == "null"
	}
	if !s.take('[') {
		return false
	}
	workers := runtime.GOMAXPROCS(0)
	todo := make(chan *batch[T, K], workers) // a short backlog: the scanner waits for the decoders
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			a := newArena()
			for b := range todo {
				if !b.decode(a, check, compact) {
					failed.Store(true)
				}
			}
		})
	}
	var sent []*batch[T, K] // in order
	ok := true
	b := &batch[T, K]{}
	for more := !s.take(']'); more && ok && !failed.Load(); {
		raw, read := s.value()
		switch {
		case !read:
			ok = false
		case s.take(','):
		case s.take(']'):
			more = false
		default:
			ok = false
		}
		if b.raw = append(b.raw, raw); len(b.raw) == batchSize || !more {
			todo <- b
			sent = append(sent, b)
			b = &batch[T, K]{}
		}
	}
	close(todo)
	wg.Wait()
	if !ok || failed.Load() {
		return false
	}
	// Joined once: appending each batch to a growing slice would copy every element again and
	// again.
	n := 0
	for _, b := range sent {
		n += len(b.compacted)
	}
	*out = slices.Grow(*out, n)
	for _, b := range sent {
		*out = append(*out, b.compacted...)
	}
	return true
}

// batchSize is how many elements a batch holds: enough to make a hand-over cheap.
const batchSize = 256

// batch is a run of an array's elements, decoded by one worker into their compact form.
type batch[T, K any] struct {
	raw       [][]byte
	compacted []K
}

// decode decodes the batch with a, the worker's arena; false if an element does not decode or
// pass the check. A panic of the decoder on a hostile file refuses the file too, for the exact
// parser to say what is wrong with it.
func (b *batch[T, K]) decode(a *arena, check func(*T) error, compact func(*arena, *T) K) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	b.compacted = make([]K, 0, len(b.raw))
	for _, raw := range b.raw {
		var v T
		if gojson.Unmarshal(raw, &v) != nil || check(&v) != nil {
			return false
		}
		b.compacted = append(b.compacted, compact(a, &v))
	}
	b.raw = nil
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
