#!/usr/bin/env python3
"""tsa_responder.py PORT CONF - a tiny RFC 3161 time-stamping authority on
127.0.0.1:PORT for tests: each POSTed TimeStampReq is answered by
`openssl ts -reply -config CONF`. Loopback only; stops on SIGTERM."""
import http.server, subprocess, sys, tempfile, os

port, conf = int(sys.argv[1]), sys.argv[2]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = self.rfile.read(min(n, 1 << 20))
        with tempfile.TemporaryDirectory() as d:
            q, r = os.path.join(d, "q.tsq"), os.path.join(d, "r.tsr")
            open(q, "wb").write(req)
            rc = subprocess.run(["openssl", "ts", "-reply", "-config", conf, "-queryfile", q, "-out", r],
                                capture_output=True).returncode
            body = open(r, "rb").read() if rc == 0 and os.path.exists(r) else b""
        self.send_response(200 if body else 500)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
