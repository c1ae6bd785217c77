#!/usr/bin/env python3
"""Write a corpus of hostile or broken ZIP archives for the extractor's tests.

Usage: gen-unsafe.py OUTDIR

Creates OUTDIR/<case>.zip for every case and OUTDIR/cases.json, a JSON list of
  {"name", "expect": "refuse"|"neutralise", "error" (refuse only), "must_not_exist", "note"}.
The harness extracts each archive with cwd = T/target; must_not_exist paths are relative
to T ("evil.txt" is outside the target, "target/x" inside). For "refuse" the extractor
must fail with a message containing "error"; for "neutralise" it must succeed.

Python stdlib only, deterministic (fixed timestamps, fixed data), no randomness.
Most archives are built byte by byte with struct, because zipfile cannot express them:
every raw entry has version made by 3<<8|20 (unix), version needed 20, DOS time
2020-01-01 00:00:00, external attributes st_mode << 16 (| 0x10 for directories),
identical fields in the local and central headers unless a case says otherwise, no
data descriptors (flag bit 3 never set), no extra fields, no zip64.
"""
import io
import json
import os
import struct
import sys
import zipfile
import zlib

SIG_LFH = 0x04034B50
SIG_CDH = 0x02014B50
SIG_EOCD = 0x06054B50
MADE_BY = 3 << 8 | 20          # unix, spec 2.0
NEEDED = 20
DOS_TIME = 0                   # 00:00:00
DOS_DATE = (2020 - 1980) << 9 | 1 << 5 | 1   # 2020-01-01
STORED, DEFLATED = 0, 8

S_IFREG, S_IFDIR, S_IFLNK = 0o100000, 0o040000, 0o120000
S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK = 0o020000, 0o060000, 0o010000, 0o140000

MIB_ZEROS = bytes(1 << 20)


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return c.compress(data) + c.flush()


KERNEL = deflate(MIB_ZEROS)    # ~1 KB of deflate that inflates to 1 MiB of zeros


class Entry:
    """One archive member. 'raw' is the bytes stored after the local header."""

    def __init__(self, name, content=b"", mode=S_IFREG | 0o644, method=STORED, flags=0,
                 raw=None, crc=None, usize=None, local_name=None, extra=b""):
        self.name = name.encode() if isinstance(name, str) else name
        self.local_name = self.name if local_name is None else (
            local_name.encode() if isinstance(local_name, str) else local_name)
        self.mode = mode
        self.method = method
        self.flags = flags
        self.extra = extra
        if raw is None:
            raw = deflate(content) if method == DEFLATED else content
        self.raw = raw
        self.crc = zlib.crc32(content) if crc is None else crc
        self.usize = len(content) if usize is None else usize

    def attrs(self):
        return (self.mode << 16) | (0x10 if (self.mode & 0o170000) == S_IFDIR else 0)

    def lfh(self, name=None):
        name = self.local_name if name is None else name
        return struct.pack("<IHHHHHIIIHH", SIG_LFH, NEEDED, self.flags, self.method,
                           DOS_TIME, DOS_DATE, self.crc, len(self.raw), self.usize,
                           len(name), len(self.extra)) + name + self.extra

    def cdh(self, offset):
        return struct.pack("<IHHHHHHIIIHHHHHII", SIG_CDH, MADE_BY, NEEDED, self.flags,
                           self.method, DOS_TIME, DOS_DATE, self.crc, len(self.raw),
                           self.usize, len(self.name), len(self.extra), 0, 0, 0,
                           self.attrs(), offset) + self.name + self.extra


def eocd(count, cd_size, cd_offset, comment=b"", comment_len=None):
    if comment_len is None:
        comment_len = len(comment)
    return struct.pack("<IHHHHIIH", SIG_EOCD, 0, 0, count, count, cd_size, cd_offset,
                       comment_len) + comment


def build(entries):
    """A plain archive: local headers + data in order, central directory, EOCD.
    Returns (bytes, offsets of the local headers, offset of the central directory)."""
    out = bytearray()
    offsets = []
    for e in entries:
        offsets.append(len(out))
        out += e.lfh() + e.raw
    cd_offset = len(out)
    cd = b"".join(e.cdh(o) for e, o in zip(entries, offsets))
    out += cd + eocd(len(entries), len(cd), cd_offset)
    return bytes(out), offsets, cd_offset


