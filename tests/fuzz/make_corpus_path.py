#!/usr/bin/env python3
"""Write the seed corpus of tests/fuzz/fuzz_path (the input format is in
fuzz_path.c's header): modes 1-3 aimed at every session leg's RTP and RTCP
port, and raw frames (mode 0). With the built target as a second argument,
it is also run once over the SRTP, latching and mixed seeds with
FUZZ_PATH_RAW set, which adds the mode 0 input of the frames they built
(SRTP protected with the real keys included).

Run: python3 tests/fuzz/make_corpus_path.py tests/fuzz/corpus_path \
         [build-fuzz/tests/fuzz/fuzz_path]"""
import os
import struct
import subprocess
import sys
import tempfile

# fuzz_path.c's targets, in the order setup() makes them: each session's
# leg 0 RTP port (+ its RTCP port unless rtcp-mux), then leg 1's; then the
# places with no session.
T = {}
_order = [  # (session, leg, rtcp-mux)
    (0, 0, 0), (0, 1, 0), (1, 0, 1), (1, 1, 0), (2, 0, 0), (2, 1, 1), (3, 0, 0), (3, 1, 1),
    (4, 0, 0), (4, 1, 0), (5, 0, 1), (5, 1, 0), (6, 0, 1), (6, 1, 0), (7, 0, 0), (7, 1, 0),
    (8, 0, 1), (8, 1, 0), (9, 0, 0), (9, 1, 1)]
_i = 0
for s, l, mux in _order:
    T[(s, l, 'rtp')] = _i
    _i += 1
    if not mux:
        T[(s, l, 'rtcp')] = _i
        _i += 1
T['free_port'], T['free_v6vlan'], T['below'], T['above'], T['not_local'] = range(_i, _i + 5)
SRTP_LEGS = [(2, 0), (3, 1), (4, 0), (4, 1), (5, 0), (5, 1), (8, 0), (9, 0), (9, 1)]
MUX = {(s, l) for s, l, m in _order if m}

# descriptor flags
SPOOF, SPORT, ROUTER_MAC, WRONG_PORT, CSUM_ZERO, CSUM_BAD, HEADROOM, SHARED = (
    1, 2, 4, 8, 16, 32, 64, 128)
FLIP, CUT, OLD_KEY = 1, 2, 0x20


def rtp(ssrc=0x1234, seq=1, ts=160, n=40, pt=0, cc=0, ext=-1, pad=0, marker=0):
    b = bytes([0x80 | (0x20 if pad else 0) | (0x10 if ext >= 0 else 0) | cc,
               (0x80 if marker else 0) | pt]) + struct.pack(">HII", seq, ts, ssrc)
    b += bytes(range(0xc0, 0xc0 + 4 * cc))
    if ext >= 0:
        b += struct.pack(">HH", 0xbede, ext) + b"\xe5" * (4 * ext)
    b += bytes((seq * 7 + k * 13 + 1) & 0xff for k in range(n))
    if pad:
        b += b"\0" * (pad - 1) + bytes([pad])
    return b


def rtcp(ssrc=0x1234, body=20, pt=200):
    n = 8 + body
    return struct.pack(">BBHI", 0x80, pt, n // 4 - 1, ssrc) + bytes(
        (k * 31) & 0xff for k in range(body))


STUN = bytes.fromhex("000100082112a442") + b"\x01" * 12 + b"\x80\x22\x00\x04test"
DTLS = bytes.fromhex("16fefd0000000000000000") + b"\x00\x10" + b"\x22" * 16
ZRTP = bytes.fromhex("1000") + b"\x00\x01ZRTP" + b"\x33" * 20


def desc(target, flags=0, var=0, mut=0, pos=0, idx=0):
    return bytes([target, flags, var, mut, pos, idx])


def rec(payload, new_burst=False, port=0):
    assert len(payload) < 0x800
    return struct.pack(">H", (0x8000 if new_burst else 0) | (port << 11) | len(payload)) + payload


def inp(mode, recs, t0=0, step=0, opts=0):
    return bytes([mode | opts, t0, step]) + b"".join(recs)


def pkt(target, msg, new_burst=False, **kw):
    return rec(desc(target, **kw) + msg, new_burst)


def kind_target(s, l, kind):
    """RTCP goes to the RTCP port, or the RTP port of an rtcp-mux leg."""
    if kind == 'rtcp' and (s, l) not in MUX:
        return T[(s, l, 'rtcp')]
    return T[(s, l, 'rtp')]


