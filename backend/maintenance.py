"""Database upkeep that is safe while the app serves: SQLite's WAL checkpoint, statistics and an
integrity check; PostgreSQL's VACUUM (ANALYZE) of the metrics table. ``flask db-maintenance``
runs ``sqlite_maintenance`` or ``postgres_maintenance``; the periodic checkpoint
(backend/wal_checkpointer.py) runs ``checkpoint`` alone.

The SQLite functions open their own short-lived connection to the database file (the stdlib
driver, no pool, no app context), so they work from a gunicorn hook thread as well as the CLI.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine, make_url

CHECKPOINT_MODES = ("PASSIVE", "FULL", "RESTART", "TRUNCATE")
# How long a checkpoint waits for readers to move off the log. FULL, RESTART and TRUNCATE hold
# back new writers while they wait (writers then wait in their own busy timeout, 30 s), so
# keep it short: a request's read transaction lasts milliseconds.
CHECKPOINT_BUSY_TIMEOUT_MS = 5_000
# ANALYZE reads at most about this many rows per index: bounded time on a large database.
ANALYSIS_LIMIT = 1_000

Progress = Callable[[str], None]


class MaintenanceError(RuntimeError):
    """A maintenance step failed; the message says which and why."""


def sqlite_path(database_url: str | URL) -> Path | None:
    """The file of a SQLite URL, or None (not SQLite, or an in-memory database)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):
        return None  # a URI filename (shared memory and the like): no plain file to watch
    return Path(url.database)


def wal_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-wal")


