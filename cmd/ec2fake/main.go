// Command ec2fake serves the fake EC2 API of package ec2fake, for trying the
// plugin by hand without an AWS account.
//
//	go run ./cmd/ec2fake -listen 127.0.0.1:4566 -state state.json
//
// The state file is a JSON object with any of the keys VpcEndpoints,
// NetworkInterfaces, ServiceDetails and Subnets, each holding AWS CLI style
// JSON (e.g. the output of aws ec2 describe-vpc-endpoints). The admin API is
// served under /_fake/ on the same address; see ec2fake.Server.AdminHandler.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:4566", "address to serve on")
	stateFile := flag.String("state", "", "JSON file with the initial state (optional)")
	flag.Parse()

	s := ec2fake.New()
	if *stateFile != "" {
		st, err := ec2fake.ReadState(*stateFile)
		if err != nil {
			log.Fatal(err)
		}
		s.Load(st.VpcEndpoints, st.NetworkInterfaces, st.ServiceDetails, st.Subnets)
		for _, as := range st.VpcEndpointAssociations {
			s.PutAssociation(as)
		}
	}
	// Only what identifies the request: parameters may be long and headers
	// carry credentials.
	s.OnRequest(func(r ec2fake.Request) {
		log.Printf("%s page=%d status=%d", r.Action, r.Page, r.Status)
	})
	if err := s.StartAt(*listen); err != nil {
		log.Fatal(err)
	}
	log.Printf("fake EC2 API on %s (admin API under %s/_fake/)", s.URL(), s.URL())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	s.Close()
}
