"""The periodic WAL checkpoint of a SQLite database, run by ONE process at a time.

Why: SQLite's automatic checkpoints are PASSIVE. Under steady reads there is nearly always a
reader on the log, so the log never restarts and grows without end (78 MB beside a 66 MB
database in issue 19). A TRUNCATE checkpoint waits briefly for the readers, copies the log into
the database and cuts the file to zero.

Who: gunicorn's ``post_worker_init`` hook (gunicorn.conf.py) starts a daemon thread in every
worker; each thread tries to take an exclusive lock on ``<database>-checkpoint.lock``
(``flock``). The one that gets it checkpoints; the others try again every interval, so when
that worker exits (the kernel drops its lock) another takes over. No thread in the arbiter:
it forks workers, and a fork while a thread is inside SQLite could leave the child's SQLite
locks held.

When: every ``SQLITE_CHECKPOINT_INTERVAL`` seconds (default 10; 0 turns it off) the leader
looks at the WAL file's size and runs ``checkpoint(TRUNCATE)`` when it exceeds a quarter of
``SQLITE_JOURNAL_SIZE_LIMIT`` (16 MiB of the default 64 MiB).
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

from .maintenance import CheckpointResult, MaintenanceError, checkpoint, file_size, sqlite_path, wal_path

log = logging.getLogger("reachboard.maintenance")


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-checkpoint.lock")


class WalCheckpointer:
    """Checkpoints one database when its WAL is over ``threshold_bytes``, if it holds the lock."""

    def __init__(self, db_path: Path, threshold_bytes: int, interval_seconds: float):
        self.db_path = db_path
        self.threshold_bytes = threshold_bytes
        self.interval_seconds = interval_seconds
        self._lock_fd: int | None = None
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def is_leader(self) -> bool:
        return self._lock_fd is not None

    def try_lead(self) -> bool:
        """Take the lock unless another process (or checkpointer) holds it; keep it until release()."""
        if self._lock_fd is not None:
            return True
        fd = os.open(lock_path(self.db_path), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        log.info("WAL checkpointer: process %s checkpoints %s", os.getpid(), self.db_path)
        return True

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None

    def run_once(self) -> CheckpointResult | None:
        """One round: lead if possible; checkpoint when the WAL is over the threshold."""
        if not self.try_lead():
            return None
        if file_size(wal_path(self.db_path)) <= self.threshold_bytes:
            return None
        result = checkpoint(self.db_path, "TRUNCATE")
        if result.complete:
            log.info("WAL %s", result.describe())
        else:
            log.warning("WAL %s; trying again in %s s", result.describe(), self.interval_seconds)
        return result

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            try:
                self.run_once()
            except (MaintenanceError, OSError) as exc:
                log.warning("WAL checkpoint failed: %s", exc)
            except Exception:  # noqa: BLE001 - never let the thread die silently
                log.exception("WAL checkpointer: unexpected error")

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="wal-checkpointer", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join()
        self.release()


def start_wal_checkpointer(config) -> WalCheckpointer | None:
    """Start the thread for the app's SQLite database (None: PostgreSQL, in memory, or off)."""
    db_path = sqlite_path(config["SQLALCHEMY_DATABASE_URI"])
    interval = float(config.get("SQLITE_CHECKPOINT_INTERVAL") or 0)
    if db_path is None or interval <= 0:
        return None
    checkpointer = WalCheckpointer(db_path, int(config["SQLITE_JOURNAL_SIZE_LIMIT"]) // 4, interval)
    checkpointer.start()
    return checkpointer
