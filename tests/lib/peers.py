"""peers.py - scripted misbehaving peers for the integration tests: each
handler gets one accepted connection on 127.0.0.1:BASE+i (closed after it
returns, whatever it raised). serve_all() prints "ready" once every port
listens, then keeps the process alive until killed (or 600 s)."""
import socket
import threading
import time


def _guarded(handler, c):
    try:
        c.settimeout(60)
        handler(c)
    except Exception:
        pass
    finally:
        try:
            c.close()
        except Exception:
            pass


def _serve(port, handler):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=_guarded, args=(handler, c), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def serve_all(base, handlers):
    for i, h in enumerate(handlers):
        _serve(base + i, h)
    print("ready", flush=True)
    time.sleep(600)
