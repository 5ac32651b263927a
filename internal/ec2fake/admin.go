package ec2fake

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// adminPrefix is where the admin API lives on the server's listener. No EC2
// request uses a path, so it cannot collide with the EC2 API.
const adminPrefix = "/_fake/"

// EndpointSpec is the body of POST /_fake/endpoints: a VPC endpoint in
// AWS CLI JSON, optionally with its network interfaces alongside.
type EndpointSpec struct {
	types.VpcEndpoint
	NetworkInterfaces []types.NetworkInterface `json:",omitempty"`
}

// FaultSpec is the body of POST /_fake/faults: a Fault with Kind by name
// ("Throttle") and Delay as a Go duration ("2s").
type FaultSpec struct {
	Action string
	Page   int
	Count  int
	Kind   FaultKind
	Delay  string
}

// RoleSpec is the body of POST /_fake/roles: a role that AssumeRole issues
// credentials for (see Server.AddRole).
type RoleSpec struct {
	Arn        string
	ExternalID string `json:"ExternalId,omitempty"`
}

// AdminHandler serves the JSON admin API, which ServeHTTP also routes to
// under /_fake/:
//
//	POST   /_fake/endpoints                    EndpointSpec: put an endpoint and its interfaces
//	DELETE /_fake/endpoints/{id}               delete an endpoint and its interfaces
//	POST   /_fake/endpoints/{id}/state?state=S set an endpoint's state
//	POST   /_fake/associations                 put a VpcEndpointAssociation (AWS CLI JSON)
//	DELETE /_fake/associations/{id}            delete an association
//	POST   /_fake/associations/{id}/accessibility?value=V
//	                                           set its AssociatedResourceAccessibility
//	GET    /_fake/state                        dump the State
//	POST   /_fake/faults                       FaultSpec: inject a fault
//	DELETE /_fake/faults                       clear faults
//	POST   /_fake/roles                        RoleSpec: add a role
//
// All but the last act on the default account, or with the query parameter
// account=ID on that account.
func (s *Server) AdminHandler() http.Handler { return s.admin }

func (s *Server) newAdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_fake/endpoints", s.adminPutEndpoint)
	mux.HandleFunc("DELETE /_fake/endpoints/{id}", s.adminDeleteEndpoint)
	mux.HandleFunc("POST /_fake/endpoints/{id}/state", s.adminSetEndpointState)
	mux.HandleFunc("POST /_fake/associations", s.adminPutAssociation)
	mux.HandleFunc("DELETE /_fake/associations/{id}", func(w http.ResponseWriter, r *http.Request) {
		s.adminAccount(r).DeleteAssociation(r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/associations/{id}/accessibility", s.adminSetAccessibility)
	mux.HandleFunc("GET /_fake/state", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.adminAccount(r).Snapshot())
	})
	mux.HandleFunc("POST /_fake/faults", s.adminInject)
	mux.HandleFunc("DELETE /_fake/faults", func(w http.ResponseWriter, r *http.Request) {
		s.adminAccount(r).ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/roles", s.adminAddRole)
	return mux
}

// adminAccount is the account an admin request acts on.
func (s *Server) adminAccount(r *http.Request) *Account {
	return s.Account(r.URL.Query().Get("account"))
}

func (s *Server) adminAddRole(w http.ResponseWriter, r *http.Request) {
	var spec RoleSpec
	if !decodeJSON(w, r, &spec) {
		return
	}
	if err := s.addRole(spec.Arn, spec.ExternalID); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminPutEndpoint(w http.ResponseWriter, r *http.Request) {
	a := s.adminAccount(r)
	var spec EndpointSpec
	if !decodeJSON(w, r, &spec) {
		return
	}
	if aws.ToString(spec.VpcEndpointId) == "" {
		http.Error(w, "VpcEndpointId is required", http.StatusBadRequest)
		return
	}
	// Interfaces first, so no listing shows the endpoint without them.
	for _, ni := range spec.NetworkInterfaces {
		a.PutInterface(ni)
	}
	a.PutEndpoint(spec.VpcEndpoint)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminDeleteEndpoint(w http.ResponseWriter, r *http.Request) {
	a := s.adminAccount(r)
	ep, ok := a.deleteEndpoint(r.PathValue("id"))
	if !ok {
		http.Error(w, "no such endpoint", http.StatusNotFound)
		return
	}
	// AWS deletes an endpoint's interfaces with it.
	for _, id := range ep.NetworkInterfaceIds {
		a.DeleteInterface(id)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminSetEndpointState(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state == "" {
		http.Error(w, "state query parameter is required", http.StatusBadRequest)
		return
	}
	if !s.adminAccount(r).setEndpointState(r.PathValue("id"), state) {
		http.Error(w, "no such endpoint", http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminPutAssociation(w http.ResponseWriter, r *http.Request) {
	var as types.VpcEndpointAssociation
	if !decodeJSON(w, r, &as) {
		return
	}
	if aws.ToString(as.Id) == "" || aws.ToString(as.VpcEndpointId) == "" {
		http.Error(w, "Id and VpcEndpointId are required", http.StatusBadRequest)
		return
	}
	s.adminAccount(r).PutAssociation(as)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminSetAccessibility(w http.ResponseWriter, r *http.Request) {
	value := r.URL.Query().Get("value")
	if value == "" {
		http.Error(w, "value query parameter is required", http.StatusBadRequest)
		return
	}
	if !s.adminAccount(r).setAssociationAccessibility(r.PathValue("id"), value) {
		http.Error(w, "no such association", http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminInject(w http.ResponseWriter, r *http.Request) {
	var spec FaultSpec
	if !decodeJSON(w, r, &spec) {
		return
	}
	f := Fault{Action: spec.Action, Page: spec.Page, Count: spec.Count, Kind: spec.Kind}
	if spec.Delay != "" {
		d, err := time.ParseDuration(spec.Delay)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.Delay = d
	}
	if spec.Kind == 0 {
		http.Error(w, "Kind is required", http.StatusBadRequest)
		return
	}
	s.adminAccount(r).Inject(f)
	w.WriteHeader(http.StatusNoContent)
}

// decodeJSON decodes the request body into v, answering 400 on failure.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}
