#!/usr/bin/env python3
"""rehash.py STORE SQL - what an attacker with write access to the store
can do without annexa: run SQL on it with the triggers dropped, then
recompute every run's content hash and the whole chain (the canonical form
of collector/ledger.c), so that `annexa ledger verify` passes again. Only
anchors kept outside the store can tell. Prints the new head hash."""
import hashlib
import json
import sqlite3
import sys


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def observed(text):
    try:
        v = json.loads(text)
        if isinstance(v, dict):
            return v
    except ValueError:
        pass
    return text


def main():
    db = sqlite3.connect(sys.argv[1])
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute('DROP TRIGGER "%s"' % name)
    db.executescript(sys.argv[2])
    prev = "0" * 64
    for rid, kind, started, finished, content, pruned in db.execute(
            "SELECT id, kind, started_at, finished_at, content_sha256, pruned FROM runs ORDER BY id").fetchall():
        if not pruned:
            res = db.execute("SELECT instance, probe_type, check_id, status, message, observed, collected_at"
                             " FROM results WHERE run_id = ?", (rid,)).fetchall()
            res.sort(key=lambda r: (r[0].encode(), r[2].encode(), r[6], r[1].encode(), r[3].encode(),
                                    r[4].encode(), r[5].encode()))
            arts = db.execute("SELECT ra.instance, ra.name, ra.media_type, ra.sha256, a.size FROM run_artifacts ra"
                              " JOIN artifacts a ON a.sha256 = ra.sha256 WHERE ra.run_id = ?", (rid,)).fetchall()
            arts.sort(key=lambda a: (a[0].encode(), a[1].encode(), a[3], a[2].encode(), a[4]))
            doc = {"id": rid, "kind": kind, "started_at": started, "finished_at": finished,
                   "results": [{"instance": r[0], "probe_type": r[1], "check": r[2], "status": r[3],
                                "message": r[4], "observed": observed(r[5]), "collected_at": r[6]} for r in res],
                   "artifacts": [{"instance": a[0], "name": a[1], "media_type": a[2], "sha256": a[3],
                                  "size": a[4]} for a in arts]}
            content = hashlib.sha256(canon(doc).encode()).hexdigest()
        h = hashlib.sha256(("%s:%s" % (prev, content)).encode()).hexdigest()
        db.execute("UPDATE runs SET prev_hash = ?, content_sha256 = ?, hash = ? WHERE id = ?", (prev, content, h, rid))
        prev = h
    db.commit()
    print(prev)


main()