def seeds():
    out = {}
    # mode 1: every port, RTP and RTCP, plain
    for s in range(10):
        out[f"wrap_s{s}"] = inp(1, [pkt(T[(s, l, 'rtp')], rtp(0x100 + s, 10 + k))
                                    for l in range(2) for k in range(2)] +
                                [pkt(kind_target(s, l, 'rtcp'), rtcp(0x200 + s))
                                 for l in range(2)])
    for name in ('free_port', 'free_v6vlan', 'below', 'above', 'not_local'):
        out[f"wrap_{name}"] = inp(1, [pkt(T[name], rtp())])
    # RTP on an RTCP port, RTCP on the RTP port of a leg without mux
    out["wrap_wrong_port"] = inp(1, [pkt(T[(0, 0, 'rtcp')], rtp()),
                                     pkt(T[(0, 0, 'rtp')], rtcp())])
    # STUN, DTLS, ZRTP: punted on keyed and plain legs, forwarded on passthrough
    out["wrap_stun_dtls"] = inp(1, [pkt(T[(2, 0, 'rtp')], STUN), pkt(T[(6, 0, 'rtp')], STUN),
                                    pkt(T[(6, 1, 'rtcp')], DTLS), pkt(T[(6, 1, 'rtp')], ZRTP),
                                    pkt(T[(0, 0, 'rtp')], DTLS)])
    out["wrap_not_media"] = inp(1, [pkt(T[(0, 0, 'rtp')], b"\x45hello"),
                                    pkt(T[(0, 0, 'rtp')], b""),
                                    pkt(T[(0, 0, 'rtp')], rtp(n=0)[:11]),
                                    pkt(T[(0, 0, 'rtcp')], rtcp(body=20)[:16]),
                                    pkt(T[(0, 0, 'rtp')], rtp(ext=40, n=4))])
    # the descriptor's flags, one each, on a plain leg and a bridged one
    for f, name in ((SPOOF, 'spoof'), (SPORT, 'sport'), (ROUTER_MAC, 'router_mac'),
                    (WRONG_PORT, 'wrong_dpdk_port'), (CSUM_ZERO, 'csum_zero'),
                    (CSUM_BAD, 'csum_bad'), (HEADROOM, 'headroom'), (SHARED, 'shared')):
        out[f"wrap_flag_{name}"] = inp(1, [pkt(T[(0, 0, 'rtp')], rtp(), flags=f, var=5),
                                           pkt(T[(1, 1, 'rtp')], rtp(), flags=f, var=200),
                                           pkt(T[(3, 0, 'rtp')], rtp(), flags=f, var=0)])
    # latching legs: plain (S3 leg 0, S7 leg 0, S6 leg 1), then traffic back
    out["latch_plain"] = inp(1, [pkt(T[(3, 0, 'rtp')], rtp(1, 1), flags=SPOOF | SPORT, var=0),
                                 pkt(T[(3, 1, 'rtp')], rtp(2, 1), new_burst=True),
                                 pkt(T[(3, 1, 'rtp')], rtcp(2)),
                                 pkt(T[(7, 0, 'rtp')], rtp(3, 1), flags=ROUTER_MAC),
                                 pkt(T[(7, 1, 'rtp')], rtp(4, 1)),
                                 pkt(T[(6, 1, 'rtp')], rtp(5, 1), flags=SPOOF),
                                 pkt(T[(6, 0, 'rtp')], rtp(6, 1))], step=4)
    # big messages: no tailroom for the tag on the way out, no headroom
    out["wrap_big"] = inp(1, [pkt(T[(3, 0, 'rtp')], rtp(n=1860)),
                              pkt(T[(3, 0, 'rtp')], rtp(n=60), flags=HEADROOM, var=10),
                              pkt(T[(1, 1, 'rtp')], rtp(n=40), flags=HEADROOM, var=20)])

    # mode 2: every SRTP leg, RTP and RTCP, with the real key
    for s, l in SRTP_LEGS:
        back = (s, 1 - l)
        out[f"srtp_s{s}l{l}"] = inp(2, [
            pkt(T[(s, l, 'rtp')], rtp(0x300 + s, 100)),
            pkt(T[(s, l, 'rtp')], rtp(0x300 + s, 101, cc=2)),
            pkt(T[(s, l, 'rtp')], rtp(0x300 + s, 102, ext=2, pad=4)),
            pkt(kind_target(s, l, 'rtcp'), rtcp(0x300 + s), idx=1),
            pkt(T[back + ('rtp',)], rtp(0x400 + s, 7), new_burst=True),
            pkt(kind_target(*back, 'rtcp'), rtcp(0x400 + s))], step=2)
        # replay, old key (re-keyed legs), mutations, ROC
        out[f"srtp_s{s}l{l}_hostile"] = inp(2, [
            pkt(T[(s, l, 'rtp')], rtp(0x500, 5)),
            pkt(T[(s, l, 'rtp')], rtp(0x500, 5)),
            pkt(T[(s, l, 'rtp')], rtp(0x500, 6), mut=OLD_KEY),
            pkt(T[(s, l, 'rtp')], rtp(0x500, 7), mut=FLIP | (3 << 2), pos=20),
            pkt(T[(s, l, 'rtp')], rtp(0x500, 8), mut=CUT, pos=3),
            pkt(T[(s, l, 'rtp')], rtp(0x501, 9), mut=0x40),
            pkt(kind_target(s, l, 'rtcp'), rtcp(0x500), mut=OLD_KEY, idx=2),
            pkt(kind_target(s, l, 'rtcp'), rtcp(0x500), mut=FLIP, pos=12, idx=3),
            pkt(kind_target(s, l, 'rtcp'), rtcp(0x500), idx=3)])
    # latching after authentication: S2 leg 0 (moved remote), S8 leg 0 (none)
    for s in (2, 8):
        out[f"srtp_latch_s{s}"] = inp(2, [
            pkt(T[(s, 1, 'rtp')], rtp(9, 1)),
            pkt(T[(s, 0, 'rtp')], rtp(8, 1), mut=FLIP, pos=30, flags=SPOOF),
            pkt(T[(s, 1, 'rtp')], rtp(9, 2), new_burst=True),
            pkt(T[(s, 0, 'rtp')], rtp(8, 2), flags=SPOOF | ROUTER_MAC),
            pkt(T[(s, 1, 'rtp')], rtp(9, 3), new_burst=True),
            pkt(T[(s, 1, 'rtp')], rtcp(9))], step=3)
    # SSRC slots: five streams, then time for eviction, then a sixth
    out["srtp_ssrc_evict"] = inp(2, [pkt(T[(4, 0, 'rtp')], rtp(0x600 + k, 1)) for k in range(5)] +
                                 [pkt(T[(4, 0, 'rtp')], rtp(0x700, 1), new_burst=True)] +
                                 [pkt(T[(4, 0, 'rtp')], rtp(0x600, 2))], step=200)
    # a sequence number wrap in a new stream's first burst (the sender's ROC
    # goes to 1), and the next burst
    out["srtp_seq_wrap"] = inp(2, [pkt(T[(5, 0, 'rtp')], rtp(0x800, 65534 + k & 0xffff),
                                       mut=0x40 if k >= 2 else 0) for k in range(4)] +
                               [pkt(T[(5, 0, 'rtp')], rtp(0x800, 3), mut=0x40,
                                    new_burst=True)], step=1)
    out["srtp_seq_wrap_hmac"] = inp(2, [pkt(T[(2, 0, 'rtp')], rtp(0x801, 65535 + k & 0xffff),
                                            mut=0x40 if k >= 1 else 0) for k in range(3)])
    # a sender a few wraps in (ROC 1..3)
    out["srtp_roc"] = inp(2, [pkt(T[(2, 0, 'rtp')], rtp(0x900, 10), mut=0x40),
                              pkt(T[(2, 0, 'rtp')], rtp(0x900, 11), mut=0x80),
                              pkt(T[(9, 0, 'rtp')], rtp(0x901, 12), mut=0xc0)])

    # mode 3: mixed records
    out["mixed"] = inp(3, [rec(b"\x01" + desc(T[(0, 0, 'rtp')]) + rtp()),
                           rec(b"\x02" + desc(T[(4, 0, 'rtp')]) + rtp(0x11, 3)),
                           rec(b"\x00" + bytes(20))], t0=7)
    # options: UDP checksums not verified, or verified by the "NIC"
    out["opt_no_verify"] = inp(1, [pkt(T[(0, 0, 'rtp')], rtp(), flags=CSUM_BAD),
                                   pkt(T[(1, 1, 'rtp')], rtp())], opts=4)
    out["opt_nic_csum"] = inp(1, [pkt(T[(0, 0, 'rtp')], rtp(), flags=CSUM_BAD),
                                  pkt(T[(2, 0, 'rtp')], rtp())], opts=8)

    # mode 0: what is not media, below UDP
    eth = bytes.fromhex("0200000000 0a".replace(" ", "")) + bytes.fromhex("0e1122334455")
    arp = eth + b"\x08\x06" + bytes.fromhex("0001080006040001") + b"\x0e\x11\x22\x33\x44\x55" + \
        bytes([198, 51, 100, 2]) + bytes(6) + bytes([192, 0, 2, 10])
    icmp = eth + b"\x08\x00" + bytes.fromhex("45000054000040004001") + b"\0\0" + \
        bytes([198, 51, 100, 2, 192, 0, 2, 10]) + b"\x08" + bytes(63)
    v6_nd = eth + b"\x86\xdd" + bytes.fromhex("6000000000203aff") + bytes(32) + bytes(32)
    qinq = eth + b"\x81\x00\x00\x64\x81\x00\x00\x01\x08\x00" + bytes(30)
    out["raw_control"] = inp(0, [rec(arp), rec(icmp), rec(v6_nd), rec(qinq), rec(eth[:10]),
                                 rec(eth + b"\x88\xcc" + bytes(40))])
    return out


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    if len(sys.argv) > 2:
        # SRTP with the real keys, latching, mixed: what mode 0 cannot
        # make up by itself
        files = sorted(os.path.join(d, n) for n in os.listdir(d)
                       if n.startswith(("srtp_", "latch_", "mixed", "wrap_stun")))
        env = dict(os.environ, FUZZ_PATH_RAW=os.path.abspath(d))
        subprocess.run([sys.argv[2]] + files, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
