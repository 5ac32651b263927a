// Package jitter spreads the waits of the vpce plugin's periodic checks (the EC2 API's refreshes,
// the S3 and URL snapshots' checks), so that a fleet of resolvers started together, as after a
// rollout, drifts apart instead of calling in step.
package jitter

import (
	"math/rand/v2"
	"time"
)

// spread is how far a wait may stray from its interval: ±10%.
const spread = 0.1

// Spread returns d ± 10%, at random.
func Spread(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (1 - spread + 2*spread*rand.Float64()))
}
