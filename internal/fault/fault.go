// Package fault lets this module's integration tests make a step of a running vpce plugin
// instance panic, to see the plugin recover from it. A test sets a Hook for a server block
// before the plugin's setup runs (from the setup of a directive ordered before vpce); the
// setup takes it, and the instance runs it as its steps begin. Only this module can import
// the package, so the seam is no part of the plugin's API; and unless a test sets a hook, the
// plugin finds none and nothing changes.
package fault

import (
	"context"
	"sync"

	"github.com/coredns/coredns/core/dnsserver"
)

// Hook is called as a step begins, with the step's name (its coredns_vpce_panics_total
// label); it injects a fault by panicking.
type Hook func(step string)

// At calls h, if there is one, for step.
func (h Hook) At(step string) {
	if h != nil {
		h(step)
	}
}

// hooks are the hooks set and not yet taken, by server block.
var hooks sync.Map // *dnsserver.Config → Hook

// Set hands h to the vpce plugin instance of the server block conf, whose setup takes it.
func Set(conf *dnsserver.Config, h Hook) { hooks.Store(conf, h) }

// Take returns the hook set for the server block conf, nil if none, and forgets it.
func Take(conf *dnsserver.Config) Hook {
	h, _ := hooks.LoadAndDelete(conf)
	hook, _ := h.(Hook)
	return hook
}

// hookKey is the context key of a hook.
type hookKey struct{}

// NewContext returns ctx carrying h, if there is one, to the sources an instance runs: the
// EC2 API's poller runs it as each refresh begins.
func NewContext(ctx context.Context, h Hook) context.Context {
	if h == nil {
		return ctx
	}
	return context.WithValue(ctx, hookKey{}, h)
}

// FromContext returns the hook ctx carries, nil if none.
func FromContext(ctx context.Context) Hook {
	h, _ := ctx.Value(hookKey{}).(Hook)
	return h
}
