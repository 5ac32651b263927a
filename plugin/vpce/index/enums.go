package index

import (
	"fmt"
	"strings"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// unknownEnum names the first enum field of ep, in the order that decides whether it is served,
// whose value the SDK does not list (compared ignoring case), and that value; "" if there is
// none. A field is only looked at if the ones before it let the endpoint be served: a
// Gateway endpoint, or one being deleted, is left out in silence whatever the rest holds.
func unknownEnum(ep *inventory.Endpoint) (field, value string) {
	switch {
	case !inventory.KnownEnum(ep.Type, inventory.EndpointTypes):
		return "VpcEndpointType", ep.Type
	case !servedType(ep.Type):
		return "", ""
	case !inventory.KnownEnum(ep.State, inventory.States):
		return "State", ep.State
	case !strings.EqualFold(ep.State, inventory.StateAvailable):
		return "", ""
	case ep.IPAddressType != "" && !inventory.KnownEnum(ep.IPAddressType, inventory.IPAddressTypes):
		return "IpAddressType", ep.IPAddressType
	case ep.RecordIPType != "" && !inventory.KnownEnum(ep.RecordIPType, inventory.RecordIPTypes):
		return "DnsOptions.DnsRecordIpType", string(ep.RecordIPType)
	}
	return "", ""
}

// unknownEnums collects the endpoints left out for an enum value the SDK does not list, by
// field and value, so that a build reports each distinct value once, naming the first
// endpoint that had it.
type unknownEnums struct {
	order []enumValue
	seen  map[enumValue]*unknownNote
}

type enumValue struct{ field, value string }

type unknownNote struct {
	first string // endpoint id
	more  int
}

// maxEnumValue bounds a value as a log line quotes it.
const maxEnumValue = 64

func (u *unknownEnums) add(field, value, id string) {
	k := enumValue{field, value}
	if n, ok := u.seen[k]; ok {
		n.more++
		return
	}
	if u.seen == nil {
		u.seen = map[enumValue]*unknownNote{}
	}
	u.seen[k] = &unknownNote{first: id}
	u.order = append(u.order, k)
}

// lines are the report's lines, in the order the values were first met:
// `vpce-0abc: unknown VpcEndpointType "FutureType"`, `vpce-0abc and 2 more: State missing`.
func (u *unknownEnums) lines() []string {
	lines := make([]string, 0, len(u.order))
	for _, k := range u.order {
		n := u.seen[k]
		who := n.first
		if n.more > 0 {
			who = fmt.Sprintf("%s and %d more", n.first, n.more)
		}
		v := k.value
		switch {
		case v == "":
			lines = append(lines, fmt.Sprintf("%s: %s missing", who, k.field))
			continue
		case len(v) > maxEnumValue:
			v = v[:maxEnumValue] + "..."
		}
		lines = append(lines, fmt.Sprintf("%s: unknown %s %q", who, k.field, v))
	}
	return lines
}
