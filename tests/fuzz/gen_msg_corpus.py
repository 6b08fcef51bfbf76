#!/usr/bin/env python3
"""gen_msg_corpus.py - writes the seed corpus of fuzz_msg (tests/fuzz/corpus/msg/):
valid frames of every type (msg.h) and broken ones. Run it after a change of
the frame format and commit the output."""
import json
import os
import struct
import sys

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "msg")
os.makedirs(out, exist_ok=True)


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def js(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def result(check="tls.protocol.tls1_0", status="fail", message="server accepts TLS 1.0", observed=None):
    return frame(b"R" + js({"check": check, "status": status, "message": message,
                            "observed": {} if observed is None else observed}))


def artifact(name="handshake/tls1_2.txt", media="text/plain", data=b"hello\n", size=None):
    hdr = js({"name": name, "media_type": media, "size": len(data) if size is None else size})
    return frame(b"A" + struct.pack(">I", len(hdr)) + hdr + data)


DONE = frame(b"D")
FAIL = frame(b"F" + js({"code": -1, "error": "cannot connect to 127.0.0.1:25: Connection refused"}))

seeds = {
    "result-pass": result(status="pass", message="ok", observed={"protocols": ["TLSv1.2", "TLSv1.3"], "n": 2}),
    "result-utf8": result(message="Zertifikat läuft in 3 Tagen ab – ✓"),
    "artifact": artifact(),
    "artifact-empty": artifact(name="empty", data=b""),
    "artifact-params": artifact(media="text/plain; charset=utf-8", data=bytes(range(256))),
    "done": DONE,
    "fail": FAIL,
    "session": result() + artifact() + result(check="tls.cert.expiry", status="pass") + DONE,
    "session-fail": result(status="error", message="x") + FAIL,
    # broken ones
    "bad-length-huge": b"\xff\xff\xff\xffR{}",
    "bad-length-zero": b"\x00\x00\x00\x00",
    "bad-truncated": result()[:-5],
    "bad-type": frame(b"X{}"),
    "bad-done-extra": frame(b"Dx"),
    "bad-status": result(status="bogus"),
    "bad-check": result(check="../etc"),
    "bad-check-long": result(check="a" * 129),
    "bad-observed-array": result(observed=[1, 2]),
    "bad-extra-key": frame(b"R" + js({"check": "a", "status": "pass", "message": "", "observed": {}, "x": 1})),
    "bad-missing-key": frame(b"R" + js({"check": "a", "status": "pass", "message": ""})),
    "bad-dup-key": frame(b'R{"check":"a","check":"b","status":"pass","message":"","observed":{}}'),
    "bad-json": frame(b'R{"check":'),
    "bad-utf8": frame(b'R{"check":"a","status":"pass","message":"\xc3\x28","observed":{}}'),
    "bad-nul": frame(b'R{"check":"a","status":"pass","message":"a\\u0000b","observed":{}}'),
    "bad-message-long": result(message="m" * 4097),
    "bad-artifact-size": artifact(size=99),
    "bad-artifact-name": artifact(name="../../etc/passwd"),
    "bad-artifact-slash": artifact(name="a//b"),
    "bad-artifact-media": artifact(media="text"),
    "bad-artifact-hdrlen": frame(b"A\xff\xff\xff\xff{}"),
    "bad-fail-code": frame(b"F" + js({"code": 0, "error": "x"})),
    "bad-fail-code-type": frame(b"F" + js({"code": "-1", "error": "x"})),
    "bad-deep": frame(b"R" + b'{"check":"a","status":"pass","message":"","observed":{"a":' + b"[" * 5000 + b"]" * 5000 + b"}}"),
}

for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {out}", file=sys.stderr)
