#!/usr/bin/env bash
# bind.sh: hand a NIC to DPDK (vfio-pci) and give it back.
#   bind.sh bind PCI [DRIVER]   remember PCI's kernel driver, bind to DRIVER
#                               (default vfio-pci)
#   bind.sh unbind PCI          rebind the remembered kernel driver
#   bind.sh status              dpdk-devbind.py --status
# State is kept in /var/lib/srtpfwd/bind/<PCI>, so unbind restores exactly
# what was there. Both are idempotent. Not for mlx5 (bifurcated: no bind).
set -eu
state=/var/lib/srtpfwd/bind
devbind=$(command -v dpdk-devbind.py || command -v dpdk-devbind || true)
[ -n "$devbind" ] || { echo "$0: dpdk-devbind.py not found (apt-get install dpdk)" >&2; exit 1; }
cmd=${1:-status}
case $cmd in
status) exec "$devbind" --status-dev net ;;
bind | unbind) ;;
*) echo "usage: $0 bind PCI [DRIVER] | unbind PCI | status" >&2; exit 2 ;;
esac
pci=${2:?"usage: $0 $cmd PCI"}
[ -e "/sys/bus/pci/devices/$pci" ] || { echo "$0: no PCI device $pci" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }
current=$(basename "$(readlink "/sys/bus/pci/devices/$pci/driver" 2>/dev/null)" 2>/dev/null || echo none)
mkdir -p "$state"
if [ "$cmd" = bind ]; then
	drv=${3:-vfio-pci}
	if [ "$current" = "$drv" ]; then echo "$pci: already on $drv"; exit 0; fi
	if [ "$current" = mlx5_core ]; then echo "$0: $pci is mlx5: bifurcated, do not bind" >&2; exit 1; fi
	[ -f "$state/$pci" ] || echo "$current" >"$state/$pci"
	modprobe "$drv" 2>/dev/null || true
	ip -o link | awk -F': ' '{print $2}' | while read -r ifc; do
		if [ "$(basename "$(readlink "/sys/class/net/$ifc/device" 2>/dev/null)" 2>/dev/null)" = "$pci" ]; then
			ip link set "$ifc" down
		fi
	done
	"$devbind" -b "$drv" "$pci"
	echo "$pci: $current -> $drv (kernel driver remembered in $state/$pci)"
else
	[ -f "$state/$pci" ] || { echo "$pci: nothing remembered; on $current"; exit 0; }
	orig=$(cat "$state/$pci")
	if [ "$orig" = none ]; then "$devbind" -u "$pci"; else "$devbind" -b "$orig" "$pci"; fi
	rm -f "$state/$pci"
	echo "$pci: $current -> $orig"
fi
