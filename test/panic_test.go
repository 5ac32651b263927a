package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/fault"
)

// vpcefault is a directive of this test binary only. "vpcefault NAME" in a server block hands
// the block's vpce instance the fault switch registered under NAME (internal/fault). It runs
// just before vpce, so that vpce's setup takes the switch.
func init() {
	plugin.Register("vpcefault", setupFault)
	dirs := slices.Clone(dnsserver.Directives)
	if err := dnsserver.SetDirectives(slices.Insert(dirs, slices.Index(dirs, "vpce"), "vpcefault")); err != nil {
		panic(err)
	}
}

// faultSwitches holds the tests' fault switches by the name their Corefile gives vpcefault.
var faultSwitches sync.Map

func setupFault(c *caddy.Controller) error {
	c.Next()
	if !c.NextArg() {
		return c.ArgErr()
	}
	sw, ok := faultSwitches.Load(c.Val())
	if !ok {
		return c.Errf("no fault switch %q", c.Val())
	}
	fault.Set(dnsserver.GetConfig(c), sw.(*faultSwitch).at)
	return nil
}

// faultSwitch makes one step of a vpce instance panic while it is armed with it.
type faultSwitch struct{ armed atomic.Pointer[string] }

func (f *faultSwitch) arm(step string) { f.armed.Store(&step) }
func (f *faultSwitch) disarm()         { f.armed.Store(nil) }

func (f *faultSwitch) at(step string) {
	if armed := f.armed.Load(); armed != nil && *armed == step {
		panic("injected fault in " + step)
	}
}

const panicCorefile = `.:0 {
    bind 127.0.0.1
    prometheus PROM
    vpcefault SWITCH
    vpce {
        region ap-northeast-1
        aws_endpoint EC2
        refresh 100ms
        cache_file CACHE
    }
    forward . UPSTREAM
}`

// loadSeed puts the example snapshot's resources into the fake.
func loadSeed(t *testing.T, fake *ec2fake.Server) {
	t.Helper()
	data, err := os.ReadFile("../example/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	var st ec2fake.State
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	fake.Load(st.VpcEndpoints, st.NetworkInterfaces, st.ServiceDetails, st.Subnets)
}

// seedAnswered tells whether the server answers each name of the seed with its records (in
// any order: the order rotates).
func seedAnswered(t *testing.T, udp string) error {
	t.Helper()
	for _, q := range seed {
		got := records(testkit.Query(t, "udp", udp, q.name, dns.TypeA).Answer)
		slices.Sort(got)
		if want := slices.Sorted(slices.Values(q.answer)); !slices.Equal(got, want) {
			return fmt.Errorf("%s: answer %q, want %q", q.name, got, want)
		}
	}
	return nil
}

// metric returns the value of a series on a /metrics page, 0 if it is not there.
func metric(t *testing.T, prom, series string) float64 {
	t.Helper()
	_, body := httpGet(t, "http://"+prom+"/metrics")
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// TestLivePanics injects a panic into a running server's refresh, index build and cache file
// write in turn: while each lasts the server answers the seed's names as before and counts
// the panics (a refresh or build that panics is a failed refresh, so a change waits); once
// it ends, the next good refresh is taken.
func TestLivePanics(t *testing.T) {
	fake := testkit.StartFake(t)
	loadSeed(t, fake)
	sw := &faultSwitch{}
	faultSwitches.Store(t.Name(), sw)
	defer faultSwitches.Delete(t.Name())
	prom, cache := testkit.FreeAddr(t), filepath.Join(t.TempDir(), "vpce.json")
	r := strings.NewReplacer("PROM", prom, "SWITCH", t.Name(), "EC2", fake.URL(), "CACHE", cache)
	udp, _ := startServer(t, r.Replace(panicCorefile))
	testkit.Eventually(t, 10*time.Second, func() error { return seedAnswered(t, udp) })
	const failed = `coredns_vpce_refreshes_total{account="default",region="ap-northeast-1",result="failed"}`
	cached := func(name string) bool {
		data, err := os.ReadFile(cache)
		return err == nil && strings.Contains(string(data), name)
	}
	n := 0
	addEndpoint := func() (name, addr string) {
		n++
		name, addr = fmt.Sprintf("new%d.example.com", n), fmt.Sprintf("10.9.9.%d", n)
		fake.AddEndpoint(ec2fake.Endpoint{ID: fmt.Sprintf("vpce-0new%d", n), VPC: "vpc-1", PrivateDNS: true,
			Addrs: []string{addr}, Names: []string{name}})
		return name, addr
	}

	for _, step := range []string{"refresh", "build", "cache_file"} {
		t.Run(step, func(t *testing.T) {
			panics := `coredns_vpce_panics_total{where="` + step + `"}`
			panicsBefore, failedBefore := metric(t, prom, panics), metric(t, prom, failed)
			sw.arm(step)
			name, addr := addEndpoint()
			testkit.Eventually(t, 10*time.Second, func() error {
				if metric(t, prom, panics) == panicsBefore {
					return fmt.Errorf("no panic in %s counted", step)
				}
				return nil
			})
			// A change is served (cache_file: serving goes on) or waits for the fault to end.
			want := "upstream"
			if step == "cache_file" {
				want = addr
			}
			for range 10 {
				if err := seedAnswered(t, udp); err != nil {
					t.Fatalf("during the fault: %v", err)
				}
				if got := addrsOf(t, udp, name+"."); got != want {
					t.Fatalf("%s during the fault: %q, want %q", name, got, want)
				}
				time.Sleep(25 * time.Millisecond)
			}
			if step == "cache_file" {
				if cached(name) {
					t.Error("the cache file was written while its writes panic")
				}
			} else if metric(t, prom, failed) == failedBefore {
				t.Error("no failed refresh counted")
			}
			sw.disarm()
			expectAddrs(t, udp, name+".", addr)
			if step == "cache_file" { // written again with the next change
				addEndpoint()
				testkit.Eventually(t, 10*time.Second, func() error {
					if !cached(name) {
						return fmt.Errorf("the cache file lacks %s after the fault", name)
					}
					return nil
				})
			}
			if err := seedAnswered(t, udp); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}
