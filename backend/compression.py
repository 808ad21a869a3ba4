"""Compressed answers: brotli when the client accepts it, else gzip, for text of 500 bytes or more.

One ``after_request`` hook (registered first, so it runs after every other hook) decides per
answer, so nothing is compressed twice (Dash's own ``compress`` stays off):

- **Pages and data** (the dashboard's HTML, Dash callbacks, the API's JSON): Flask-Compress
  compresses each answer as it leaves, brotli quality 5 or gzip 6 (about 1 ms per 100 KB).
- **Static files** (``backend.vendor.static_asset``: Dash's component suites, the dashboard's
  assets, Bootstrap, ``/static/``, the API docs' files): compressed once per process and kept
  in ``CompressedFiles``, a bounded cache keyed by path, fingerprint and encoding, each entry
  checked against the body's length and Adler-32 so a changed file is never answered from an
  old entry. The first answer is brotli 5 (Plotly's 4.8 MB bundle: 0.1 s); a background thread
  at the lowest CPU priority then recompresses it at brotli 11 (8 s for Plotly, 14 % smaller)
  and later answers get that. A ``Range`` request is answered on the identity body (206 with
  identity offsets, or 416), never with a slice of a compressed one.

Left uncompressed (docs/security.md): streamed answers (the CSV export); anything but a 200; for
BREACH, the server-rendered HTML pages (each carries the CSRF token in a form — the logout form
at least — beside text an attacker can influence, and some show a one-time secret), any other
answer to a request a cross-site page can make that holds the request's CSRF token, and the API
answer that shows a new key; API answers with a strong ETag (the strategy's revision, sent back in
If-Match: Flask-Compress would append ":br" to it).
"""
from __future__ import annotations

import gzip
import os
import queue
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass

import brotli
from flask import Flask, Response, current_app, g, request
from flask_compress import Compress
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from .vendor import static_asset

ENCODINGS = ("br", "gzip")  # preferred first when the client weighs them equally
DASHBOARD_PREFIX = "/dashboard/"  # Dash's HTML shell: no CSRF token or secret in its body
# Dash callbacks: only the app's own pages can call them (Flask-WTF wants the X-CSRFToken header,
# which a cross-site page cannot send), so an attacker cannot make a victim's browser repeat them
# with chosen text; the navbar's logout form in their answers carries the token, compressed.
DASH_CALLBACK = "/dashboard/_dash-update-component"
# Answers that show a secret once (the new API key) beside text the client chose (its name).
SECRET_ANSWERS = {("POST", "api_keys.ApiKeys")}

SETTINGS = {
    "COMPRESS_REGISTER": False,  # init_compression's hook decides, then calls Flask-Compress
    "COMPRESS_ALGORITHM": list(ENCODINGS),
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 500,
    "COMPRESS_STREAMS": False,
    # Brotli quality for static files once they are cached (the first answer uses COMPRESS_BR_LEVEL).
    "COMPRESS_STATIC_BR_LEVEL": 11,
    "COMPRESS_STATIC_CACHE_BYTES": 48 * 1024 * 1024,
}
EXTRA_MIMETYPES = ["application/problem+json"]


def init_compression(app: Flask) -> None:
    """Call first in the factory: its hook then runs last, on the finished answer."""
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    # One Compress per app: it keeps the app's settings (tests build apps with other ones).
    compress = Compress(app)
    compress.compress_mimetypes_set.update(EXTRA_MIMETYPES)
    config = app.config
    files = CompressedFiles(config["COMPRESS_STATIC_CACHE_BYTES"], fast_quality=config["COMPRESS_BR_LEVEL"],
                            best_quality=config["COMPRESS_STATIC_BR_LEVEL"], gzip_level=config["COMPRESS_LEVEL"])
    app.extensions["reachboard_compressed_files"] = files

    @app.after_request
    def _compress(response: Response) -> Response:
        asset = static_asset()
        if asset is not None:
            return _static_file(response, compress, files, asset.fingerprint)
        if _leave_uncompressed(response):
            return response
        return compress.after_request(response)


def _leave_uncompressed(response: Response) -> bool:
    if response.status_code != 200 or response.is_streamed or "Content-Encoding" in response.headers:
        return True
    if request.accept_encodings.best_match(ENCODINGS) is None:
        return True  # Flask-Compress 1.25 would pick br for "br;q=0" (q=0 means "not this one")
    if response.mimetype == "text/html" and not request.path.startswith(DASHBOARD_PREFIX):
        return True  # BREACH: a form's CSRF token beside attacker-influenced text
    if (request.method, request.endpoint) in SECRET_ANSWERS:
        return True
    etag, weak = response.get_etag()
    if etag and not weak:
        return True  # a revision the client sends back as If-Match: keep it as it is
    if request.path == DASH_CALLBACK:
        return False
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return bool(token) and token.encode() in response.get_data()


