# tests/deps.sh: install what srtpfwd builds, tests and runs with, from
# Debian 12's packages, only where missing. Sourced by tests/run.sh and
# bench/demo.sh; safe to run any number of times. Needs root for apt-get.
SRTPFWD_PACKAGES="gcc libc6-dev pkg-config meson ninja-build python3
libdpdk-dev dpdk libipsec-mb-dev libsrtp2-dev libyaml-dev libssl-dev openssl
iproute2 iputils-ping ethtool libpcap-dev clang libclang-rt-14-dev"

srtpfwd_deps() {
	local missing=""
	for p in $SRTPFWD_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "deps: installing:$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "deps: run as root (apt-get needs it), or install:$missing" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null &&
		apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ echo "deps: apt-get install failed" >&2; return 1; }
}
