#!/usr/bin/env python3
"""zipforge.py - forges ZIP layouts from a real annexa bundle, each one a
way for two ZIP readers to disagree about what a file holds (issue 12).

usage: zipforge.py BUNDLE LAYOUT OUT      (LAYOUT from LAYOUTS below)
       zipforge.py BUNDLE --all DIR       (every layout into DIR/LAYOUT.zip)
       zipforge.py - --expect LAYOUT      (what annexa verify must name)
       zipforge.py BUNDLE --resign OUT KEY CERT [NAME=FILE...] [--bulk=N]
                                          (files replaced, N files added
                                           under evidence/bulk/ (bench),
                                           manifest re-made and re-signed
                                           with KEY/CERT)

The bundle must be annexa's own (libarchive: deflate, data descriptors, no
Zip64 in the central directory below 4 GiB). "Forged" content replaces
report.html; a reader that extracts through the central directory (unzip,
Python, 7-Zip, desktop tools) sees the forgery, annexa must refuse the file.
"""
import io
import struct
import sys
import zipfile

FORGED = b"<html><body><h1>All 93 controls pass</h1></body></html>\n"


def parse(d):
    """Entries of a comment-free ZIP: the CD record and the local blob
    (header, data, descriptor) of each, in file order."""
    eocd = len(d) - 22
    sig, _, _, _, n, cdsize, cdoff, clen = struct.unpack("<IHHHHIIH", d[eocd:eocd + 22])
    assert sig == 0x06054B50 and clen == 0, "not a comment-free ZIP"
    ents, p = [], cdoff
    for _ in range(n):
        nlen, xlen, clen = struct.unpack("<HHH", d[p + 28:p + 34])
        size = 46 + nlen + xlen + clen
        off = struct.unpack("<I", d[p + 42:p + 46])[0]
        ents.append({"cd": bytearray(d[p:p + size]), "off": off,
                     "name": d[p + 46:p + 46 + nlen].decode()})
        p += size
    for i, e in enumerate(ents):
        end = ents[i + 1]["off"] if i + 1 < len(ents) else cdoff
        e["local"] = bytearray(d[e["off"]:end])
    return ents


def build(ents, prefix=b"", comment=b"", gap_after=None, gap=b"", tail=b""):
    out = bytearray(prefix)
    for e in ents:
        e["new"] = len(out)
        out += e["local"]
        if e["name"] == gap_after:
            out += gap
    cdoff = len(out)
    for e in ents:
        cd = bytearray(e["cd"])
        struct.pack_into("<I", cd, 42, e["new"])
        out += cd
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(ents), len(ents), len(out) - cdoff, cdoff,
                       len(comment)) + comment + tail
    return bytes(out)


def forged_zip(d, store=False):
    """The bundle rewritten by Python's zipfile with report.html forged."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(d)) as zi, zipfile.ZipFile(buf, "w") as zo:
        for i in zi.infolist():
            data = FORGED if i.filename == "report.html" else zi.read(i)
            i.compress_type = zipfile.ZIP_STORED if store else zipfile.ZIP_DEFLATED
            zo.writestr(i, data)
    return buf.getvalue()


def find(ents, name):
    return next(e for e in ents if e["name"] == name)


def stopper(d):
    """The parser differential of issue 12: genuine entries, a central
    directory signature that stops a streaming reader, forged entries, a
    central directory of those, an end record behind a 20 KiB comment."""
    cdoff = struct.unpack("<I", d[-6:-2])[0]
    head = bytes(d[:cdoff]) + b"PK\x01\x02" + bytes(42)
    return build(parse(forged_zip(d)), prefix=head, comment=b" " * 20480)


def comment(d):
    return build(parse(d), comment=b"annexa bundle")


def trailing(d):
    return d + b"\0" * 64


def prefix(d):
    return build(parse(d), prefix=b"MZ" + b"\0" * 98)


def gap(d):
    return build(parse(d), gap_after="report.html", gap=b"\0" * 16)


def second_cd(d):
    """The genuine bundle with its directory and end record left in place,
    then a forged report.html and a second directory listing every genuine
    entry plus the forgery (Python's zipfile reads the last one of a name)."""
    ents = parse(d)
    forged = find(parse(forged_zip(d)), "report.html")
    out = bytearray(d)
    new_off = len(out)
    out += forged["local"]
    cd = bytearray()
    for e in ents:
        cd += e["cd"]
    rec = bytearray(forged["cd"])
    struct.pack_into("<I", rec, 42, new_off)
    cd += rec
    cdstart = len(out)
    n = len(ents) + 1
    out += cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(cd), cdstart, 0)
    return bytes(out)


