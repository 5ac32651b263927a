package fault

import (
	"context"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
)

// TestTake: a hook is taken once, by its server block only; none is a hook that does nothing.
func TestTake(t *testing.T) {
	a, b := &dnsserver.Config{}, &dnsserver.Config{}
	var steps []string
	Set(a, func(step string) { steps = append(steps, step) })
	if Take(b) != nil {
		t.Error("another block's hook taken")
	}
	h := Take(a)
	if Take(a) != nil {
		t.Error("a hook taken twice")
	}
	h.At("build")
	FromContext(NewContext(context.Background(), h)).At("refresh")
	if len(steps) != 2 || steps[0] != "build" || steps[1] != "refresh" {
		t.Errorf("the hook ran for %q, want build then refresh", steps)
	}
	var none Hook
	none.At("build")
	if ctx := context.Background(); NewContext(ctx, none) != ctx || FromContext(ctx) != nil {
		t.Error("no hook changed the context")
	}
}
