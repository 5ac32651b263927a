package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Parse decodes one snapshot file: a JSON object with any of the keys VpcEndpoints,
// NetworkInterfaces, ServiceDetails, Subnets and VpcEndpointAssociations, as `aws ec2
// describe-vpc-endpoints` (and describe-network-interfaces, describe-vpc-endpoint-services,
// describe-subnets, describe-vpc-endpoint-associations) print them. Other keys, such as
// NextToken, are ignored. Errors name the file, line and column, and the object at fault.
//
// It is the exact parser, with encoding/json: the plugin reads snapshots with ReadCompact and
// ParseCompact, whose fast path falls back on it for a snapshot it does not accept.
func Parse(file string, data []byte) (*Inventory, error) {
	return newSnapshotParser(file, data).parse()
}

func newSnapshotParser(file string, data []byte) *snapshotParser {
	return &snapshotParser{file: file, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
}

type snapshotParser struct {
	file string
	data []byte
	dec  *json.Decoder
}

func (p *snapshotParser) parse() (*Inventory, error) {
	inv, err := p.decode()
	// A syntax error is reported where a full syntax check finds it: the streaming decoder
	// does not give exact offsets for them. The check runs only then: on a good file it would
	// read the whole file once more.
	if err != nil && !json.Valid(p.data) {
		return nil, p.jsonErr(0, json.Unmarshal(p.data, new(json.RawMessage))) // for the offset
	}
	return inv, err
}

func (p *snapshotParser) decode() (*Inventory, error) {
	inv := &Inventory{}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.jsonErr(0, err)
	}
	if tok != json.Delim('{') {
		return nil, p.errAt(0, "want a JSON object with VpcEndpoints, NetworkInterfaces, ServiceDetails, Subnets or VpcEndpointAssociations")
	}
	for p.dec.More() {
		off := p.dec.InputOffset()
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.jsonErr(off, err)
		}
		key, _ := tok.(string)
		// Keys match ignoring case, as encoding/json matches fields.
		switch strings.ToLower(key) {
		case "vpcendpoints":
			err = decodeList(p, key, &inv.VpcEndpoints, checkEndpoint)
		case "networkinterfaces":
			err = decodeList(p, key, &inv.NetworkInterfaces, checkInterface)
		case "servicedetails":
			err = decodeList(p, key, &inv.ServiceDetails, checkService)
		case "subnets":
			err = decodeList(p, key, &inv.Subnets, checkSubnet)
		case "vpcendpointassociations":
			err = decodeList(p, key, &inv.VpcEndpointAssociations, checkAssociation)
		default:
			var skip json.RawMessage
			off = p.dec.InputOffset()
			if err = p.dec.Decode(&skip); err != nil {
				err = p.jsonErr(off, err)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := p.dec.Token(); err != nil { // '}'
		return nil, p.jsonErr(p.dec.InputOffset(), err)
	}
	if rest := p.data[p.dec.InputOffset():]; len(bytes.TrimSpace(rest)) > 0 {
		return nil, p.errAt(p.valueStart(p.dec.InputOffset()), "data after the snapshot's object")
	}
	return inv, nil
}

// decodeList decodes the array under key one element at a time, so that an error can name
// the element's position, and checks each element with check.
func decodeList[T any](p *snapshotParser, key string, list *[]T, check func(*T) error) error {
	off := p.dec.InputOffset()
	tok, err := p.dec.Token()
	if err != nil {
		return p.jsonErr(off, err)
	}
	if tok == nil { // "Key": null
		return nil
	}
	if tok != json.Delim('[') {
		return p.errAt(p.valueStart(off), "%s: want an array", key)
	}
	// The elements go into chunks, joined at the end: appending them to one growing slice
	// would copy every (large) element again at each doubling.
	var chunks [][]T
	chunk := make([]T, 0, 64)
	for i := 0; p.dec.More(); i++ {
		start := p.valueStart(p.dec.InputOffset())
		if len(chunk) == cap(chunk) {
			chunks = append(chunks, chunk)
			chunk = make([]T, 0, min(2*cap(chunk), 4096))
		}
		chunk = chunk[:len(chunk)+1]
		v := &chunk[len(chunk)-1]
		if err := p.dec.Decode(v); err != nil {
			// The decoder counts a type error's offset from the start of the element.
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return p.errAt(start+te.Offset, "%s[%d]: field %s: want %s, got %s", key, i, te.Field, te.Type, te.Value)
			}
			return p.errAt(start, "%s[%d]: %v", key, i, err)
		}
		if err := check(v); err != nil {
			return p.errAt(start, "%s[%d]: %v", key, i, err)
		}
	}
	chunks = append(chunks, chunk)
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	*list = slices.Grow(*list, n)
	for _, c := range chunks {
		*list = append(*list, c...)
	}
	_, err = p.dec.Token() // ']'
	return err
}

// valueStart skips the white space and separator in front of the value at off.
func (p *snapshotParser) valueStart(off int64) int64 {
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (p *snapshotParser) jsonErr(off int64, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return p.errAt(se.Offset-1, "%v", err) // Offset is just past the bad byte
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.errAt(int64(len(p.data)), "unexpected end of JSON input")
	}
	return p.errAt(off, "%v", err)
}

// errAt formats an error at a byte offset as file:line:column.
func (p *snapshotParser) errAt(off int64, format string, args ...any) error {
	off = min(max(off, 0), int64(len(p.data)))
	line := 1 + bytes.Count(p.data[:off], []byte{'\n'})
	col := off - int64(bytes.LastIndexByte(p.data[:off], '\n'))
	return fmt.Errorf("%s:%d:%d: %s", p.file, line, col, fmt.Sprintf(format, args...))
}

// checkEndpoint refuses only what is structurally wrong. Enum values (State, VpcEndpointType,
// IpAddressType, DnsRecordIpType) are not checked here: AWS adds values before the SDK lists
// them, and the index builder leaves an endpoint with one it does not know out of the view,
// with a warning, whichever source the endpoint came from.
func checkEndpoint(ep *types.VpcEndpoint) error {
	if ep.VpcEndpointId == nil || *ep.VpcEndpointId == "" {
		return errors.New("VpcEndpointId missing")
	}
	return nil
}

func checkInterface(ni *types.NetworkInterface) error {
	if ni.NetworkInterfaceId == nil || *ni.NetworkInterfaceId == "" {
		return errors.New("NetworkInterfaceId missing")
	}
	return nil
}

func checkService(sd *types.ServiceDetail) error {
	if sd.ServiceName == nil || *sd.ServiceName == "" {
		return errors.New("ServiceName missing")
	}
	return nil
}

func checkSubnet(sn *types.Subnet) error {
	if sn.SubnetId == nil || *sn.SubnetId == "" {
		return errors.New("SubnetId missing")
	}
	return nil
}

// checkAssociation refuses an association without its ids. AssociatedResourceAccessibility is
// not checked here, as the endpoints' enums are not: the builder leaves out a value it does
// not know.
func checkAssociation(a *types.VpcEndpointAssociation) error {
	switch {
	case a.Id == nil || *a.Id == "":
		return errors.New("Id missing")
	case a.VpcEndpointId == nil || *a.VpcEndpointId == "":
		return errors.New("VpcEndpointId missing")
	}
	return nil
}
