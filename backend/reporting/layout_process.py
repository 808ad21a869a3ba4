"""The PDF layout's own process, for the job consumer (backend/worker.py turns it on).

WeasyPrint lays a report out in Python that holds the interpreter's lock for seconds at a time.
Inside the consumer that held up every other job: in issue 19's soak no job started while a
report's PDF was laid out (2–3 s), so a webhook delivery queued behind it on a free worker thread
waited out the whole layout. Here the layout runs in one child process (``spawn``, so nothing of
the consumer's threads is copied), one PDF at a time; the consumer's threads keep running. The
child is replaced after :data:`TASKS_PER_CHILD` PDFs, which bounds whatever a long life leaks, and
after a crash (the job fails and retries). Without :func:`enable` (the tests, a shell) the layout
runs in the calling process.
"""
from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger("reachboard.reports")

TASKS_PER_CHILD = 200
LAYOUT_TIMEOUT = 300.0  # seconds for one PDF; a layout that takes longer is given up (the job retries)
_lock = threading.Lock()
_state: dict[str, Any] = {"enabled": False, "pool": None}


class LayoutFailed(RuntimeError):
    """The layout process died or did not answer in time (the job fails and is retried)."""


def enable(on: bool = True) -> None:
    """Lay PDFs out in a child process from now on (the consumer calls it at start)."""
    _state["enabled"] = on


def enabled() -> bool:
    return bool(_state["enabled"])


def _pool() -> ProcessPoolExecutor:
    with _lock:
        if _state["pool"] is None:
            _state["pool"] = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 max_tasks_per_child=TASKS_PER_CHILD, initializer=_in_child)
        return _state["pool"]


def _in_child() -> None:
    """The child leaves Ctrl-C to its parent, which ends it (``make run`` stops the whole group)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run(fn: Callable[[str], tuple[bytes, int]], html: str) -> tuple[bytes, int]:
    """``fn(html)`` in the layout process (``fn`` is a module-level function: it goes by name)."""
    try:
        return _pool().submit(fn, html).result(timeout=LAYOUT_TIMEOUT)
    except BrokenProcessPool as err:
        stop(wait=False)
        raise LayoutFailed("the PDF layout process died; the job is retried with a new one") from err
    except TimeoutError as err:
        stop(wait=False)
        raise LayoutFailed(f"the PDF layout took longer than {LAYOUT_TIMEOUT:g} s and was given up") from err


def stop(wait: bool = True) -> None:
    """End the layout process (the consumer's shutdown; after a crash or a time-out). Without
    ``wait`` a child still laying out is killed."""
    with _lock:
        pool, _state["pool"] = _state["pool"], None
    if pool is None:
        return
    children = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=wait, cancel_futures=True)
    for child in children:
        if child.is_alive():
            child.kill()
            child.join(timeout=5)
            log.info("the PDF layout process %s was ended", child.pid)


def child_pids() -> list[int]:
    """The layout process's pid, if it runs (tests)."""
    pool = _state["pool"]
    return [p.pid for p in getattr(pool, "_processes", {}).values()] if pool is not None else []
