package inventory

import "context"

// Source is where inventories come from: snapshot files or an account's EC2 API. A source
// tells its sink of every new inventory (whole ones only, never a partial one) and of every
// check that found the current one still current, until ctx ends.
type Source interface {
	Run(ctx context.Context, to Sink)
	String() string
}

// Sink receives one source's news, each inventory as a Compact (what the index is built from).
// An Update fails if the sink could not take the inventory in (what it serves stays as it
// was): the source hands it again later.
type Sink interface {
	Update(c *Compact) error
	Confirm()
}
