"""Slow clients must not starve the server: nginx (deploy/nginx) buffers them.

gunicorn (2 workers x 4 gthread threads, started as ``make run`` does) runs behind nginx from the
rendered template. 50 connections trickle their request headers and 50 trickle the body of a
1,000,000-byte POST, all through nginx; meanwhile /healthz and an authenticated API read through
nginx must each answer 200 within 1 s (3 tries each). The same trickling aimed straight at
gunicorn is measured, not asserted, to show what the proxy changes (docs/production.md).

Needs nginx (skipped without it unless REACHBOARD_REQUIRE_NGINX=1) and a database (SQLite or,
on the PostgreSQL pass, PostgreSQL).
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
from conftest import build_tenant
from live_server import Gunicorn, Nginx, require_tool, timed_get

pytestmark = pytest.mark.slow

SLOW_HEADERS = 50
SLOW_BODIES = 50
BODY_LENGTH = 1_000_000
TRICKLE_EVERY = 0.5  # seconds between two sends on each slow connection
TRICKLE_BYTES = 4
SETTLE = 2.0  # seconds the slow clients hold their connections before the probes start
LIMIT = 1.0  # each probe through nginx must answer 200 within this many seconds
TRIES = 3
DIRECT_TIMEOUT = 2.0  # a probe straight at gunicorn gives up after this (measured only)


class Trickler:
    """Slow connections, each sending a few more bytes every TRICKLE_EVERY seconds, never
    finishing its request; one thread feeds them all."""

    def __init__(self, port: int):
        self.port = port
        self.conns: list[list] = []  # [socket, bytes still to send]
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="trickler", daemon=True)

    def _open(self, head: bytes, rest: bytes) -> None:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.sendall(head)
        s.setblocking(False)
        self.conns.append([s, rest])

    def open(self, headers: int, bodies: int) -> None:
        host = f"Host: 127.0.0.1:{self.port}\r\n".encode()
        for i in range(headers):
            # Request line and Host sent, then one more header line a few bytes at a time.
            filler = b"".join(b"X-Slow-%d: %d\r\n" % (i, n) for n in range(1000))
            self._open(b"GET /healthz HTTP/1.1\r\n" + host, filler)
        for _ in range(bodies):
            # Complete headers of a form POST (the login form, which reads its whole body),
            # then the body a few bytes at a time.
            head = (b"POST /login HTTP/1.1\r\n" + host
                    + b"Content-Type: application/x-www-form-urlencoded\r\n"
                    + b"Content-Length: %d\r\n\r\n" % BODY_LENGTH)
            self._open(head, b"a" * (BODY_LENGTH - 1))  # never the last byte
        self.thread.start()

    def _run(self) -> None:
        while not self.stop_event.wait(TRICKLE_EVERY):
            for conn in self.conns:
                sock, rest = conn
                if sock is None or not rest:
                    continue
                try:
                    sent = sock.send(rest[:TRICKLE_BYTES])
                    conn[1] = rest[sent:]
                except BlockingIOError:
                    pass
                except OSError:  # the server closed it (e.g. nginx's 408)
                    sock.close()
                    conn[0] = None

    def alive(self) -> int:
        return sum(1 for sock, _ in self.conns if sock is not None)

    def close(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        for conn in self.conns:
            if conn[0] is not None:
                conn[0].close()
                conn[0] = None


def probe(port: int, key: str, timeout: float) -> dict[str, list[tuple[int | None, float]]]:
    """TRIES x (GET /healthz, authenticated GET /api/v1/companies): [(status, seconds)]."""
    targets = {"healthz": ("/healthz", {}),
               "companies": ("/api/v1/companies", {"Authorization": f"Bearer {key}"})}
    out: dict[str, list] = {name: [] for name in targets}
    for _ in range(TRIES):
        for name, (path, headers) in targets.items():
            status, seconds, _ = timed_get(port, path, headers, timeout=timeout)
            out[name].append((status, seconds))
    return out


def under_slow_clients(port: int, key: str, timeout: float) -> tuple[dict, int]:
    """Probe ``port`` while SLOW_HEADERS + SLOW_BODIES slow connections are open to it."""
    slow = Trickler(port)
    try:
        slow.open(SLOW_HEADERS, SLOW_BODIES)
        time.sleep(SETTLE)
        results = probe(port, key, timeout)
        return results, slow.alive()
    finally:
        slow.close()


def describe(results: dict) -> str:
    def one(status, seconds):
        return f"{seconds * 1000:.0f} ms" if status == 200 else f"{status or 'no answer'} after {seconds:.2f} s"

    return "; ".join(f"{name}: " + ", ".join(one(*r) for r in runs) for name, runs in results.items())


def test_slow_clients_through_nginx_do_not_starve_gunicorn(app, tmp_path):
    nginx_binary = require_tool("nginx", "REACHBOARD_REQUIRE_NGINX",
                                "Install the Debian package: apt-get install -y nginx")
    tenant = build_tenant(app, "Slow Agency")
    key = tenant.keys["read"]
    database_url = str(app.config["SQLALCHEMY_DATABASE_URI"])

    gunicorn = Gunicorn(database_url, tmp_path / "gunicorn.log", workers=2, threads=4,
                        env={"PROXY_COUNT": "1", "RATELIMIT_ENABLED": "0"})
    nginx = None
    try:
        gunicorn.start()
        nginx = Nginx(nginx_binary, gunicorn.port)
        nginx.start()
        for port in (nginx.port, gunicorn.port):  # both answer, key included, before the load
            status, _, body = timed_get(port, "/api/v1/companies", {"Authorization": f"Bearer {key}"})
            assert status == 200, body[:300]

        started = time.monotonic()
        via_nginx, alive_nginx = under_slow_clients(nginx.port, key, timeout=5)
        direct, alive_direct = under_slow_clients(gunicorn.port, key, timeout=DIRECT_TIMEOUT)
        print(f"\nslow clients: {SLOW_HEADERS} trickling headers + {SLOW_BODIES} trickling bodies "
              f"({BODY_LENGTH:,}-byte POST), {TRICKLE_BYTES} bytes / {TRICKLE_EVERY} s each; "
              f"gunicorn 2 workers x 4 threads")
        print(f"  through nginx ({alive_nginx} slow connections open at the end): {describe(via_nginx)}")
        print(f"  straight at gunicorn ({alive_direct} open at the end): {describe(direct)}")
        print(f"  both phases took {time.monotonic() - started:.1f} s")

        # The slow clients really were holding their connections while nginx answered.
        assert alive_nginx == SLOW_HEADERS + SLOW_BODIES, nginx.log_tail()
        for name, runs in via_nginx.items():
            for status, seconds in runs:
                assert status == 200 and seconds < LIMIT, (
                    f"{name} through nginx: {describe(via_nginx)}\n{nginx.log_tail()}\n{gunicorn.log_tail()}")
    finally:
        if nginx is not None:
            nginx.stop()
        gunicorn.stop()
