#!/usr/bin/env bash
# plot_sweep.sh: bench/fwd_bench's forwarding sweep as a PNG: Mpps per
# worker core by action and packet size, one bar per session count, one
# panel per IP version (4, 6, v4<->v6) and worker count (1, 2).
#
#   bench/plot_sweep.sh --run [BUILD_DIR]   run BUILD_DIR/bench/fwd_bench (build),
#                                           save its output to --data, then plot
#   bench/plot_sweep.sh                     plot a saved output (--data)
#   options: --data FILE (docs/fwd_sweep.txt)  --out PNG (docs/fwd_sweep.png)
#
# Reads only fwd_bench's `fwd action=... ip=... sessions=... size=...
# workers=... mpps_per_core=...` lines. Needs gnuplot: installed with
# apt-get (gnuplot-nox) when missing and run as root.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
data=$here/docs/fwd_sweep.txt
out=$here/docs/fwd_sweep.png
run=
build=$here/build
while [ $# -gt 0 ]; do
	case $1 in
	--run)
		run=1
		if [ $# -gt 1 ] && [ "${2#--}" = "$2" ]; then build=$2; shift; fi
		;;
	--data) data=$2; shift ;;
	--out) out=$2; shift ;;
	-h | --help) sed -n '2,14p' "$0"; exit 0 ;;
	*) echo "plot_sweep.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

if [ -n "$run" ]; then
	[ -x "$build/bench/fwd_bench" ] || { echo "plot_sweep.sh: no $build/bench/fwd_bench (ninja -C $build)" >&2; exit 2; }
	{
		echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs: $build/bench/fwd_bench"
		"$build/bench/fwd_bench"
	} >"$data.tmp" 2>&1 || { cat "$data.tmp" >&2; rm -f "$data.tmp"; exit 1; }
	mv "$data.tmp" "$data"
fi
[ -r "$data" ] || { echo "plot_sweep.sh: cannot read $data" >&2; exit 2; }
grep -q '^fwd action=' "$data" || { echo "plot_sweep.sh: no 'fwd action=' line in $data" >&2; exit 2; }

if ! command -v gnuplot >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get install -y gnuplot-nox >/dev/null
	else
		echo "plot_sweep.sh: needs gnuplot (apt-get install gnuplot-nox)" >&2
		exit 2
	fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One data block per (workers, ip): a row per action and size, a column per
# session count; "-" where fwd_bench has no such case.
awk -v dir="$tmp" '
/^fwd action=/ {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	key = v["workers"] " " v["ip"]
	row = v["action"] " " v["size"]
	mpps[key, row, v["sessions"]] = v["mpps_per_core"]
	if (!((key, row) in seen)) { seen[key, row] = 1; rows[key] = rows[key] " " row }
	if (!(key in keys)) { keys[key] = 1; order[++nk] = key }
	n[key]++
}
END {
	for (k = 1; k <= nk; k++) {
		key = order[k]
		split(key, wi, " ")
		f = dir "/w" wi[1] "_ip" wi[2] ".dat"
		m = split(rows[key], r, " ")
		for (j = 1; j + 1 <= m; j += 2) {
			row = r[j] " " r[j + 1]
			printf "\"%s %s B\"", r[j], r[j + 1] > f
			split("1 1000 100000", sc, " ")
			for (c = 1; c <= 3; c++) {
				x = mpps[key, row, sc[c]]
				printf " %s", (x == "" ? "-" : x) > f
			}
			printf "\n" > f
		}
		close(f)
	}
}' "$data"

title=$(head -1 "$data" | sed 's/^# //; s/"//g')
cat >"$tmp/plot.gp" <<EOF
set terminal pngcairo size 1500,900 font "sans,10" noenhanced
set output "$out"
set datafile missing "-"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set ylabel "Mpps per worker core"
set xtics rotate by -30 scale 0
set key top right
set multiplot layout 2,3 title "srtpfwd fwd_bench: forwarding per worker core, AES_CM_128_HMAC_SHA1_80 where SRTP (ring ports, no NIC)\\n$title"
EOF
for w in 1 2; do
	for ip in 4 6 46; do
		f=$tmp/w${w}_ip$ip.dat
		name=$([ $ip = 46 ] && echo "IPv4 <-> IPv6" || echo "IPv$ip")
		if [ -s "$f" ]; then
			cat >>"$tmp/plot.gp" <<EOF
set title "$name, $w worker(s)"
plot "$f" using 2:xtic(1) title "1 session", "" using 3 title "1,000", "" using 4 title "100,000"
EOF
		else
			echo 'set multiplot next' >>"$tmp/plot.gp"
		fi
	done
done
echo 'unset multiplot' >>"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "plot_sweep.sh: $out from $data ($(grep -c '^fwd action=' "$data") cases)"
