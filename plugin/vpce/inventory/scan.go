package inventory

import (
	"bytes"
	"io"
)

// valueScanner cuts a JSON stream into values without decoding them: it finds where a value
// ends (brackets and braces counted, strings skipped) and hands over a copy of its bytes for a
// strict decoder to decode. It checks nothing else, which makes it fast: compactFast reads a
// snapshot through it on one goroutine while the values are decoded on every CPU, and checks
// the structure between the values itself.
type valueScanner struct {
	r      io.Reader
	buf    []byte // buf[pos:] is read and not yet consumed
	pos    int
	eof    bool
	failed bool // the stream failed (not merely ended): a bad gzip checksum, a read error
}

const scanChunk = 256 << 10

func newValueScanner(r io.Reader) *valueScanner {
	return &valueScanner{r: r, buf: make([]byte, 0, scanChunk)}
}

// more reads more of the stream, keeping buf[keep:] (moved to the front: pos moves with it);
// false once the stream has ended or failed.
func (s *valueScanner) more(keep int) bool {
	if s.eof {
		return false
	}
	n := len(s.buf) - keep
	if keep > 0 { // a value read in many pieces is moved once, not at every read
		copy(s.buf, s.buf[keep:])
		s.buf, s.pos = s.buf[:n], s.pos-keep
	}
	if cap(s.buf)-n < scanChunk/2 { // a value longer than the buffer
		grown := make([]byte, n, 2*cap(s.buf))
		copy(grown, s.buf)
		s.buf = grown
	}
	for {
		m, err := s.r.Read(s.buf[n:cap(s.buf)])
		s.buf = s.buf[:n+m]
		if err != nil {
			s.eof, s.failed = true, err != io.EOF
			return m > 0
		}
		if m > 0 {
			return true
		}
	}
}

// peek returns the next byte that is not JSON white space, without consuming it; false at the
// end of the stream.
func (s *valueScanner) peek() (byte, bool) {
	for {
		for ; s.pos < len(s.buf); s.pos++ {
			if c := s.buf[s.pos]; !isSpace(c) {
				return c, true
			}
		}
		if !s.more(s.pos) {
			return 0, false
		}
	}
}

// take consumes the next byte that is not white space if it is c.
func (s *valueScanner) take(c byte) bool {
	if b, ok := s.peek(); ok && b == c {
		s.pos++
		return true
	}
	return false
}

// value consumes the next value and returns a copy of its bytes; false if no value starts
// there or the stream ends inside it.
func (s *valueScanner) value() ([]byte, bool) {
	c, ok := s.peek()
	if !ok || c == ']' || c == '}' || c == ',' || c == ':' {
		return nil, false
	}
	st := valueEnd{scalar: c != '{' && c != '[' && c != '"'}
	start, from := s.pos, s.pos
	for {
		if end := st.find(s.buf, from); end >= 0 {
			s.pos = end
			return bytes.Clone(s.buf[start:end]), true
		}
		from = len(s.buf) - start
		if !s.more(start) {
			return nil, false
		}
		start = 0
	}
}

// valueEnd finds where a value ends, across the reads of it.
type valueEnd struct {
	scalar   bool // a number or a literal: it ends at the next delimiter
	depth    int  // of brackets and braces
	inString bool
}

// find scans buf from i and returns the offset just past the value, or -1 if buf ends first.
// The value starts in buf, so that the backslashes before a quote are all in it.
func (v *valueEnd) find(buf []byte, i int) int {
	for ; i < len(buf); i++ {
		c := buf[i]
		switch {
		case v.scalar:
			if isSpace(c) || c == ',' || c == ']' || c == '}' || c == ':' {
				return i
			}
		case v.inString:
			// Most of a snapshot is strings (policy documents): jump to the next quote, which
			// ends the string unless an odd run of backslashes escapes it.
			j := bytes.IndexByte(buf[i:], '"')
			if j < 0 {
				return -1
			}
			i += j
			k := i
			for buf[k-1] == '\\' { // the opening quote stops the walk
				k--
			}
			if (i-k)%2 == 0 {
				v.inString = false
				if v.depth == 0 {
					return i + 1
				}
			}
		case c == '"':
			v.inString = true
		case c == '{' || c == '[':
			v.depth++
		case c == '}' || c == ']':
			if v.depth--; v.depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}