def _static_file(response: Response, compress: Compress, files: CompressedFiles, fingerprint: str) -> Response:
    config = current_app.config
    if (request.method not in ("GET", "HEAD") or response.status_code != 200
            or "Content-Encoding" in response.headers or response.mimetype not in compress.compress_mimetypes_set):
        return response
    response.direct_passthrough = False  # send_file's file wrapper: read it here
    identity = response.get_data()
    response.vary.add("Accept-Encoding")
    if request.headers.get("Range"):
        return _identity_range(response, len(identity))
    encoding = request.accept_encodings.best_match(ENCODINGS)
    if encoding is None or len(identity) < config["COMPRESS_MIN_SIZE"]:
        return response
    response.set_data(files.get((request.path, fingerprint, encoding), identity))
    response.headers["Content-Encoding"] = encoding
    response.headers["Accept-Ranges"] = "none"  # ranges are served on the identity body only
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}:{encoding}", weak=bool(weak))
    response.make_conditional(request)  # a 304 for a client that holds this encoding's ETag
    return response


def _identity_range(response: Response, length: int) -> Response:
    """Answer a Range request on the identity body: 206 with its offsets, 416, or the whole
    body when If-Range names another version (send_file's files have done this already)."""
    try:
        response.make_conditional(request, accept_ranges=True, complete_length=length)
        return response
    except RequestedRangeNotSatisfiable:
        response.set_data(b"")
        response.status_code = 416
        response.headers["Content-Range"] = f"bytes */{length}"
        return response


@dataclass
class _Entry:
    check: tuple[int, int]  # (length, Adler-32) of the identity body it was made from
    body: bytes
    final: bool  # compressed at the best quality


class CompressedFiles:
    """Static files compressed once per process: ``(path, fingerprint, encoding) -> bytes``,
    least recently used entries dropped past ``max_bytes``. Brotli entries are first made at
    ``fast_quality`` and remade at ``best_quality`` by one background thread."""

    def __init__(self, max_bytes: int, *, fast_quality: int, best_quality: int, gzip_level: int) -> None:
        self.max_bytes = max_bytes
        self.fast_quality, self.best_quality, self.gzip_level = fast_quality, best_quality, gzip_level
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._pending: queue.Queue = queue.Queue()
        self._worker: threading.Thread | None = None
        self._worker_pid = 0

    def get(self, key: tuple, identity: bytes) -> bytes:
        check = (len(identity), zlib.adler32(identity))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.check == check:
                self._entries.move_to_end(key)
                return entry.body
        encoding = key[-1]
        body = self.encode(identity, encoding, self.fast_quality)
        final = encoding != "br" or self.best_quality <= self.fast_quality
        self._store(key, _Entry(check, body, final))
        if not final:
            self._upgrade_later(key, check, identity)
        return body

    def encode(self, data: bytes, encoding: str, quality: int) -> bytes:
        if encoding == "br":
            return brotli.compress(data, quality=quality)
        return gzip.compress(data, self.gzip_level, mtime=0)

    def stats(self) -> dict:
        with self._lock:
            return {"entries": len(self._entries), "bytes": self._size,
                    "final": sum(e.final for e in self._entries.values())}

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait until the background recompressions queued so far are done (tests, benchmarks)."""
        done = threading.Event()
        self._pending.put(done)
        self._ensure_worker()
        return done.wait(timeout)

    def _store(self, key: tuple, entry: _Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            self._size -= len(old.body) if old else 0
            if len(entry.body) > self.max_bytes:
                return
            self._entries[key] = entry
            self._size += len(entry.body)
            while self._size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped.body)

    def _upgrade_later(self, key: tuple, check: tuple[int, int], identity: bytes) -> None:
        self._pending.put((key, check, identity))
        self._ensure_worker()

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is not None and self._worker.is_alive() and self._worker_pid == os.getpid():
                return
            self._worker = threading.Thread(target=self._recompress, name="reachboard-brotli", daemon=True)
            self._worker_pid = os.getpid()
            self._worker.start()

    def _recompress(self) -> None:
        try:  # Linux: the nice value of this thread only, so answers keep the CPU first
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):
            pass
        while True:
            item = self._pending.get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            key, check, identity = item
            with self._lock:
                entry = self._entries.get(key)
                if entry is None or entry.check != check or entry.final:
                    continue
            body = self.encode(identity, key[-1], self.best_quality)
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry.check == check:
                    self._size += len(body) - len(entry.body)
                    entry.body, entry.final = body, True
