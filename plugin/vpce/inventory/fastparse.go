package inventory

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
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
// to find what is wrong. It decodes with github.com/goccy/go-json, some three times faster than
// encoding/json, as a stream, one element at a time, keeping what a Compact keeps of each: a
// snapshot of 100,000 endpoints as the AWS CLI prints it is some 350 MB, and neither it nor its
// SDK types are ever held whole. It walks the object as Parse does, and accepts what Parse
// accepts (FuzzCompactFast checks it): every field of every element is decoded into its SDK
// type, so that a wrong JSON type anywhere refuses the file.
func compactFast(r io.Reader) (*Compact, bool) {
	br := bufio.NewReaderSize(r, 1<<16)
	if !startsObject(br) {
		return nil, false
	}
	dec := gojson.NewDecoder(br)
	if tok, err := dec.Token(); err != nil || tok != gojson.Delim('{') {
		return nil, false
	}
	c := &Compact{}
	a := newArena()
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, _ := tok.(string)
		ok := true
		switch strings.ToLower(key) { // as Parse matches keys
		case "vpcendpoints":
			ok = decodeEach(dec, checkEndpoint, func(ep *types.VpcEndpoint) { c.Endpoints = append(c.Endpoints, a.endpoint(ep)) })
		case "networkinterfaces":
			ok = decodeEach(dec, checkInterface, func(ni *types.NetworkInterface) {
				c.Interfaces = append(c.Interfaces, a.networkInterface(ni))
			})
		case "servicedetails":
			ok = decodeEach(dec, checkService, func(sd *types.ServiceDetail) { c.Services = append(c.Services, keptService(sd)) })
		case "subnets":
			ok = decodeEach(dec, checkSubnet, func(sn *types.Subnet) { c.Subnets = append(c.Subnets, keptSubnet(sn)) })
		case "vpcendpointassociations":
			ok = decodeEach(dec, checkAssociation, func(as *types.VpcEndpointAssociation) {
				c.Associations = append(c.Associations, keptAssociation(as))
			})
		default:
			var skip gojson.RawMessage
			ok = dec.Decode(&skip) == nil
		}
		if !ok {
			return nil, false
		}
	}
	if tok, err := dec.Token(); err != nil || tok != gojson.Delim('}') {
		return nil, false
	}
	if !onlySpace(io.MultiReader(dec.Buffered(), br)) {
		return nil, false
	}
	return c, true
}

// decodeEach decodes the array (or null) the decoder is at, one element at a time, each
// checked with check and handed to keep; false if anything is not as Parse wants it.
func decodeEach[T any](dec *gojson.Decoder, check func(*T) error, keep func(*T)) bool {
	tok, err := dec.Token()
	switch {
	case err != nil:
		return false
	case tok == nil: // "Key": null
		return true
	case tok != gojson.Delim('['):
		return false
	}
	for dec.More() {
		var v T
		if dec.Decode(&v) != nil || check(&v) != nil {
			return false
		}
		keep(&v)
	}
	tok, err = dec.Token()
	return err == nil && tok == gojson.Delim(']')
}

// startsObject reports whether the first byte after white space is '{'.
func startsObject(br *bufio.Reader) bool {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return false
		}
		if !isSpace(c) {
			return c == '{' && br.UnreadByte() == nil
		}
	}
}

// onlySpace reports whether r holds nothing but JSON white space.
func onlySpace(r io.Reader) bool {
	var buf [4096]byte
	for {
		n, err := r.Read(buf[:])
		for _, c := range buf[:n] {
			if !isSpace(c) {
				return false
			}
		}
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