def file_size(path: Path) -> int:
    """Size in bytes; 0 when the file does not exist (a WAL removed at the last close)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


@dataclass(frozen=True)
class CheckpointResult:
    """``PRAGMA wal_checkpoint``'s triple and the WAL file's size around it."""

    mode: str
    busy: int  # 1 when the checkpoint could not finish (a reader or writer held it back)
    log_pages: int  # frames in the WAL (-1 when not in WAL mode; 0 after a finished TRUNCATE)
    checkpointed_pages: int  # frames copied into the database file (-1 likewise)
    wal_bytes_before: int
    wal_bytes_after: int
    seconds: float

    @property
    def complete(self) -> bool:
        return self.busy == 0 and self.log_pages == self.checkpointed_pages

    def describe(self) -> str:
        state = "complete" if self.complete else "NOT complete (busy: readers or a writer held it back)"
        # A finished TRUNCATE reports (0, 0, 0): the log it copied is gone.
        pages = f"{self.checkpointed_pages} of {self.log_pages} WAL pages copied; " if self.log_pages > 0 else ""
        return (f"checkpoint({self.mode}) {state}: {pages}WAL {_mib(self.wal_bytes_before)} -> "
                f"{_mib(self.wal_bytes_after)} in {self.seconds:.2f} s")


def _connect(db_path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    if not db_path.exists():
        raise MaintenanceError(f"SQLite database {db_path} does not exist")
    conn = sqlite3.connect(str(db_path), timeout=busy_timeout_ms / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return conn


def checkpoint(db_path: Path, mode: str = "TRUNCATE", busy_timeout_ms: int | None = None) -> CheckpointResult:
    """Copy the WAL into the database file and (RESTART/TRUNCATE) start the log afresh;
    TRUNCATE also cuts the WAL file to zero bytes. Waits up to ``busy_timeout_ms`` (default
    CHECKPOINT_BUSY_TIMEOUT_MS) for readers."""
    if busy_timeout_ms is None:
        busy_timeout_ms = CHECKPOINT_BUSY_TIMEOUT_MS
    mode = mode.upper()
    if mode not in CHECKPOINT_MODES:
        raise ValueError(f"checkpoint mode must be one of {', '.join(CHECKPOINT_MODES)}")
    wal = wal_path(db_path)
    before = file_size(wal)
    started = time.monotonic()
    conn = _connect(db_path, busy_timeout_ms)
    try:
        busy, log_pages, done = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    except sqlite3.Error as exc:
        raise MaintenanceError(f"checkpoint({mode}) failed: {exc}") from exc
    finally:
        conn.close()
    return CheckpointResult(mode, int(busy), int(log_pages), int(done), before, file_size(wal),
                            time.monotonic() - started)


def sqlite_maintenance(db_path: Path, vacuum: bool = False, progress: Progress = print) -> None:
    """ANALYZE (bounded), quick_check, optionally VACUUM, then a TRUNCATE checkpoint last (the
    steps before it write through the WAL), reporting sizes before and after. Raises
    MaintenanceError when a step fails, the check finds damage or the checkpoint cannot finish."""
    wal = wal_path(db_path)
    progress(f"SQLite {db_path}: database {_mib(file_size(db_path))}, WAL {_mib(file_size(wal))}")
    conn = _connect(db_path, CHECKPOINT_BUSY_TIMEOUT_MS * 6)
    try:
        started = time.monotonic()
        conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA optimize")
        progress(f"ANALYZE (at most ~{ANALYSIS_LIMIT} rows per index) and PRAGMA optimize: "
                 f"{time.monotonic() - started:.2f} s")
        started = time.monotonic()
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise MaintenanceError("PRAGMA quick_check found damage: " + "; ".join(problems[:20]))
        progress(f"PRAGMA quick_check: ok ({time.monotonic() - started:.2f} s)")
        if vacuum:
            progress("VACUUM: rewriting the whole database; writers wait until it ends ...")
            started = time.monotonic()
            conn.execute("VACUUM")
            progress(f"VACUUM: done in {time.monotonic() - started:.2f} s")
    except sqlite3.Error as exc:
        raise MaintenanceError(f"SQLite maintenance failed: {exc}") from exc
    finally:
        conn.close()
    result = checkpoint(db_path, "TRUNCATE")
    progress(result.describe())
    progress(f"after: database {_mib(file_size(db_path))}, WAL {_mib(file_size(wal))}")
    if not result.complete:
        raise MaintenanceError("the WAL checkpoint did not complete: long read transactions kept it "
                               "back; run again when the load is lower")


def sqlite_light_maintenance(db_path: Path, progress: Progress = print) -> CheckpointResult:
    """The hourly job's share on SQLite: ``PRAGMA optimize`` (statistics refreshed only where the
    planner would gain; SQLite asks for it every few hours) and a TRUNCATE checkpoint. A
    checkpoint that cannot finish is reported, not raised: the periodic checkpoint in gunicorn
    and the next run try again."""
    conn = _connect(db_path, CHECKPOINT_BUSY_TIMEOUT_MS)
    try:
        started = time.monotonic()
        conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        conn.execute("PRAGMA optimize")
        progress(f"PRAGMA optimize: {time.monotonic() - started:.2f} s")
    except sqlite3.Error as exc:
        raise MaintenanceError(f"PRAGMA optimize failed: {exc}") from exc
    finally:
        conn.close()
    result = checkpoint(db_path, "TRUNCATE")
    progress(result.describe())
    return result


DEAD_TUPLES = text(
    "SELECT n_live_tup, n_dead_tup, last_vacuum, last_autovacuum FROM pg_stat_user_tables "
    "WHERE relname = :table"
)


def dead_tuples(engine: Engine, table: str = "metric_point") -> tuple[int, int] | None:
    """(live, dead) tuples of ``table`` from pg_stat_user_tables (None when it has no row)."""
    with engine.connect() as conn:
        row = conn.execute(DEAD_TUPLES, {"table": table}).first()
    return None if row is None else (int(row[0]), int(row[1]))


def needs_vacuum(live: int, dead: int, scale: float = 0.02, threshold: int = 1000) -> bool:
    """Dead tuples past what migration 0004 lets autovacuum wait for (2 % of the live rows plus
    1,000): autovacuum is behind, so the hourly job vacuums."""
    return dead > threshold + scale * live


def postgres_maintenance(engine: Engine, table: str = "metric_point", progress: Progress = print) -> None:
    """Connectivity check, then VACUUM (ANALYZE) of ``table`` on an autocommit connection (VACUUM
    cannot run in a transaction), with its dead tuples before and after."""
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
            database = conn.execute(text("SELECT current_database()")).scalar()
        progress(f"PostgreSQL {version}, database {database}: connected")
        before = dead_tuples(engine, table)
        if before is None:
            raise MaintenanceError(f"table {table} not found (run flask db upgrade)")
        progress(f"{table} before: {before[0]} live, {before[1]} dead tuples")
        started = time.monotonic()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'VACUUM (ANALYZE) "{table}"'))
        progress(f"VACUUM (ANALYZE) {table}: {time.monotonic() - started:.2f} s")
        after = dead_tuples(engine, table) or (0, 0)
        progress(f"{table} after: {after[0]} live, {after[1]} dead tuples")
    except MaintenanceError:
        raise
    except Exception as exc:  # noqa: BLE001 - any driver error: say what failed, exit non-zero
        raise MaintenanceError(f"PostgreSQL maintenance failed: {type(exc).__name__}: {exc}") from exc


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB ({n} bytes)"