def overlap(d):
    """report.html's directory record points at the entry before it."""
    ents = parse(d)
    out = bytearray(build(ents))
    cdoff = struct.unpack("<I", out[-6:-2])[0]
    p = cdoff
    prev_off = None
    for e in ents:
        if e["name"] == "report.html":
            struct.pack_into("<I", out, p + 42, prev_off)
        prev_off = e["new"]
        p += len(e["cd"])
    return bytes(out)


def truncated(d):
    """Cut inside the central directory: unzip cannot open it."""
    cdoff = struct.unpack("<I", d[-6:-2])[0]
    return d[:cdoff + 30]


def _python(d, method=zipfile.ZIP_DEFLATED):
    """The bundle rewritten by Python (sizes in local headers, no
    descriptors) with genuine bytes: a consistent ZIP to tamper with."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(d)) as zi, zipfile.ZipFile(buf, "w") as zo:
        for i in zi.infolist():
            data = zi.read(i)
            i.compress_type = method
            zo.writestr(i, data)
    return buf.getvalue()


def _patch_local(d, name, fn):
    ents = parse(d)
    e = find(ents, name)
    fn(e["local"])
    return build(ents)


def lh_name(d):
    """The local header names another file than the directory."""
    return _patch_local(d, "report.html", lambda b: b.__setitem__(30, ord("R")))


def lh_size(d):
    return _patch_local(_python(d), "report.html",
                        lambda b: struct.pack_into("<I", b, 22, struct.unpack("<I", b[22:26])[0] + 1))


def lh_crc(d):
    return _patch_local(_python(d), "report.html",
                        lambda b: struct.pack_into("<I", b, 14, struct.unpack("<I", b[14:18])[0] ^ 1))


def lh_method(d):
    return _patch_local(d, "report.html", lambda b: struct.pack_into("<H", b, 8, 0))


def upath(d):
    """A Unicode path extra field (0x7075): unzip and 7-Zip extract the
    entry under the name it holds, not under the directory's name."""
    ents = parse(d)
    e = find(ents, "README.txt")
    new = b"report.html"
    import zlib
    field = struct.pack("<B", 1) + struct.pack("<I", zlib.crc32(e["name"].encode())) + new
    x = struct.pack("<HH", 0x7075, len(field)) + field
    nlen, xlen = struct.unpack("<HH", e["cd"][28:32])
    e["cd"] = e["cd"][:46 + nlen + xlen] + x + e["cd"][46 + nlen + xlen:]
    struct.pack_into("<H", e["cd"], 30, xlen + len(x))
    return build(ents)


def symlink(d):
    ents = parse(d)
    e = find(ents, "report.html")
    struct.pack_into("<I", e["cd"], 38, 0o120777 << 16)
    return build(ents)


def zip64(d):
    """Zip64 end records whose entry count disagrees with the end record."""
    ents = parse(d)
    out = bytearray(build(ents))
    eocd = out[-22:]
    cdoff = struct.unpack("<I", eocd[16:20])[0]
    cdsize = struct.unpack("<I", eocd[12:16])[0]
    n = struct.unpack("<H", eocd[10:12])[0]
    z64at = len(out) - 22
    rec = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n + 1, n + 1, cdsize, cdoff)
    loc = struct.pack("<IIQI", 0x07064B50, 0, z64at, 1)
    return bytes(out[:z64at] + rec + loc + eocd)


