package vpce

// Ready implements ready.Readiness: ready once an index is loaded, from a snapshot, the cache
// file or the EC2 API.
func (v *VPCE) Ready() bool { return v.index.Load() != nil }
