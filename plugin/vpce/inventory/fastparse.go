package inventory

import (
	"bytes"

	gojson "github.com/goccy/go-json"
)

// parseFast decodes a good snapshot quickly, or reports false for the exact parser to find
// what is wrong. It decodes with github.com/goccy/go-json, some three times faster than
// encoding/json: a snapshot of 100,000 endpoints as the AWS CLI prints it is some 350 MB, and it
// is read at start-up. It accepts what the exact parser accepts (FuzzParseFast checks it).
func parseFast(data []byte) (*Inventory, bool) {
	if rest := bytes.TrimLeft(data, " \t\r\n"); len(rest) == 0 || rest[0] != '{' {
		return nil, false
	}
	inv := &Inventory{}
	if err := gojson.Unmarshal(data, inv); err != nil {
		return nil, false
	}
	for i := range inv.VpcEndpoints {
		if checkEndpoint(&inv.VpcEndpoints[i]) != nil {
			return nil, false
		}
	}
	for i := range inv.NetworkInterfaces {
		if checkInterface(&inv.NetworkInterfaces[i]) != nil {
			return nil, false
		}
	}
	for i := range inv.ServiceDetails {
		if checkService(&inv.ServiceDetails[i]) != nil {
			return nil, false
		}
	}
	for i := range inv.Subnets {
		if checkSubnet(&inv.Subnets[i]) != nil {
			return nil, false
		}
	}
	for i := range inv.VpcEndpointAssociations {
		if checkAssociation(&inv.VpcEndpointAssociations[i]) != nil {
			return nil, false
		}
	}
	return inv, true
}
