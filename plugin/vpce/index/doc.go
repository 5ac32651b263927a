// Package index is the vpce plugin's view of an account: an immutable table of the names its
// endpoints serve, built from an inventory.Compact (Build), and read without locks by any
// number of queries (Lookup, then Addrs for an answer's addresses, or Custom for the custom
// names of resource and service-network endpoints). It also knows where clients are (Place,
// from the VPCs' subnets and the client ranges of Options), which decides a client's answer
// for a name offered in several VPCs (ForClient) and, with affinity, the order of its
// addresses. It knows nothing of DNS messages, sources or metrics: the plugin publishes an
// Index, swaps it atomically when the view changes, and writes replies from it.
package index
