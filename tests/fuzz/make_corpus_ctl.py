#!/usr/bin/env python3
"""Write the seed corpus of tests/fuzz/fuzz_ctl: conversations (messages
back to back, as a connection carries them) built from control/proto.h's
layout. Run: python3 tests/fuzz/make_corpus_ctl.py tests/fuzz/corpus_ctl"""
import os
import struct
import sys

A = dict(VERSION_MIN=1, VERSION_MAX=2, NAME=4, SESSION_ID=0x20, SLOT=0x21, TIMEOUT_MS=0x22,
         LEG=0x23, LEG_INDEX=0x24, LOCAL_ADDR=0x25, LOCAL_PORT=0x26, REMOTE_ADDR=0x27,
         REMOTE_PORT=0x28, LEG_FLAGS=0x29, DSCP=0x2a, KEY_IN=0x2b, KEY_OUT=0x2c, SUITE=0x2d,
         MASTER_KEY=0x2e, MASTER_SALT=0x2f, MKI=0x30, END_OVERLAP=0x31, CURSOR=0x40,
         LIMIT=0x41, EVENT_MASK=0x50)
M = dict(HELLO=1, CREATE=2, UPDATE=3, DELETE=4, GET=5, LIST=6, STATS=7, SUBSCRIBE=8)


def attr(name, val):
    b = struct.pack(">HH", A[name], len(val)) + val
    return b + b"\0" * (-len(val) % 4)


def u8(n, v): return attr(n, bytes([v]))
def u16(n, v): return attr(n, struct.pack(">H", v))
def u32(n, v): return attr(n, struct.pack(">I", v))
def u64(n, v): return attr(n, struct.pack(">Q", v))


def msg(t, rid, *attrs):
    body = b"".join(attrs)
    return struct.pack(">BBHIIHH", 1, M[t], 0, 16 + len(body), rid, 0, 0) + body


def key(which, suite=1, klen=16, slen=14, mki=None, fill=0xa5):
    a = [u8("SUITE", suite), attr("MASTER_KEY", bytes([fill]) * klen),
         attr("MASTER_SALT", bytes([fill ^ 0xff]) * slen)]
    if mki:
        a.append(attr("MKI", mki))
    return attr(which, b"".join(a))


def leg(i, flags=0, ip=b"\xc6\x33\x64\x01", port=4000, keys=(), addr=0, local=None, dscp=None):
    a = [u8("LEG_INDEX", i), u8("LOCAL_ADDR", addr), attr("REMOTE_ADDR", ip),
         u16("REMOTE_PORT", port), u32("LEG_FLAGS", flags)]
    if local is not None:
        a.append(u16("LOCAL_PORT", local))
    if dscp is not None:
        a.append(u8("DSCP", dscp))
    return attr("LEG", b"".join(a + list(keys)))


hello = msg("HELLO", 1, u8("VERSION_MIN", 1), u8("VERSION_MAX", 1), attr("NAME", b"fuzz"))
srtp = (key("KEY_IN"), key("KEY_OUT", fill=0x5a))
gcm = (key("KEY_IN", 5, 16, 12), key("KEY_OUT", 6, 32, 12, fill=0x5a))
v6 = b"\x20\x01" + b"\0" * 13 + b"\x02"
create = msg("CREATE", 2, u64("SESSION_ID", 7), u32("TIMEOUT_MS", 30000),
             leg(0, 4, keys=srtp), leg(1, 1, port=5000))
create_gcm_v6 = msg("CREATE", 3, u64("SESSION_ID", 8),
                    leg(0, 4 | 1, keys=gcm, local=20010, dscp=46),
                    leg(1, 2, ip=v6, port=0, addr=1))
create_mki = msg("CREATE", 4, u64("SESSION_ID", 9),
                 leg(0, 4, keys=(key("KEY_IN", 3, 32, 14, b"\x01\x02"),
                                 key("KEY_OUT", 4, 32, 14, fill=0x5a))),
                 leg(1, 8, port=6000))
update = msg("UPDATE", 5, u32("SLOT", 1),
             attr("LEG", u8("LEG_INDEX", 0) + key("KEY_IN", fill=0xa5) +
                  attr("REMOTE_ADDR", b"\xc6\x33\x64\x09") + u16("REMOTE_PORT", 4100)))
end = msg("UPDATE", 6, u32("SLOT", 1), attr("LEG", u8("LEG_INDEX", 0) + attr("END_OVERLAP", b"")))
get = msg("GET", 7, u32("SLOT", 1))
lst = msg("LIST", 8, u32("CURSOR", 1), u32("LIMIT", 2))
stats = msg("STATS", 9)
stats1 = msg("STATS", 10, u32("SLOT", 1))
sub = msg("SUBSCRIBE", 11, u32("EVENT_MASK", 0x1e))
delete = msg("DELETE", 12, u32("SLOT", 1))

seeds = {
    "hello_create_get_delete": hello + create + get + delete,
    "create_update_end": create + update + end + get,
    "create3_list_stats": create + create_gcm_v6 + create_mki + lst + stats + stats1,
    "subscribe_delete_twice": sub + create + delete + delete,
    "full_table": hello + create * 9 + lst,
    "before_hello": get + hello + get,
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(data)
