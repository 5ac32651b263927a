#!/bin/sh
# After an install or upgrade: systemd learns of the unit; an upgrade restarts a running service.
# The first install starts nothing: the Corefile may want a region or an account first, then
# `systemctl enable --now coredns-vpce`. (Arguments: deb `configure [old-version]`, rpm the
# number of versions installed, 2 on an upgrade.)
set -e
[ -d /run/systemd/system ] || exit 0
systemctl daemon-reload || true
case "$1:$2" in
configure:?*|2:*) systemctl try-restart coredns-vpce.service || true ;;
esac
