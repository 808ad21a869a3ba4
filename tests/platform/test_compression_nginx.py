"""Behind nginx (deploy/nginx), answers keep the app's compression: nginx compresses nothing
itself and relays Content-Encoding, Vary, Range answers and bytes as they are (docs/production.md).

Needs nginx (skipped without it unless REACHBOARD_REQUIRE_NGINX=1); the app runs in a thread."""
from __future__ import annotations

import http.client

import brotli
import pytest
from live_server import Nginx, require_tool, serve_in_thread

pytestmark = pytest.mark.slow


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_nginx_relays_the_apps_compression_and_adds_none(app):
    from backend.vendor import BOOTSTRAP_CSS_URL

    binary = require_tool("nginx", "REACHBOARD_REQUIRE_NGINX", "Debian: apt-get install -y nginx")
    with serve_in_thread(app) as base_url:
        app_port = int(base_url.rsplit(":", 1)[1])
        nginx = Nginx(binary, app_port)
        nginx.start()
        try:
            br = {"Accept-Encoding": "gzip, br"}
            status, direct_headers, direct = _get(app_port, BOOTSTRAP_CSS_URL, br)
            status, headers, body = _get(nginx.port, BOOTSTRAP_CSS_URL, br)
            assert status == 200 and headers["content-encoding"] == "br" and body == direct
            assert headers["vary"] == direct_headers["vary"] and "immutable" in headers["cache-control"]
            status, headers, plain = _get(nginx.port, BOOTSTRAP_CSS_URL, {})
            assert status == 200 and "content-encoding" not in headers and plain == brotli.decompress(body)
            status, headers, part = _get(nginx.port, BOOTSTRAP_CSS_URL, {**br, "Range": "bytes=100-199"})
            assert status == 206 and "content-encoding" not in headers and part == plain[100:200]
            # A page the app leaves uncompressed (its form holds a CSRF token) stays so.
            status, headers, page = _get(nginx.port, "/login", {"Accept-Encoding": "gzip"})
            assert status == 200 and b'name="csrf_token"' in page and "content-encoding" not in headers
        finally:
            nginx.stop()
