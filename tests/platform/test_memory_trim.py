"""The memory trimmer (backend/memory_trim.py): glibc's malloc_trim is found and callable here,
the thread calls it every interval, MEMORY_TRIM_INTERVAL=0 (or no malloc_trim) starts nothing,
and a bad setting falls back to the default."""
from __future__ import annotations

import threading

import pytest

from backend.memory_trim import DEFAULT_INTERVAL, MemoryTrimmer, _malloc_trim, interval_from

pytestmark = pytest.mark.no_db


def test_glibc_malloc_trim_is_found_and_returns_a_flag():
    trim = _malloc_trim()
    assert trim is not None  # Debian's glibc
    assert trim(0) in (0, 1)


def test_the_thread_trims_every_interval_and_stops():
    calls = threading.Semaphore(0)

    def fake_trim(pad: int) -> int:
        assert pad == 0
        calls.release()
        return 1

    trimmer = MemoryTrimmer(0.01, trim=fake_trim)
    assert trimmer.start()
    try:
        for _ in range(3):
            assert calls.acquire(timeout=5)
    finally:
        trimmer.stop()
    assert trimmer.trims >= 3 and trimmer.longest >= 0
    assert not trimmer.thread.is_alive()


def test_nothing_starts_when_turned_off_or_without_malloc_trim():
    assert not MemoryTrimmer(0, trim=lambda pad: 1).start()
    off = MemoryTrimmer(30, trim=lambda pad: 1)
    off.trim = None
    assert not off.start() and not off.trim_once()


@pytest.mark.parametrize(("raw", "expected"), [("", DEFAULT_INTERVAL), ("5", 5.0), ("0", 0.0), ("-3", 0.0),
                                               ("soon", DEFAULT_INTERVAL)])
def test_interval_setting(raw, expected):
    assert interval_from({"MEMORY_TRIM_INTERVAL": raw}) == expected