def stored_descriptor(d):
    """A stored entry whose size only its data descriptor gives: a
    streaming reader must search for the descriptor, and finds a fake one
    inside the data."""
    ents = parse(_python(d, zipfile.ZIP_STORED))
    e = find(ents, "README.txt")
    struct.pack_into("<H", e["local"], 6, struct.unpack("<H", e["local"][6:8])[0] | 8)
    struct.pack_into("<H", e["cd"], 8, struct.unpack("<H", e["cd"][8:10])[0] | 8)
    return build(ents)


def dup(d):
    """report.html twice: the second one forged."""
    ents = parse(d)
    forged = find(parse(forged_zip(d)), "report.html")
    return build(ents + [forged])


LAYOUTS = {
    "stopper": (stopper, "ZIP comment"),
    "comment": (comment, "ZIP comment"),
    "trailing": (trailing, "bytes follow"),
    "prefix": (prefix, "before the first entry"),
    "gap": (gap, "outside any entry"),
    "second-cd": (second_cd, "second central directory"),
    "overlap": (overlap, "overlaps"),
    "truncated": (truncated, "end-of-central-directory"),
    "lh-name": (lh_name, "local header names"),
    "lh-size": (lh_size, "local header of report.html disagrees"),
    "lh-crc": (lh_crc, "local header of report.html disagrees"),
    "lh-method": (lh_method, "local header of report.html disagrees"),
    "upath": (upath, "extra field 0x7075"),
    "symlink": (symlink, "not a regular file"),
    "zip64": (zip64, "Zip64 end record disagree"),
    "stored-descriptor": (stored_descriptor, "stored with a data descriptor"),
    "dup": (dup, "appears twice"),
}


def resign(d, key, crt, replace):
    """The bundle with files replaced, its manifest's list re-made and
    signed again (openssl cms), written by Python's zipfile."""
    import hashlib
    import json
    import subprocess
    zi = zipfile.ZipFile(io.BytesIO(d))
    files = {i.filename: zi.read(i) for i in zi.infolist()}
    files.update(replace)
    if "manifest.json" not in replace:
        man = json.loads(files["manifest.json"])
        skip = {"manifest.json", "manifest.json.sig", "manifest.json.sig.tsr"}
        man["files"] = sorted(({"path": p, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                               for p, b in files.items() if p not in skip), key=lambda f: f["path"])
        files["manifest.json"] = (json.dumps(man, indent=2, sort_keys=True) + "\n").encode()
    files["manifest.json.sig"] = subprocess.run(
        ["openssl", "cms", "-sign", "-binary", "-outform", "DER", "-signer", crt, "-inkey", key],
        input=files["manifest.json"], capture_output=True, check=True).stdout
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zo:
        for p, b in files.items():
            zo.writestr(p, b)
    return buf.getvalue()


def main():
    if len(sys.argv) >= 6 and sys.argv[2] == "--resign":
        out, key, crt = sys.argv[3:6]
        repl = {}
        for a in sys.argv[6:]:
            name, value = a.split("=", 1)
            if name == "--bulk":
                repl.update(("evidence/bulk/f%06d.txt" % k, b"evidence %d\n" % k) for k in range(int(value)))
            else:
                repl[name] = open(value, "rb").read()
        open(out, "wb").write(resign(open(sys.argv[1], "rb").read(), key, crt, repl))
        return
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, layout, out = sys.argv[1:]
    if layout == "--expect":
        print(LAYOUTS[out][1])
        return
    d = open(src, "rb").read()
    if layout == "--all":
        for name, (fn, _) in LAYOUTS.items():
            open("%s/%s.zip" % (out, name), "wb").write(fn(d))
        return
    open(out, "wb").write(LAYOUTS[layout][0](d))


if __name__ == "__main__":
    main()
