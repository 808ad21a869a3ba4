"""Give freed heap memory back to the system now and then (glibc's ``malloc_trim``).

Why: on SQLite every request reads database pages inside the worker, and in WAL mode a
connection drops its page cache whenever another connection has committed, so requests allocate
and free megabytes in small blocks. glibc keeps what is freed in its pools (one per thread, or
``MALLOC_ARENA_MAX``), scattered between live blocks, where it counts as the process's anonymous
memory and is only reused, never returned (issue 19's soak: each gunicorn worker's anonymous
memory grew about 2 MiB a minute on SQLite, flat on PostgreSQL). ``malloc_trim(0)`` walks every
pool and returns the whole free pages inside them to the kernel (``madvise``), which is what a
long-running worker needs.

Who: a daemon thread in every gunicorn worker (gunicorn.conf.py's ``post_worker_init``) and in the
job consumer, every ``MEMORY_TRIM_INTERVAL`` seconds (default 30; 0 turns it off). A trim takes
each pool's lock while it walks it: milliseconds, measured by the soak beside the requests.
Elsewhere than glibc (musl, macOS) there is no ``malloc_trim`` and nothing runs.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
import time
from collections.abc import Callable

log = logging.getLogger("reachboard.memory")
DEFAULT_INTERVAL = 30.0


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def interval_from(environ: dict[str, str] | os._Environ[str]) -> float:
    raw = (environ.get("MEMORY_TRIM_INTERVAL") or "").strip()
    try:
        value = float(raw) if raw else DEFAULT_INTERVAL
    except ValueError:
        log.warning("MEMORY_TRIM_INTERVAL=%r is not a number of seconds; using %s", raw, DEFAULT_INTERVAL)
        return DEFAULT_INTERVAL
    return max(value, 0.0)


class MemoryTrimmer:
    """Calls ``malloc_trim(0)`` every ``interval`` seconds in a daemon thread."""

    def __init__(self, interval: float, trim: Callable[[int], int] | None = None):
        self.interval = interval
        self.trim = trim if trim is not None else _malloc_trim()
        self.trims = 0
        self.longest = 0.0
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def trim_once(self) -> bool:
        """One trim; True when memory was returned. Its time is kept (``longest``)."""
        if self.trim is None:
            return False
        started = time.perf_counter()
        released = bool(self.trim(0))
        self.longest = max(self.longest, time.perf_counter() - started)
        self.trims += 1
        return released

    def start(self) -> bool:
        if self.trim is None or self.interval <= 0 or self.thread is not None:
            return False
        self.thread = threading.Thread(target=self._run, name="memory-trim", daemon=True)
        self.thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.trim_once()
            except Exception:  # never let the thread die on an odd libc
                log.exception("malloc_trim failed; memory trimming stops")
                return


_trimmer: MemoryTrimmer | None = None


def start_memory_trimmer(environ: dict[str, str] | os._Environ[str] | None = None) -> MemoryTrimmer | None:
    """Start this process's trimmer once (after a fork: the thread is the child's own)."""
    global _trimmer
    if _trimmer is not None:
        return _trimmer
    trimmer = MemoryTrimmer(interval_from(os.environ if environ is None else environ))
    if not trimmer.start():
        return None
    _trimmer = trimmer
    log.info("memory trimmer started (every %.0f s)", trimmer.interval)
    return trimmer
