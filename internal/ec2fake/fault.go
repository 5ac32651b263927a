package ec2fake

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// FaultKind is how a faulted request fails.
type FaultKind int

const (
	// Throttle answers 503 RequestLimitExceeded, EC2's throttling error.
	Throttle FaultKind = iota + 1
	// InternalError answers 500 InternalError.
	InternalError
	// Unauthorized answers 403 UnauthorizedOperation, a missing IAM permission.
	Unauthorized
	// Slow waits Fault.Delay, or until the client gives up or the server
	// closes, then answers normally. A zero Delay waits for the latter only.
	Slow
	// Malformed answers 200 with a truncated XML document.
	Malformed
	// ExpiredCredentials answers 400 RequestExpired, which EC2 (unlike most
	// services, which send ExpiredToken) returns for expired session credentials.
	ExpiredCredentials
)

var faultKindNames = map[FaultKind]string{
	Throttle:           "Throttle",
	InternalError:      "InternalError",
	Unauthorized:       "Unauthorized",
	Slow:               "Slow",
	Malformed:          "Malformed",
	ExpiredCredentials: "ExpiredCredentials",
}

func (k FaultKind) String() string {
	if name, ok := faultKindNames[k]; ok {
		return name
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// MarshalText writes the kind's name, so JSON fault specs read naturally.
func (k FaultKind) MarshalText() ([]byte, error) {
	if _, ok := faultKindNames[k]; !ok {
		return nil, fmt.Errorf("ec2fake: unknown fault kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText parses a kind's name.
func (k *FaultKind) UnmarshalText(b []byte) error {
	for kind, name := range faultKindNames {
		if name == string(b) {
			*k = kind
			return nil
		}
	}
	return fmt.Errorf("ec2fake: unknown fault kind %q", b)
}

// faultErrors are the answers of the kinds that fail with an EC2 error.
var faultErrors = map[FaultKind]*apiError{
	Throttle:           {http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded."},
	InternalError:      errInternal,
	Unauthorized:       {http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation."},
	ExpiredCredentials: {http.StatusBadRequest, "RequestExpired", "Request has expired."},
}

// Fault makes matching requests fail.
type Fault struct {
	// Action limits the fault to one action; "" matches any EC2 action.
	// STS actions (AssumeRole) are faulted only by faults that name them.
	Action string
	// Page limits the fault to one page of a listing (1-based: page N is the
	// request carrying the token page N-1 returned); 0 matches any.
	Page int
	// Count is how many matching requests fail; 0 means until ClearFaults.
	Count int
	Kind  FaultKind
	// Delay is how long a Slow fault holds the request.
	Delay time.Duration
}

// Inject adds a fault. When several match a request, the earliest injected
// applies. It panics on an unknown Kind, a bug in the calling test.
func (a *account) Inject(f Fault) {
	if _, ok := faultKindNames[f.Kind]; !ok {
		panic(fmt.Sprintf("ec2fake: Inject: unknown fault kind %d", int(f.Kind)))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults = append(a.faults, f)
}

// ClearFaults removes all faults.
func (a *account) ClearFaults() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults = nil
}

// takeFault returns the fault that applies to c, using up one of its Count.
func (a *account) takeFault(c *call) (Fault, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, f := range a.faults {
		if !f.matches(c) {
			continue
		}
		if f.Count > 0 {
			a.faults[i].Count--
			if a.faults[i].Count == 0 {
				a.faults = slices.Delete(a.faults, i, i+1)
			}
		}
		return f, true
	}
	return Fault{}, false
}

// matches reports whether f applies to c.
func (f Fault) matches(c *call) bool {
	action := f.Action == c.action || (f.Action == "" && c.svc.wildcard)
	return action && (f.Page == 0 || f.Page == c.page)
}
