#!/usr/bin/env bash
# netns-lab.sh: the lab af_packet.yaml runs in, with no NIC.
#
#   ns sfA (leg 0 peer)          root ns (srtpfwd)          ns sfB (leg 1 peer)
#   10.201.0.2, fd01::2  vethA0 ==== veth0   veth1 ==== vethB0  10.202.0.2, fd02::2
#
#   netns-lab.sh up      create (idempotent)
#   netns-lab.sh down    remove everything it created
#   netns-lab.sh status
# srtpfwd owns veth0/veth1 through net_af_packet; their kernel side carries
# no address. The peers' tx checksum offload is off: a veth otherwise sends
# UDP with CHECKSUM_PARTIAL, which a real wire never carries.
set -eu
cmd=${1:-status}
[ "$(id -u)" = 0 ] || [ "$cmd" = status ] || { echo "$0: needs root" >&2; exit 1; }
up() {
	for s in A B; do
		i=$([ $s = A ] && echo 0 || echo 1)
		n=$([ $s = A ] && echo 1 || echo 2)
		ip netns list | grep -qw "sf$s" || ip netns add "sf$s"
		if ! ip link show "veth$i" >/dev/null 2>&1; then
			ip link add "veth$i" type veth peer name "veth${s}0"
			ip link set "veth${s}0" netns "sf$s"
		fi
		ip link set "veth$i" up
		ethtool -K "veth$i" tx off >/dev/null 2>&1 || true
		ip -n "sf$s" link set lo up
		ip -n "sf$s" link set "veth${s}0" up
		ip netns exec "sf$s" ethtool -K "veth${s}0" tx off >/dev/null 2>&1 || true
		ip -n "sf$s" addr replace "10.20$n.0.2/24" dev "veth${s}0"
		ip -n "sf$s" addr replace "fd0$n::2/64" dev "veth${s}0" nodad
	done
	echo "lab up: sfA 10.201.0.2 fd01::2 via veth0, sfB 10.202.0.2 fd02::2 via veth1"
}
down() {
	for s in A B; do ip netns del "sf$s" 2>/dev/null || true; done
	for i in 0 1; do ip link del "veth$i" 2>/dev/null || true; done
	echo "lab down"
}
case $cmd in
up) up ;;
down) down ;;
status)
	ip netns list | grep -E '^sf[AB]' || echo "no lab namespaces"
	ip -br link show type veth 2>/dev/null | grep -E '^veth[01]' || true
	;;
*) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
