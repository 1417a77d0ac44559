#!/bin/sh
# Run as: unshare -rn sh two-hosts.sh <gateway-cmd> <node-cmd>   — this user+net namespace is "the LAN".
# Two child namespaces ("hosts") joined by veth pairs on a bridge; everything dies with the processes.
set -e
ip link set lo up
ip link add br0 type bridge
ip link set br0 up
unshare -n sleep 60 & A=$!
unshare -n sleep 60 & B=$!
sleep 0.2
for h in A B; do
  eval pid=\$$h
  ip link add v$h type veth peer name p$h
  ip link set p$h master br0
  ip link set p$h up
  ip link set v$h netns $pid
done
nsenter -t $A -n sh -c 'ip link set lo up; ip link set vA name eth0; ip addr add 10.78.0.1/24 dev eth0; ip link set eth0 up'
nsenter -t $B -n sh -c 'ip link set lo up; ip link set vB name eth0; ip addr add 10.78.0.2/24 dev eth0; ip link set eth0 up'
echo READY >&2
MDNS_IF=10.78.0.1 nsenter -t $A -n sh -c "$1" &
G=$!
MDNS_IF=10.78.0.2 nsenter -t $B -n sh -c "$2"
kill $G 2>/dev/null || true
kill $A $B 2>/dev/null || true
