#!/bin/sh
# After a removal: systemd forgets the unit; a purge (deb) also removes the state directory,
# the cache file of the vpce plugin.
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
if [ "$1" = purge ]; then
    rm -rf /var/lib/coredns-vpce /var/lib/private/coredns-vpce
fi
