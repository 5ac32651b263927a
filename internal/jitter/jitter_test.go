package jitter

import (
	"testing"
	"time"
)

// TestSpread: every wait is within ±10% of the interval, and the waits differ, both ways.
func TestSpread(t *testing.T) {
	lo, hi := time.Minute, time.Minute
	for range 1000 {
		d := Spread(time.Minute)
		if d < 54*time.Second || d > 66*time.Second {
			t.Fatalf("Spread(1m) = %v, want within [54s, 66s]", d)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo > 57*time.Second || hi < 63*time.Second {
		t.Errorf("1000 waits from %v to %v: not spread over ±10%%", lo, hi)
	}
}
