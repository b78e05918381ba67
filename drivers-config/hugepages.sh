#!/usr/bin/env bash
# hugepages.sh: reserve 2 MiB hugepages and mount hugetlbfs for DPDK.
#   hugepages.sh N        reserve N pages (per NUMA node where there are
#                         several), mount /dev/hugepages if it is not
#   hugepages.sh 0        give them back
#   hugepages.sh status   show what is reserved and free
# Idempotent: running it twice with the same N changes nothing.
set -eu
n=${1:-status}
nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null || true)
show() {
	grep -E 'HugePages_(Total|Free)|Hugepagesize' /proc/meminfo
	mount | grep -E 'hugetlbfs' || echo "hugetlbfs: not mounted"
}
if [ "$n" = status ]; then show; exit 0; fi
case $n in *[!0-9]*) echo "usage: $0 N|0|status" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }
if [ -n "$nodes" ]; then
	for d in $nodes; do echo "$n" >"$d/hugepages/hugepages-2048kB/nr_hugepages"; done
else
	echo "$n" >/proc/sys/vm/nr_hugepages
fi
if [ "$n" != 0 ] && ! mount | grep -q ' /dev/hugepages type hugetlbfs'; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages
fi
show