def simple(*entries):
    return build(list(entries))[0]


def symlink(name, target):
    return Entry(name, target.encode(), mode=S_IFLNK | 0o777)


def reg(name, content=b"pwned\n", mode=0o644, method=STORED):
    return Entry(name, content, mode=S_IFREG | mode, method=method)


# ---------------------------------------------------------------- the cases

def case_ok():
    """A well-formed control archive written by zipfile with unix modes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        def add(name, mode, data, method):
            zi = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            zi.create_system = 3
            zi.external_attr = (mode << 16) | (0x10 if name.endswith("/") else 0)
            zi.compress_type = method
            z.writestr(zi, data)
        add("dir/", S_IFDIR | 0o755, b"", zipfile.ZIP_STORED)
        add("dir/hello.txt", S_IFREG | 0o644, b"hello, world\n" * 20, zipfile.ZIP_DEFLATED)
        add("dir/run.sh", S_IFREG | 0o755, b"#!/bin/sh\necho hi\n", zipfile.ZIP_STORED)
        add("link", S_IFLNK | 0o777, b"dir/hello.txt", zipfile.ZIP_STORED)
    return buf.getvalue()


def overlap_same():
    """Many central entries (all named like the one local header) pointing at it."""
    e = Entry("bomb", MIB_ZEROS, method=DEFLATED, raw=KERNEL)
    out = e.lfh() + e.raw
    cd = e.cdh(0) * 200
    return out + cd + eocd(200, len(cd), len(out))


def overlap_quoted(n=100):
    """David Fifield's construction: distinct names and offsets, each local header and
    its name agree with the central directory, but each entry's deflate data starts with
    a non-compressed block that 'quotes' the next local header, so entry i's data spans
    every later entry and all share the one kernel. Entry i inflates to the n-1-i later
    local headers followed by 1 MiB of zeros; sizes and CRCs are all correct."""
    names = [b"bomb%03d" % i for i in range(n)]
    # Build backwards: data[i] = Q(len(lfh[i+1])) + lfh[i+1] + data[i+1]; data[n-1] = KERNEL.
    data = KERNEL
    prefix = b""                   # inflated output of the quoted local headers
    lfhs = [None] * n
    for i in range(n - 1, -1, -1):
        crc = zlib.crc32(MIB_ZEROS, zlib.crc32(prefix))
        e = Entry(names[i], method=DEFLATED, raw=data, crc=crc,
                  usize=len(prefix) + len(MIB_ZEROS))
        lfhs[i] = (e, e.lfh())
        if i:
            h = lfhs[i][1]
            data = b"\x00" + struct.pack("<HH", len(h), len(h) ^ 0xFFFF) + h + data
            prefix = h + prefix
    out = lfhs[0][1] + lfhs[0][0].raw
    offsets, off = [], 0
    for e, h in lfhs:
        offsets.append(off)
        off += len(h) + 5
    cd = b"".join(e.cdh(o) for (e, _), o in zip(lfhs, offsets))
    return out + cd + eocd(n, len(cd), len(out))


def truncated_archive():
    data, offsets, _ = build([reg("a.txt", b"first\n"),
                              reg("b.bin", bytes(range(256)) * 16)])
    cut = offsets[1] + 30 + len("b.bin") + 2048
    return data[:cut]


def truncated_cd():
    entries = [reg("a.txt", b"a\n"), reg("b.txt", b"b\n"), reg("c.txt", b"c\n")]
    data, offsets, cd_offset = build(entries)
    first = entries[0].cdh(offsets[0])
    full_size = sum(len(e.cdh(o)) for e, o in zip(entries, offsets))
    return data[:cd_offset] + first + eocd(3, full_size, cd_offset)


def cd_offset_beyond():
    data, _, cd_offset = build([reg("a.txt", b"a\n")])
    local = data[:cd_offset]
    cd = reg("a.txt", b"a\n").cdh(0)
    return local + cd + eocd(1, len(cd), len(local) + len(cd) + 22 + 4096)


def eocd_comment_overrun():
    data, _, cd_offset = build([reg("a.txt", b"a\n")])
    body = data[:-22]
    return body + eocd(1, len(body) - cd_offset, cd_offset, comment=b"abc", comment_len=100)


def aes_extra():
    # AE-x extra field 0x9901: version 2 (AE-2), vendor "AE", strength 3, actual method 8.
    return struct.pack("<HHH2sBH", 0x9901, 7, 2, b"AE", 3, 8)


CASES = [
    # name, expect, error, must_not_exist, note, bytes-builder
    ("ok", "neutralise", None, [],
     "control: dir/ (0755), dir/hello.txt (0644, deflate), dir/run.sh (0755), "
     "link -> dir/hello.txt; made by Python zipfile", case_ok),
    ("abs_path", "refuse", "absolute path", ["target/tmp"],
     "entry /tmp/cih-corpus-outside/abs.txt; must not be written there nor with the / "
     "stripped", lambda: simple(reg("/tmp/cih-corpus-outside/abs.txt"))),
    ("dotdot", "refuse", "outside of the target", ["evil.txt"],
     "entry ../evil.txt", lambda: simple(reg("../evil.txt"))),
    ("dotdot_nested", "refuse", "outside of the target", ["evil.txt"],
     "entry a/../../evil.txt", lambda: simple(reg("a/../../evil.txt"))),
    ("dotdot_inside", "neutralise", None, [],
     "entry a/../b.txt stays inside: extracts as target/b.txt (content 'inside\\n')",
     lambda: simple(reg("a/../b.txt", b"inside\n"))),
    ("nul_name", "refuse", "invalid name", ["target/evil"],
     "entry name 'evil\\0.txt' (name length 9 includes the NUL)",
     lambda: simple(reg(b"evil\x00.txt"))),
    ("empty_name", "refuse", "invalid name", [],
     "entry with a zero-length name", lambda: simple(reg(b""))),
    ("symlink_dotdot", "refuse", "through a symlink", ["evil.txt"],
     "symlink link -> ../ then regular link/evil.txt",
     lambda: simple(symlink("link", "../"), reg("link/evil.txt"))),
    ("symlink_abs", "refuse", "through a symlink", ["target/link/cih-corpus-evil.txt"],
     "symlink link -> /etc then regular link/cih-corpus-evil.txt (a failure would write "
     "/etc/cih-corpus-evil.txt)",
     lambda: simple(symlink("link", "/etc"), reg("link/cih-corpus-evil.txt"))),
    ("symlink_file_first", "refuse", "through a symlink", ["evil.txt"],
     "regular link/evil.txt first, then symlink link -> ../ (order must not matter)",
     lambda: simple(reg("link/evil.txt"), symlink("link", "../"))),
    ("symlink_nested", "refuse", "through a symlink", ["evil.txt"],
     "dir d/, symlink d/link -> ../.., regular d/link/evil.txt (any ancestor counts)",
     lambda: simple(Entry("d/", mode=S_IFDIR | 0o755), symlink("d/link", "../.."),
                    reg("d/link/evil.txt"))),
    ("symlink_alone", "neutralise", None, [],
     "symlink link -> /tmp/cih-corpus-outside only; the link is created, nothing written "
     "through it", lambda: simple(symlink("link", "/tmp/cih-corpus-outside"))),
    ("dup_file_symlink_file", "neutralise", None, ["evil.txt"],
     "x regular 'first\\n', x symlink -> ../evil.txt, x regular 'last\\n': the last wins, "
     "target/x is a regular file containing 'last\\n'",
     lambda: simple(reg("x", b"first\n"), symlink("x", "../evil.txt"), reg("x", b"last\n"))),
    ("dup_symlink_file", "neutralise", None, ["evil.txt"],
     "x symlink -> ../evil.txt, then x regular 'last\\n': the last wins, target/x is a "
     "regular file containing 'last\\n' (nothing written through the link)",
     lambda: simple(symlink("x", "../evil.txt"), reg("x", b"last\n"))),
    ("devices", "neutralise", None,
     ["target/dev0", "target/blk0", "target/fifo0", "target/sock0"],
     "char device dev0, block device blk0, fifo fifo0, socket sock0 (mode 0644, empty "
     "data) are skipped; regular.txt ('regular\\n') is extracted",
     lambda: simple(Entry("dev0", mode=S_IFCHR | 0o644), Entry("blk0", mode=S_IFBLK | 0o644),
                    Entry("fifo0", mode=S_IFIFO | 0o644), Entry("sock0", mode=S_IFSOCK | 0o644),
                    reg("regular.txt", b"regular\n"))),
    ("setuid", "neutralise", None, [],
     "regular files suid (04755), sgid (02755), sticky (01755): extracted as 0755 "
     "(before umask)",
     lambda: simple(reg("suid", b"suid\n", 0o4755), reg("sgid", b"sgid\n", 0o2755),
                    reg("sticky", b"sticky\n", 0o1755))),
    ("long_name", "refuse", "name too long", [],
     "5000-byte name made of 100-byte components (each < 256, total > PATH_MAX)",
     lambda: simple(reg(("d" * 99 + "/") * 49 + "f" * 100))),
    ("long_component", "refuse", "name too long", [],
     "name long/<256 x c>.txt: one component of 260 bytes",
     lambda: simple(reg("long/" + "c" * 256 + ".txt"))),
    ("overlap_same", "refuse", "overlap", [],
     "200 central entries, all named bomb, all at local header offset 0 (one deflate "
     "kernel of 1 MiB zeros): 200 MiB claimed", overlap_same),
    ("overlap_quoted", "refuse", "overlap", [],
     "Fifield quoted-overlap bomb: 100 entries bomb000..bomb099 at distinct offsets, "
     "names/sizes/CRCs consistent, data ranges overlap", overlap_quoted),
    ("bomb_size_lie", "refuse", "more data than", [],
     "bomb.txt declares 10 bytes (CRC of 10 zeros) but inflates to 1 MiB of zeros",
     lambda: simple(Entry("bomb.txt", MIB_ZEROS[:10], method=DEFLATED, raw=KERNEL))),
    ("size_short", "refuse", "size mismatch", [],
     "short.txt declares 1000 bytes but inflates to 100 (CRC of those 100 is correct)",
     lambda: simple(Entry("short.txt", b"s" * 100, method=DEFLATED, usize=1000))),
    ("crc_mismatch", "refuse", "checksum", [],
     "stored crc.txt 'hello\\n' with the CRC inverted in local and central headers",
     lambda: simple(Entry("crc.txt", b"hello\n", crc=zlib.crc32(b"hello\n") ^ 0xFFFFFFFF))),
    ("truncated_archive", "refuse", "not a zip", [],
     "a.txt complete, cut in the middle of b.bin's stored data; no central directory, "
     "no EOCD", truncated_archive),
    ("truncated_cd", "refuse", "corrupt", [],
     "EOCD says 3 entries and the full central directory size, but only the first "
     "central header is present before the EOCD", truncated_cd),
    ("cd_offset_beyond", "refuse", "corrupt", [],
     "EOCD central directory offset points 4 KiB past the end of the file", cd_offset_beyond),
    ("eocd_comment_overrun", "refuse", "not a zip", [],
     "EOCD comment length 100 but only 3 bytes follow; the only EOCD signature is invalid",
     eocd_comment_overrun),
    ("method_bzip2", "refuse", "unsupported compression method", [],
     "method 12 (bzip2), bytes are a real-looking bzip2 header",
     lambda: simple(Entry("b.txt", b"hello\n", method=12, raw=b"BZh91AY&SY" + bytes(20)))),
    ("method_aes", "refuse", "unsupported compression method", [],
     "method 99 (WinZip AES) with an AE-2 extra field, encryption flag NOT set",
     lambda: simple(Entry("a.txt", b"hello\n", method=99, raw=bytes(28), extra=aes_extra()))),
    ("encrypted", "refuse", "encrypted", [],
     "general purpose flag bit 0 set, method 0 (stored), 12-byte header + 7 bytes",
     lambda: simple(Entry("secret.txt", b"secret\n", flags=1, raw=bytes(12) + b"secret\n"))),
    ("name_mismatch", "refuse", "mismatch", ["evil.txt"],
     "central name ok.txt, local header name ../evil.txt (lengths differ: the data "
     "starts after the local header's own name)",
     lambda: simple(Entry("ok.txt", b"pwned\n", local_name="../evil.txt"))),
]


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gen-unsafe.py OUTDIR\n")
        return 2
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    index = []
    for name, expect, error, must_not_exist, note, make in CASES:
        with open(os.path.join(outdir, name + ".zip"), "wb") as f:
            f.write(make())
        case = {"name": name, "expect": expect}
        if expect == "refuse":
            case["error"] = error
        case["must_not_exist"] = must_not_exist
        case["note"] = note
        index.append(case)
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
