package inventory

import "time"

// SetPoll makes s check its files every d instead of every second.
func SetPoll(s *Files, d time.Duration) { s.poll = d }
