#!/usr/bin/env python3
"""summary.py BUILDDIR... - adds up meson's test logs and prints the final
line CI reads: 'N passed, N failed' (', N skipped' when any)."""
import json
import os
import sys

passed = failed = skipped = 0
for build in sys.argv[1:]:
    log = os.path.join(build, "meson-logs", "testlog.json")
    p = f = s = 0
    bad = []
    if not os.path.exists(log):
        print(f"{build}: no test log (build failed?)")
        failed += 1
        continue
    with open(log) as fh:
        for line in fh:
            t = json.loads(line)
            r = t.get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                p += 1
            elif r == "SKIP":
                s += 1
            else:
                f += 1
                bad.append(t.get("name"))
    print(f"{build}: {p} passed, {f} failed, {s} skipped" + (f" ({', '.join(bad)})" if bad else ""))
    passed, failed, skipped = passed + p, failed + f, skipped + s
# The last line is exactly "N passed, N failed" (what CI reads); skips
# (tests that say why they cannot run here) are counted on the line above.
print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
