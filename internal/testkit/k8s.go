package testkit

import (
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/k8sfake"
)

// ServeKubernetes starts cluster, set up as the test wants it, on 127.0.0.1 for the rest of the
// test, and returns its URL: the kubernetes plugin's `endpoint`.
func ServeKubernetes(t testing.TB, cluster *k8sfake.Server) string {
	t.Helper()
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	return cluster.URL()
}
