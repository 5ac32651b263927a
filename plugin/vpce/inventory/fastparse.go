package inventory

import (
	"bufio"
	"io"
	"os"

	gojson "github.com/goccy/go-json"
)

// parseFast decodes a good snapshot quickly, or reports false for the exact parser to find
// what is wrong. It decodes with github.com/goccy/go-json, some three times faster than
// encoding/json, as a stream: a snapshot of 100,000 endpoints as the AWS CLI prints it is some
// 350 MB, read at start-up, and a copy of it would cost as much again. It accepts what the exact
// parser accepts (FuzzParseFast checks it).
func parseFast(r io.Reader) (*Inventory, bool) {
	br := bufio.NewReaderSize(r, 1<<16)
	if !startsObject(br) {
		return nil, false
	}
	dec := gojson.NewDecoder(br)
	inv := &Inventory{}
	if err := dec.Decode(inv); err != nil {
		return nil, false
	}
	if !onlySpace(io.MultiReader(dec.Buffered(), br)) {
		return nil, false
	}
	return inv, checkAll(inv)
}

// parseFastFile is parseFast of a file, decompressed if it is gzip, within l; false for the
// exact parser (and Limits.ReadFile) to say what is wrong.
func (l Limits) parseFastFile(path string) (*Inventory, bool) {
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
	inv, ok := parseFast(lr)
	return inv, ok && lr.N > 0 // beyond the limit: refused by ReadFile
}

// ParseFile reads and parses a snapshot file within l: decoded while it is read, never held
// whole; a file that does not decode so is read again whole for the error that says what and
// where (Limits.ReadFile, Parse).
func (l Limits) ParseFile(path string) (*Inventory, error) {
	if inv, ok := l.parseFastFile(path); ok {
		return inv, nil
	}
	data, err := l.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
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

// checkAll runs the exact parser's checks of every element.
func checkAll(inv *Inventory) bool {
	for i := range inv.VpcEndpoints {
		if checkEndpoint(&inv.VpcEndpoints[i]) != nil {
			return false
		}
	}
	for i := range inv.NetworkInterfaces {
		if checkInterface(&inv.NetworkInterfaces[i]) != nil {
			return false
		}
	}
	for i := range inv.ServiceDetails {
		if checkService(&inv.ServiceDetails[i]) != nil {
			return false
		}
	}
	for i := range inv.Subnets {
		if checkSubnet(&inv.Subnets[i]) != nil {
			return false
		}
	}
	for i := range inv.VpcEndpointAssociations {
		if checkAssociation(&inv.VpcEndpointAssociations[i]) != nil {
			return false
		}
	}
	return true
}
