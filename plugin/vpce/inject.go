package vpce

import (
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awsapi"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/coredns-vpce/coredns-vpce/internal/fault"
)

// InjectFault makes h run as each refresh, index build and cache file write of this instance
// begins, so that an integration test can make one of them panic in a running server and see
// it recovered. It must be called before the server starts (from the start-up of a plugin set
// up before vpce): the refresh hook reaches only the pollers this instance starts.
func (v *VPCE) InjectFault(h fault.Hook) {
	m := v.merger
	build := m.build
	m.build = func(inv *inventory.Compact, opts index.Options) (*index.Index, index.Report) {
		h.At(guard.Build)
		return build(inv, opts)
	}
	if c := m.cache; c != nil {
		write := c.Write
		c.Write = func(path string, data []byte) error {
			h.At(guard.CacheFile)
			return write(path, data)
		}
	}
	for i, src := range m.sources {
		if s, ok := src.(awsapi.Source); ok {
			m.sources[i] = s.InjectFault(h)
		}
	}
}
