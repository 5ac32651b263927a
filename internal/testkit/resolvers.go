package testkit

import (
	"fmt"
	"net"
)

// Nowhere is a loopback port where nothing listens: where the resolvers of NamedConf and
// UnboundConf send what they are not told to send elsewhere, so that nothing leaves the
// machine.
const Nowhere = "127.0.0.1:9"

// NamedConf is a named.conf for BIND recursing for 127.0.0.1 on 127.0.0.1:port, its files in
// dir, without DNSSEC validation (no trust anchor, no root priming), forwarding only to
// forwarder (an address and port); options go into its options block, clauses after it.
func NamedConf(dir string, port int, forwarder, options, clauses string) string {
	host, fport, _ := net.SplitHostPort(forwarder)
	return fmt.Sprintf(`options {
    directory "%s";
    pid-file "%s/named.pid";
    session-keyfile "%s/session.key";
    listen-on port %d { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion yes;
    allow-query { 127.0.0.1; };
    allow-recursion { 127.0.0.1; };
    dnssec-validation no;
    forwarders { %s port %s; };
    forward only;
    notify no;
%s
};
controls { };

%s
`, dir, dir, dir, port, host, fport, options, clauses)
}

// UnboundConf is an unbound.conf for Unbound on 127.0.0.1:port, one thread, in the
// foreground, its files in dir; options go into its server clause, clauses (forward zones,
// rpz) after it; names they do not forward go Nowhere.
func UnboundConf(dir string, port int, options, clauses string) string {
	host, nport, _ := net.SplitHostPort(Nowhere)
	return fmt.Sprintf(`server:
    interface: 127.0.0.1
    port: %d
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "%s"
    pidfile: "%s/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
%s
remote-control:
    control-enable: no

%s

# Nothing else leaves the loopback interface.
forward-zone:
    name: "."
    forward-addr: %s@%s
`, port, dir, dir, options, clauses, host, nport)
}
