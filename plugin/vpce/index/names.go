package index

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// NameBuf holds a name in presentation form: 254 characters are the longest name of 255 wire
// octets without escapes (longer ones hold \DDD escapes).
const NameBuf = 256

// hostChars are the bytes of a plain host name label, lower case.
var hostChars = func() (t [256]bool) {
	for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// vpceZone returns the <region>.vpce.amazonaws.com zone of a regional or zonal name: the
// labels after the endpoint label and the service id, which may itself have several labels.
func vpceZone(name []byte) []byte {
	if i := bytes.Index(name, []byte(".vpce.amazonaws.")); i >= 0 {
		if j := bytes.LastIndexByte(name[:i], '.'); j >= 0 {
			return name[j+1:]
		}
	}
	_, parent, _ := bytes.Cut(name, []byte("."))
	return parent
}

// classify tells an endpoint's names apart: vpce-<id>-<rand> is regional,
// vpce-<id>-<rand>-<az> zonal, anything not led by the endpoint id a private name.
func classify(name []byte, id string) (Kind, []byte) {
	label, _, _ := bytes.Cut(name, []byte("."))
	if len(label) <= len(id) || string(label[:len(id)]) != id || label[len(id)] != '-' {
		return Private, nil
	}
	if _, az, zonal := bytes.Cut(label[len(id)+1:], []byte("-")); zonal {
		return Zonal, az
	}
	return Regional, nil
}

// canonicalName lower-cases a DnsEntries name into an FQDN in buf and splits off a leading
// "*.". Only plain host names are served: letters, digits, '-', '_' and a whole-label leading
// wildcard, within DNS's length limits. A wildcard needs two labels below it, so that no
// entry can capture a whole top-level domain.
func canonicalName(buf []byte, raw string) (name []byte, wildcard bool, ok bool) {
	for i := 0; i < len(raw); i++ {
		if raw[i] >= utf8.RuneSelf { // Unicode's case mapping, which can make ASCII of it
			raw = strings.ToLower(raw)
			break
		}
	}
	name = buf
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		name = append(name, c)
	}
	if len(name) == 0 || name[len(name)-1] != '.' || Escaped(name, len(name)-1) {
		name = append(name, '.')
	}
	if rest, cut := bytes.CutPrefix(name, []byte("*.")); cut {
		name, wildcard = rest, true
	}
	// 255 bytes on the wire: an FQDN of 254 characters, 252 below a "*.".
	if len(name) == 1 || len(name) > 254 || wildcard && len(name) > 252 {
		return nil, false, false
	}
	labels, start := 0, 0
	for i, c := range name {
		if c != '.' {
			if !hostChars[c] {
				return nil, false, false
			}
			continue
		}
		if n := i - start; n == 0 || n > 63 {
			return nil, false, false
		}
		labels++
		start = i + 1
	}
	if wildcard && labels < 2 {
		return nil, false, false
	}
	return name, wildcard, true
}

// parentOf returns the name below the first label of name (in presentation form), or false
// at the root. A dot inside a label is escaped ("x\.s3...") and separates nothing.
func parentOf(name []byte) ([]byte, bool) {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			i++ // the escaped character (the digits of a \DDD escape are no dots either)
		case '.':
			if i == len(name)-1 {
				return nil, false
			}
			return name[i+1:], true
		}
	}
	return nil, false
}

// Escaped reports whether the dot at name[i] is escaped: after an odd run of backslashes.
func Escaped(name []byte, i int) bool {
	n := 0
	for i--; i >= 0 && name[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}
