#!/usr/bin/env bash
# `make demo`: the EC2 fake on 127.0.0.1:4566, seeded with the example snapshot, and coredns in
# live mode against it on 127.0.0.1:1053. Static demo credentials: the fake checks only that
# requests are signed.
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

./ec2fake -listen 127.0.0.1:4566 -state example/snapshot.json &
fake=$!
trap 'kill $fake 2>/dev/null' EXIT

cat <<'HELP'
In another terminal, watch an endpoint appear within one refresh (5s):

  dig @127.0.0.1 -p 1053 +short logs.ap-northeast-1.amazonaws.com     # public answer (forwarded)
  curl -s -X POST http://127.0.0.1:4566/_fake/endpoints -d '{
    "VpcEndpointId": "vpce-0demo000000000001", "VpcEndpointType": "Interface", "State": "available",
    "VpcId": "vpc-0c5f4e3d2b1a09876", "PrivateDnsEnabled": true, "NetworkInterfaceIds": ["eni-0demo000000000001"],
    "DnsEntries": [{"DnsName": "vpce-0demo000000000001-abcd1234.logs.ap-northeast-1.vpce.amazonaws.com"},
                   {"DnsName": "logs.ap-northeast-1.amazonaws.com"}],
    "NetworkInterfaces": [{"NetworkInterfaceId": "eni-0demo000000000001", "AvailabilityZone": "ap-northeast-1a",
                           "PrivateIpAddress": "172.20.130.77", "InterfaceType": "vpc_endpoint"}]}'
  dig @127.0.0.1 -p 1053 +short logs.ap-northeast-1.amazonaws.com     # 172.20.130.77
  curl -s -X DELETE http://127.0.0.1:4566/_fake/endpoints/vpce-0demo000000000001

HELP
./coredns -conf example/Corefile.demo
