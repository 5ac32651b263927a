// Package fault lets this module's integration tests make a step of a running vpce plugin
// instance panic, to see the plugin recover from it. The plugin's InjectFault takes a Hook,
// and only this module can make one: the seam is of no use to anyone importing the plugin.
package fault

// Hook is called as a step begins, with the step's name (its coredns_vpce_panics_total
// label); it injects a fault by panicking.
type Hook struct{ at func(step string) }

// New returns a Hook that calls at.
func New(at func(step string)) Hook { return Hook{at: at} }

// At calls the hook for step.
func (h Hook) At(step string) { h.at(step) }
