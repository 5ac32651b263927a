// Package k8sfake is a Kubernetes API server fake for the kubernetes plugin of the tests' CoreDNS:
// over plain HTTP and JSON it serves the list and watch calls of the plugin's informers
// (Services, EndpointSlices of discovery.k8s.io/v1, Namespaces and Pods), so that the plugin
// syncs and answers cluster names as in a cluster. Point the plugin at it with `endpoint URL`.
//
// The objects are set before the server starts and do not change: a watch sends the initial
// events it is asked for and then stays open with nothing more. Label and field selectors are
// not applied (the Corefiles under test set none; the pods' phase selector is met by Running
// pods).
package k8sfake

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// resourceVersion is the version of every object and list: nothing changes once served.
const resourceVersion = "1"

// resource is one listable collection: its URL path, its kind and list kind, its items.
type resource struct {
	apiVersion, kind string
	items            []any
}

// Server holds a cluster's objects and serves them once started.
type Server struct {
	mu        sync.Mutex
	resources map[string]*resource // by URL path
	srv       *http.Server
	url       string
	done      chan struct{}
}

// New returns an empty cluster: no namespaces, services, endpoint slices or pods.
func New() *Server {
	s := &Server{resources: map[string]*resource{}, done: make(chan struct{})}
	s.resources["/api/v1/namespaces"] = &resource{apiVersion: "v1", kind: "Namespace"}
	s.resources["/api/v1/services"] = &resource{apiVersion: "v1", kind: "Service"}
	s.resources["/api/v1/pods"] = &resource{apiVersion: "v1", kind: "Pod"}
	s.resources["/apis/discovery.k8s.io/v1/endpointslices"] = &resource{apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice"}
	return s
}

func (s *Server) add(path string, obj any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.resources[path]
	r.items = append(r.items, obj)
}

func meta(r *resource, namespace, name string) (metav1.TypeMeta, metav1.ObjectMeta) {
	return metav1.TypeMeta{APIVersion: r.apiVersion, Kind: r.kind},
		metav1.ObjectMeta{Namespace: namespace, Name: name, ResourceVersion: resourceVersion, UID: types.UID("uid-" + namespace + "-" + name)}
}

// AddNamespace adds a namespace.
func (s *Server) AddNamespace(name string) {
	tm, om := meta(s.resources["/api/v1/namespaces"], "", name)
	s.add("/api/v1/namespaces", &corev1.Namespace{TypeMeta: tm, ObjectMeta: om, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}})
}

// AddService adds a ClusterIP Service with one port, 443/TCP for "https" and 53/UDP otherwise,
// and an EndpointSlice of it holding addrs (ready), as the control plane keeps it.
func (s *Server) AddService(namespace, name, clusterIP, portName string, addrs ...string) {
	port, proto := int32(53), corev1.ProtocolUDP
	if portName == "https" {
		port, proto = 443, corev1.ProtocolTCP
	}
	tm, om := meta(s.resources["/api/v1/services"], namespace, name)
	s.add("/api/v1/services", &corev1.Service{TypeMeta: tm, ObjectMeta: om, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeClusterIP, ClusterIP: clusterIP, ClusterIPs: []string{clusterIP},
		Ports: []corev1.ServicePort{{Name: portName, Port: port, Protocol: proto}},
	}})

	tm, om = meta(s.resources["/apis/discovery.k8s.io/v1/endpointslices"], namespace, name+"-abcde")
	om.Labels = map[string]string{discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}
	ready := true
	slice := &discoveryv1.EndpointSlice{TypeMeta: tm, ObjectMeta: om, AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{{Name: &portName, Port: &port, Protocol: &proto}}}
	for _, a := range addrs {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{a},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready}})
	}
	s.add("/apis/discovery.k8s.io/v1/endpointslices", slice)
}

// AddPod adds a Running pod with the address ip.
func (s *Server) AddPod(namespace, name, ip string) {
	tm, om := meta(s.resources["/api/v1/pods"], namespace, name)
	s.add("/api/v1/pods", &corev1.Pod{TypeMeta: tm, ObjectMeta: om, Status: corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
	}})
}

// Start serves the cluster on 127.0.0.1, on a port of its own.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s}
	go s.srv.Serve(ln)
	return nil
}

// URL is the server's address, http://127.0.0.1:port: the kubernetes plugin's endpoint.
func (s *Server) URL() string { return s.url }

// Close ends the open watches and stops the server.
func (s *Server) Close() {
	close(s.done)
	if s.srv != nil {
		s.srv.Close()
	}
}

// ServeHTTP answers a list (GET path) or a watch (GET path?watch=true) of a collection, across
// all namespaces as the plugin asks; anything else is 404, as the API server answers an
// unknown resource.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	res, ok := s.resources[r.URL.Path]
	var items []any
	if ok {
		items = append(items, res.items...)
	}
	s.mu.Unlock()
	if !ok || r.Method != http.MethodGet {
		status(w, http.StatusNotFound, metav1.StatusReasonNotFound, fmt.Sprintf("%s %s: not served", r.Method, r.URL.Path))
		return
	}
	q := r.URL.Query()
	if watch, _ := strconv.ParseBool(q.Get("watch")); watch {
		initial, _ := strconv.ParseBool(q.Get("sendInitialEvents"))
		s.watch(w, r, res, items, initial)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"apiVersion": res.apiVersion,
		"kind":       res.kind + "List",
		"metadata":   metav1.ListMeta{ResourceVersion: resourceVersion},
		"items":      items,
	})
}

// watch streams watch events as the API server does, one JSON object each: with
// sendInitialEvents (client-go's streaming list), an ADDED event for every object and then
// the bookmark that ends them; then nothing until the client or the server goes.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, res *resource, items []any, initial bool) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	if initial {
		for _, item := range items {
			enc.Encode(map[string]any{"type": "ADDED", "object": item})
		}
		enc.Encode(map[string]any{"type": "BOOKMARK", "object": map[string]any{
			"apiVersion": res.apiVersion, "kind": res.kind,
			"metadata": metav1.ObjectMeta{ResourceVersion: resourceVersion,
				Annotations: map[string]string{metav1.InitialEventsAnnotationKey: "true"}},
		}})
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
}

// status writes an API error as the API server does: a Status object.
func status(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status: metav1.StatusFailure, Code: int32(code), Reason: reason, Message: msg})
}
