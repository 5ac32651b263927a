package k8sfake

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func start(t *testing.T) *Server {
	t.Helper()
	s := New()
	s.AddNamespace("default")
	s.AddService("default", "kubernetes", "10.96.0.1", "https", "10.0.0.11")
	s.AddPod("default", "client", "127.0.0.42")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, ctx context.Context, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// A list is the API server's: a typed list of the collection's objects, with a resource version.
func TestList(t *testing.T) {
	s := start(t)
	var slices discoveryv1.EndpointSliceList
	resp := get(t, context.Background(), s.URL()+"/apis/discovery.k8s.io/v1/endpointslices?limit=500")
	if err := json.NewDecoder(resp.Body).Decode(&slices); err != nil {
		t.Fatal(err)
	}
	if slices.Kind != "EndpointSliceList" || slices.ResourceVersion == "" || len(slices.Items) != 1 {
		t.Fatalf("endpoint slices: %+v", slices)
	}
	es := slices.Items[0]
	if es.Labels[discoveryv1.LabelServiceName] != "kubernetes" || len(es.Endpoints) != 1 ||
		es.Endpoints[0].Addresses[0] != "10.0.0.11" || !*es.Endpoints[0].Conditions.Ready {
		t.Errorf("endpoint slice: %+v", es)
	}

	var pods corev1.PodList
	if err := json.NewDecoder(get(t, context.Background(), s.URL()+"/api/v1/pods").Body).Decode(&pods); err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 1 || pods.Items[0].Status.PodIP != "127.0.0.42" || pods.Items[0].Namespace != "default" {
		t.Errorf("pods: %+v", pods.Items)
	}

	if resp := get(t, context.Background(), s.URL()+"/api/v1/nodes"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unserved resource: %s, want 404", resp.Status)
	}
}

// A streaming list (client-go's default) is a watch with sendInitialEvents: an ADDED event for
// each object, with its kind, then the bookmark that ends the initial events.
func TestWatchInitialEvents(t *testing.T) {
	s := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp := get(t, ctx, s.URL()+"/api/v1/services?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan")
	type event struct {
		Type   string
		Object struct {
			metav1.TypeMeta
			Metadata metav1.ObjectMeta
		}
	}
	sc := bufio.NewScanner(resp.Body)
	var got []event
	for len(got) < 2 && sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) != 2 || got[0].Type != "ADDED" || got[0].Object.Kind != "Service" || got[0].Object.Metadata.Name != "kubernetes" ||
		got[1].Type != "BOOKMARK" || got[1].Object.Metadata.Annotations[metav1.InitialEventsAnnotationKey] != "true" {
		t.Fatalf("events: %+v", got)
	}
}
