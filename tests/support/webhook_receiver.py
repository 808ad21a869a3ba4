"""A real HTTP receiver on loopback for the webhook tests: a threading http.server that answers
each request by a script (status codes, or "hang", "redirect", "big") and records what it got."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    script: list = field(default_factory=list)  # what to answer, request by request; then 200
    received: list[Received] = field(default_factory=list)
    big_finished: list[bool] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    stop_hanging: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])


def start_receiver(script: list | None = None) -> Receiver:
    receiver = Receiver(script=list(script or []))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            what = receiver.script.pop(0) if receiver.script else 200
            if what == "hang":
                receiver.stop_hanging.wait(30)
                return
            if what == "redirect":
                self.send_response(302)
                self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if what == "drip":  # the status at once, then a byte every 0.4 s
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                try:
                    for _ in range(1000):
                        self.wfile.write(b"d")
                        self.wfile.flush()
                        if receiver.stop_hanging.wait(0.4):
                            return
                except OSError:
                    pass
                return
            if what == "big":
                size = 10 * 1024 * 1024
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                chunk = b"x" * 65536
                try:
                    for _ in range(size // len(chunk)):
                        self.wfile.write(chunk)
                        time.sleep(0.001)
                    receiver.big_finished.append(True)
                except OSError:
                    receiver.big_finished.append(False)
                return
            answer = f"answer {what} " .encode() + b"y" * 2000
            self.send_response(int(what))
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


def stop_receiver(receiver: Receiver) -> None:
    receiver.stop_hanging.set()
    if receiver.server is not None:
        receiver.server.shutdown()
        receiver.server.server_close()
