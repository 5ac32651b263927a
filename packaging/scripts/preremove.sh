#!/bin/sh
# Before a removal (not an upgrade): stop and disable the service. (Arguments: deb `remove`,
# rpm 0 when the last version goes.)
set -e
[ -d /run/systemd/system ] || exit 0
case "$1" in
remove|0) systemctl disable --now coredns-vpce.service || true ;;
esac
